"""LoRA-fine-tune the study's base model on one training arm, on the CPU.

    python examples/lima-study/train.py --arm lima-1k --out ADAPTER_DIR [--max-len 256] [--epochs 1]

Writes a peft adapter (what vLLM serves with ``--lora-modules``) and ``training_log.json`` beside it:
examples, epochs, optimizer steps, tokens, seconds per step and wall time, so RESULTS.md reports what
was measured, not what was planned. Loss is on response tokens only (the prompt is masked), the
format is the base model's own chat template (the one vLLM applies when it serves the adapter).
A finished adapter whose settings match is kept: rerunning costs nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sft_data  # noqa: E402

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--arm", required=True, choices=sorted(sft_data.ARMS))
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--base", default="", help="HF checkpoint folder (default: the built-in SmolLM2-135M-Instruct)")
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("JUDGEBENCH_DATA") or Path(__file__).resolve().parents[2].parent / "shared/data") / "sft")
    p.add_argument("--limit", type=int, default=0, help="use at most this many examples (0 = all)")
    p.add_argument("--max-len", type=int, default=256)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps (0 = no cap)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--alpha", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--bf16", action="store_true",
                   help="bf16 autocast: faster only on CPUs with native bf16 (AVX-512 BF16 / AMX); emulated, and slower, elsewhere")
    return p.parse_args(argv)


def _settings(a: argparse.Namespace, base: str, fingerprint: str) -> dict[str, object]:
    return {"arm": a.arm, "base": base, "data": fingerprint, "limit": a.limit, "max_len": a.max_len,
            "epochs": a.epochs, "max_steps": a.max_steps, "batch": a.batch, "lr": a.lr, "rank": a.rank,
            "alpha": a.alpha, "seed": a.seed, "targets": TARGETS, "bf16": a.bf16}


def _encode(tok, pairs, max_len):  # type: ignore[no-untyped-def]
    """Token ids and labels per example; labels are -100 on the prompt so only the response is learned."""
    out = []
    truncated = 0
    for prompt, response in pairs:
        user = [{"role": "user", "content": prompt}]
        head = tok.apply_chat_template(user, add_generation_prompt=True, tokenize=True)
        full = tok.apply_chat_template(user + [{"role": "assistant", "content": response}], tokenize=True)
        if hasattr(head, "input_ids"):
            head, full = head["input_ids"], full["input_ids"]
        head, full = list(head), list(full)
        if full[: len(head)] != head:  # template renders differently with an answer: fall back to a plain join
            full = head + tok(response + tok.eos_token, add_special_tokens=False)["input_ids"]
        if len(head) >= max_len - 8:
            continue  # no room for any response token
        if len(full) > max_len:
            truncated += 1
            full = full[:max_len]
        labels = [-100] * len(head) + full[len(head):]
        out.append((full, labels))
    return out, truncated


def _batches(examples, batch, rng):  # type: ignore[no-untyped-def]
    """Shuffled batches of similar length (less padding: the CPU's time goes to real tokens)."""
    idx = list(range(len(examples)))
    rng.shuffle(idx)
    mega = batch * 16
    out = []
    for i in range(0, len(idx), mega):
        chunk = sorted(idx[i : i + mega], key=lambda j: len(examples[j][0]))
        out += [chunk[k : k + batch] for k in range(0, len(chunk), batch)]
    rng.shuffle(out)
    return out


def _to_float16(path: Path) -> None:
    """Store the adapter in float16: half the bytes (they are committed), and vLLM casts LoRA weights to
    the served dtype anyway; trained in float32, the rounding is ~1e-3 relative, far below the update."""
    import torch
    from safetensors.torch import load_file, save_file

    save_file({k: v.to(torch.float16).contiguous() for k, v in load_file(str(path)).items()}, str(path),
              metadata={"format": "pt"})


def main(argv: list[str] | None = None) -> int:
    a = _args(argv)
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(a.threads)
    base = a.base
    if not base:
        from judgebench.builtin import resolve_checkpoint

        base = resolve_checkpoint("builtin:smollm2-135m-instruct")
    arm = sft_data.ARMS[a.arm]
    settings = _settings(a, Path(base).name, sft_data.data_fingerprint(arm, a.data_dir))
    log_path = a.out / "training_log.json"
    if log_path.exists() and json.loads(log_path.read_text()).get("settings") == settings:
        print(f"train: {a.out} is up to date ({a.arm})")
        return 0

    random.seed(a.seed)
    torch.manual_seed(a.seed)
    tok = AutoTokenizer.from_pretrained(base)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    pairs = sft_data.load_arm(arm, a.data_dir, limit=a.limit or None, seed=a.seed)
    examples, truncated = _encode(tok, pairs, a.max_len)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=a.rank, lora_alpha=a.alpha, lora_dropout=0.05,
                                             target_modules=TARGETS, task_type="CAUSAL_LM"))
    rng = random.Random(a.seed)
    per_epoch = math.ceil(len(examples) / a.batch)
    total = math.ceil(per_epoch * a.epochs)
    if a.max_steps:
        total = min(total, a.max_steps)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=a.lr, weight_decay=0.0)
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    model.train()
    steps, tokens, supervised, losses = 0, 0, 0, []
    started = time.perf_counter()
    print(f"train: {a.arm}: {len(examples)} examples ({truncated} truncated at {a.max_len} tokens), "
          f"{total} steps of {a.batch}", flush=True)
    while steps < total:
        for batch in _batches(examples, a.batch, rng):
            if steps >= total:
                break
            width = max(len(examples[j][0]) for j in batch)
            ids = torch.full((len(batch), width), tok.pad_token_id, dtype=torch.long)
            lab = torch.full((len(batch), width), -100, dtype=torch.long)
            att = torch.zeros((len(batch), width), dtype=torch.long)
            for r, j in enumerate(batch):
                x, y = examples[j]
                ids[r, : len(x)] = torch.tensor(x)
                lab[r, : len(y)] = torch.tensor(y)
                att[r, : len(x)] = 1
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
                loss = model(input_ids=ids, attention_mask=att, labels=lab).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            steps += 1
            tokens += int(att.sum())
            supervised += int((lab != -100).sum())
            losses.append(round(float(loss.detach()), 4))
            if steps % 10 == 0 or steps == total:
                el = time.perf_counter() - started
                print(f"train: {a.arm} step {steps}/{total} loss {sum(losses[-10:]) / len(losses[-10:]):.3f} "
                      f"{el / steps:.2f} s/step {tokens / el:.0f} tok/s", flush=True)
    wall = time.perf_counter() - started
    a.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(a.out))
    _to_float16(a.out / "adapter_model.safetensors")
    import peft
    import transformers

    log = {
        "settings": settings,
        "arm": a.arm, "dataset_files": list(arm.files), "curated": arm.curated, "curation": arm.curation,
        "examples_available": len(pairs), "examples": len(examples), "truncated": truncated,
        "epochs": round(steps * a.batch / max(1, len(examples)), 3), "steps": steps, "batch": a.batch,
        "tokens": tokens, "supervised_tokens": supervised, "wall_s": round(wall, 1),
        "s_per_step": round(wall / max(1, steps), 2), "tokens_per_s": round(tokens / max(wall, 1e-9), 1),
        "loss_first10": round(sum(losses[:10]) / max(1, len(losses[:10])), 4),
        "loss_last10": round(sum(losses[-10:]) / max(1, len(losses[-10:])), 4),
        "saved_dtype": "float16", "threads": a.threads, "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
    }
    log_path.write_text(json.dumps(log, indent=2) + "\n")
    print(f"train: {a.arm} done: {steps} steps in {wall:.0f} s -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
