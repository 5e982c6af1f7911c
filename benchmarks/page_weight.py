"""Page weight of a suite page: bytes of HTML against bytes of the data it embeds.

The page must stay proportional to its data (issue 7, item 4): a fixed overhead for CSS, JS and
tables, plus about one byte of HTML per byte of explorer data. This prints both and the ratio,
for synthetic data shaped like a real run (default 1,000 prompts × 6 models + 1 reference,
two judge orders per pair).

    .venv/bin/python benchmarks/page_weight.py [--prompts 1000] [--models 6] [--browser]

``--browser`` also opens the page in Debian's chromium (Playwright) and times the load until the
explorer list is drawn, and one outcome filter: the "stays responsive" half of the requirement.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from judgebench.site import render_suite_page

WORDS = [
    "the",
    "model",
    "should",
    "explain",
    "why",
    "a",
    "list",
    "<b>",
    "is",
    "&",
    "sorted",
    "before",
    "binary",
    "search;",
    "é",
    "ü",
    "漢字",
    "returns",
    "index",
    "value",
    "when",
    "key",
    "if",
    "else",
    "for",
    "def",
    "return",
    "print(x)",
    "<div>",
    "data",
    "error",
    "result",
    "answer",
]


PLAIN = [w for w in WORDS if not any(c in w for c in "<>&")]


def _text(rng: random.Random, mean_chars: int, words: list[str] = WORDS) -> str:
    target = max(20, int(rng.gauss(mean_chars, mean_chars / 3)))
    out: list[str] = []
    size = 0
    while size < target:
        w = rng.choice(words)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)


def synthetic(
    n_prompts: int, n_models: int, seed: int = 0, *, plain: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A leaderboard.json and explorer.json of the contract's shapes, deterministic per seed.

    ``plain`` leaves ``<``, ``>`` and ``&`` out of the text, to separate the cost of escaping them.
    """
    rng = random.Random(seed)
    words = PLAIN if plain else WORDS
    models = [f"sft-model-{i}" for i in range(n_models)]
    ref = "reference"
    prompts = [
        {"id": f"p{i:05d}", "text": _text(rng, 300, words), "category": f"cat-{i % 8}"}
        for i in range(n_prompts)
    ]
    responses = {m: {p["id"]: _text(rng, 1200, words) for p in prompts} for m in [*models, ref]}
    judgments: dict[str, Any] = {}
    outcomes: dict[str, Any] = {}
    for m in models:
        judgments[m] = {ref: {}}
        outcomes[m] = {ref: {}}
        for p in prompts:
            pref = rng.choice([0.0, 0.5, 1.0])
            judgments[m][ref][p["id"]] = [
                {
                    "order": o,
                    "sample": 0,
                    "label": "A",
                    "preference": pref,
                    "reasoning": _text(rng, 400, words),
                    "status": "ok",
                }
                for o in ("AB", "BA")
            ]
            outcomes[m][ref][p["id"]] = pref
    explorer = {
        "prompts": prompts,
        "models": models,
        "references": [ref],
        "responses": responses,
        "judgments": judgments,
        "outcomes": outcomes,
    }
    rows = [
        {
            "model": m,
            "reference": ref,
            "training_examples": 1000 * (i + 1) ** 2,
            "curated": i % 2 == 0,
            "win_rate": 40.0 + 3 * i,
            "win_rate_ci_low": 36.0 + 3 * i,
            "win_rate_ci_high": 44.0 + 3 * i,
            "avg_length": 1200.0,
            "n_parse_failures": 3,
            "n_errors": 0,
        }
        for i, m in enumerate(models)
    ]
    points = [
        {
            "model": r["model"],
            "examples": r["training_examples"],
            "curated": r["curated"],
            "dataset": "d",
            "win_rate": r["win_rate"],
            "ci_low": r["win_rate_ci_low"],
            "ci_high": r["win_rate_ci_high"],
        }
        for r in rows
    ]
    leaderboard = {
        "schema_version": 1, "suite": "bench", "references": [ref], "rows": rows,
        "manifest": {"suite": "bench", "n_prompts": n_prompts, "judge": {"model": "judge", "params": {}}},
        "curated_vs_large": {"n_prompts": n_prompts, "min_detectable_difference": 4.0, "points": points, "comparisons": []},
        "categories": [{"model": m, "reference": ref, "category": f"cat-{c}", "n": n_prompts // 8, "win_rate": 50.0,
                        "ci_low": 45.0, "ci_high": 55.0} for m in models for c in range(8)],
        "reliability": {"position_consistency": 0.8, "tie_rate": 0.1, "parse_failure_rate": 0.01},
        "flags": [],
    }  # fmt: skip
    return leaderboard, explorer


def _bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def browser_timings(page_html: bytes) -> dict[str, float]:
    """Seconds to load and draw the explorer list, and to apply one filter, in headless chromium."""
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        path = Path(tmp) / "index.html"
        path.write_bytes(page_html)
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page()
        t0 = time.perf_counter()
        page.goto(path.as_uri())
        page.locator("#ex-list li").nth(99).wait_for(state="attached")
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        page.select_option("#ex-outcome", "tie")
        page.locator("#ex-list li").first.wait_for(state="attached")
        filt = time.perf_counter() - t0
        t0 = time.perf_counter()
        page.locator("#ex-list button").first.click()
        page.locator("#ex-detail .jcard").first.wait_for()
        detail = time.perf_counter() - t0
        browser.close()
    return {"load": load, "filter": filt, "detail": detail}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=1000)
    ap.add_argument("--models", type=int, default=6, help="models under test (plus one reference)")
    ap.add_argument("--plain", action="store_true", help="text without <, > and & (no escaping cost)")
    ap.add_argument("--browser", action="store_true", help="also time the page in headless chromium")
    args = ap.parse_args()

    lb, ex = synthetic(args.prompts, args.models, plain=args.plain)
    t0 = time.perf_counter()
    page = render_suite_page(lb, ex).encode("utf-8")
    render_s = time.perf_counter() - t0
    empty = render_suite_page(lb, {}).encode("utf-8")
    data = _bytes(ex)
    kind = "plain text" if args.plain else "text with <, > and & (escaped)"
    print(f"prompts × models:        {args.prompts} × {args.models} (+1 reference), {kind}")
    print(f"explorer data (JSON):    {data:>12,} bytes")
    print(f"page weight:             {len(page):>12,} bytes")
    print(f"fixed part (no data):    {len(empty):>12,} bytes")
    print(f"page bytes / data bytes: {len(page) / data:12.3f}")
    print(f"marginal bytes per data byte: {(len(page) - len(empty)) / data:.3f}")
    print(f"render time:             {render_s:12.3f} s")
    if args.browser:
        t = browser_timings(page)
        print(f"chromium: load + first 100 rows {t['load']:.3f} s, outcome filter {t['filter']:.3f} s, "
              f"open a prompt {t['detail']:.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
