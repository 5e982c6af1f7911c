"""Write the study suite's inputs from the public data: prompts and the judge's validation sets.

    python examples/lima-study/prepare.py [--data DIR] [--prompts 60] [--out suites/lima-study]

The data (LIMA's test prompts are CC BY-NC-SA; LLMBar and PandaLM have their own terms) is never
committed. A suite may only read files inside its own folder tree, so this copies what the suite
needs into ``suites/lima-study/`` (ignored by git):

* ``prompts.jsonl`` -- ``--prompts`` of LIMA's 300 test prompts, evenly spaced by question id
  (every 300/N-th, starting with the first), so the subset is fixed and documented, not hand-picked;
* ``llmbar-natural/`` -- LLMBar's Natural pairs with its ``evaluators/*/Vanilla/result.json`` (the
  published GPT-4/ChatGPT/LLaMA2 verdicts the page compares the judge with);
* ``pandalm/testset-v1.json`` -- PandaLM's human-labelled test pairs.

The data folder is ``--data``, else ``$JUDGEBENCH_DATA``, else ``../shared/data`` beside the
repository. Rerunning writes the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIMA_TEST = Path("lima/lima_test_question.jsonl")
LLMBAR_NATURAL = Path("llmbar/Dataset/LLMBar/Natural")
PANDALM = Path("pandalm/testset-v1.json")


def data_dir(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get("JUDGEBENCH_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def lima_subset(rows: list[dict[str, object]], n: int) -> list[dict[str, object]]:
    """``n`` prompts evenly spaced over ``rows`` in question-id order (all when n >= len)."""
    rows = sorted(rows, key=lambda r: int(str(r["question_id"])))
    if n >= len(rows):
        return rows
    return [rows[(i * len(rows)) // n] for i in range(n)]


def write_prompts(src: Path, dest: Path, n: int) -> int:
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    picked = lima_subset(rows, n)
    dest.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": f"lima-{r['question_id']}", "prompt": r["turns"][0],  # type: ignore[index]
                         "category": "lima-test"}, ensure_ascii=False) for r in picked]
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(picked)


def copy_llmbar(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "dataset.json", dest / "dataset.json")
    for result in sorted(src.glob("evaluators/*/Vanilla/result.json")):
        target = dest / result.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(result, target)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--prompts", type=int, default=60, help="how many of LIMA's 300 test prompts (evenly spaced)")
    p.add_argument("--out", type=Path, default=REPO / "suites" / "lima-study")
    a = p.parse_args(argv)
    root = data_dir(a.data)
    missing = [str(root / f) for f in (LIMA_TEST, LLMBAR_NATURAL / "dataset.json", PANDALM) if not (root / f).is_file()]
    if missing:
        print(f"prepare: missing public data: {', '.join(missing)}\n"
              "  Point --data (or $JUDGEBENCH_DATA) at the folder holding lima/, llmbar/ and pandalm/ "
              "(see examples/lima-study/README.md, 'Data').", file=sys.stderr)
        return 2
    if a.prompts < 1:
        print("prepare: --prompts must be at least 1", file=sys.stderr)
        return 2
    n = write_prompts(root / LIMA_TEST, a.out / "prompts.jsonl", a.prompts)
    copy_llmbar(root / LLMBAR_NATURAL, a.out / "llmbar-natural")
    (a.out / "pandalm").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / PANDALM, a.out / "pandalm" / PANDALM.name)
    print(f"prepare: {n} LIMA test prompts, LLMBar-Natural and PandaLM -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
