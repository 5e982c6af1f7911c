#!/usr/bin/env bash
# GPU path check: on a machine with an NVIDIA GPU and the `vllm` extra (pip install -e '.[vllm]'),
# serve the demo model and two LoRA adapters of it from one vLLM server, run the demo suite end to
# end, then print the generation ratio against offline vLLM (benchmarks/generation_overhead.py).
# A few minutes on one GPU. Manual only: CI never runs it, no test depends on it.
#
#   benchmarks/gpu_smoke.sh            # PYTHON=.venv/bin/python benchmarks/gpu_smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/judgebench-gpu-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

echo "== devices"
nvidia-smi -L
"$PY" -c 'import torch, vllm; assert torch.cuda.is_available(), "torch sees no GPU"; print("vllm", vllm.__version__, "torch", torch.__version__)'

echo "== suite: the demo's models + two rank-8 LoRA adapters of the same base, one server"
"$PY" - "$WORK" <<'PYEOF'
import json, sys
from pathlib import Path

import yaml

from tests.test_vllm_real import make_lora  # random PEFT-format adapters for SmolLM2-135M (numpy + safetensors)

work = Path(sys.argv[1])
suite = yaml.safe_load(Path("suites/demo.yaml").read_text())
suite["prompts"] = str(Path("suites/demo_prompts.jsonl").resolve())
suite["name"] = "gpu-smoke"
base = suite["models"][0]
for i in (1, 2):
    suite["models"].append({"name": f"lora-{i}", "provider": "vllm", "model": base["model"], "base": base["model"],
                            "adapter": make_lora(work / f"lora-{i}", 8, seed=i), "server": base["server"]})
(work / "suite.yaml").write_text(json.dumps(suite, indent=1))
print(f"{len(suite['models'])} models, judge {suite['judge']['model']}")
PYEOF

echo "== judgebench run (generate, judge, report)"
start=$(date +%s)
"$PY" -m judgebench run "$WORK/suite.yaml" --store "$WORK/store.sqlite" --out "$WORK/leaderboards"
echo "run took $(( $(date +%s) - start )) s"
"$PY" - "$WORK" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(f"{sys.argv[1]}/store.sqlite")
print("stored:", dict(db.execute("SELECT status, COUNT(*) FROM responses GROUP BY status")),
      dict(db.execute("SELECT status, COUNT(*) FROM judgments GROUP BY status")))
texts = {}
for model, text in db.execute("SELECT json_extract(info, '$.model'), text FROM responses WHERE status = 'ok'"):
    texts.setdefault(model, []).append(text)
base, l1, l2 = texts["instruct-greedy"], texts["lora-1"], texts["lora-2"]
assert l1 != base and l2 != base and l1 != l2, "the adapters must answer differently from the base and each other"
print("the two adapters answer differently from the base and from each other")
PYEOF

echo "== generation: judgebench vs offline vLLM (target >= 0.9)"
"$PY" benchmarks/generation_overhead.py --prompts 128 --max-tokens 128 | tee "$WORK/overhead.txt"
grep "ratio judgebench/offline" "$WORK/overhead.txt"
