"""Sample leaderboard.json / explorer.json dicts (docs/CONTRACTS.md) carrying hostile text.

Every string a user's data can reach (prompts, responses, judge reasoning, labels, categories,
flag messages, even model names) holds one of the payloads below. If any of them ran, it would
set ``window.__pwned`` or change ``document.title``; the browser tests check neither happened.
"""

from __future__ import annotations

from typing import Any

PWN = "window.__pwned=1;document.title='pwned'"
PAYLOADS = [
    f"<script>{PWN}</script>",
    f'<img src=x onerror="{PWN}">',
    f'<a href="javascript:{PWN}">click me</a>',
    f"</textarea><script>{PWN}</script>",
    f"</script><script>{PWN}</script>",
    f"<!--<script>{PWN}</script>",
    f'<svg onload="{PWN}"></svg>',
    '<img src="https://example.invalid/pixel.png"><link rel="stylesheet" href="http://example.invalid/x.css">',
    "<style>body{display:none}</style>",
    "line\u2028separator\u2029paragraph & ampersand \"quotes\" 'single' ]]> {{ jinja }}",
]

MODELS = ["sft-lima-1k", "sft-alpaca-52k", "sft-dolly-15k", "sft-oasst-9k", "canary-shuffled"]
REFERENCE = "ref-instruct"
TRAINING = {
    "sft-lima-1k": ("lima", 1000, True),
    "sft-alpaca-52k": ("alpaca", 52002, False),
    "sft-dolly-15k": ("dolly", 15011, False),
    "sft-oasst-9k": ("oasst-top1", 9846, True),
    "canary-shuffled": ("shuffled", 1000, None),
}
WIN = {
    "sft-lima-1k": 55.5,
    "sft-alpaca-52k": 48.25,
    "sft-dolly-15k": 41.0,
    "sft-oasst-9k": 60.75,
    "canary-shuffled": 5.0,
}
LENGTH = {
    "sft-lima-1k": 1210.0,
    "sft-alpaca-52k": 640.0,
    "sft-dolly-15k": 402.0,
    "sft-oasst-9k": 998.0,
    "canary-shuffled": 77.0,
}
CATEGORIES = ["coding", "writing", "<b>math</b>"]


def _prompts() -> list[dict[str, Any]]:
    out = []
    for i, payload in enumerate(PAYLOADS):
        out.append(
            {"id": f"p{i:02d}", "text": f"Prompt {i}: please repeat {payload}", "category": CATEGORIES[i % 3]}
        )
    out.append({"id": 'p"quote<&>', "text": "A prompt with a hostile id", "category": ""})
    return out


def _pref(model: str, i: int) -> float | None:
    if model == "canary-shuffled":
        return 0.0
    if i == 3:
        return None  # a parse failure
    return [1.0, 0.5, 0.0][(i + MODELS.index(model)) % 3]


def _label(pref: float | None, order: str) -> str:
    if pref is None:
        return ""
    if pref == 0.5:
        return "tie"
    model_wins = pref == 1.0
    return ("A" if model_wins else "B") if order == "AB" else ("B" if model_wins else "A")


def make_explorer() -> dict[str, Any]:
    prompts = _prompts()
    responses: dict[str, dict[str, str]] = {}
    judgments: dict[str, Any] = {}
    outcomes: dict[str, Any] = {}
    for m in [*MODELS, REFERENCE]:
        responses[m] = {p["id"]: f"{m} answers: {PAYLOADS[i % len(PAYLOADS)]}" for i, p in enumerate(prompts)}
    for m in MODELS:
        judgments[m] = {REFERENCE: {}}
        outcomes[m] = {REFERENCE: {}}
        for i, p in enumerate(prompts):
            pref = _pref(m, i)
            status = "ok" if pref is not None else "parse_failure"
            judgments[m][REFERENCE][p["id"]] = [
                {
                    "order": order,
                    "sample": 0,
                    "label": _label(pref, order),
                    "preference": pref,
                    "reasoning": f"[{order}] The judge thinks: {PAYLOADS[(i + k) % len(PAYLOADS)]}",
                    "status": status,
                }
                for k, order in enumerate(("AB", "BA"))
            ]
            outcomes[m][REFERENCE][p["id"]] = pref
    del responses["sft-dolly-15k"][prompts[1]["id"]]  # a missing response
    return {
        "prompts": prompts,
        "models": MODELS,
        "references": [REFERENCE],
        "responses": responses,
        "judgments": judgments,
        "outcomes": outcomes,
    }


def _row(m: str) -> dict[str, Any]:
    dataset, examples, curated = TRAINING[m]
    wr = WIN[m]
    return {
        "model": m,
        "reference": REFERENCE,
        "base_model": "llama-3-8b",
        "training_dataset": dataset,
        "training_examples": examples,
        "curated": curated,
        "is_canary": m == "canary-shuffled",
        "win_rate": wr,
        "standard_error": 2.5,
        "n_wins": 5,
        "n_wins_base": 5,
        "n_draws": 2,
        "n_total": 11,
        "discrete_win_rate": wr,
        "avg_length": LENGTH[m],
        "win_rate_ci_low": max(0.0, wr - 6.0),
        "win_rate_ci_high": min(100.0, wr + 6.0),
        "lc_win_rate": None if m == "sft-dolly-15k" else wr - 1.5,
        "lc_win_rate_ci_low": None,
        "lc_win_rate_ci_high": None,
        "bt_rating": 50.0 + (wr - 50.0) / 2,
        "bt_ci_low": 45.0,
        "bt_ci_high": 60.0,
        "n_judgments": 22,
        "n_ok": 20,
        "n_parse_failures": 2,
        "n_errors": MODELS.index(m) % 2,
        "n_missing": 0,
        "parse_failure_rate": 2 / 22,
        "error_rate": 0.0,
        "position_consistency": 0.81,
        "tie_rate": 0.12,
        "prompt_tokens": 1000,
        "completion_tokens": 2000,
        "mean_score": None,
        "rank": None if m == "canary-shuffled" else (1 if wr > 50 else 2),
        "n_generation_errors": 0,
    }


def make_leaderboard() -> dict[str, Any]:
    pts = [
        {
            "model": m,
            "base_model": "llama-3-8b",
            "examples": TRAINING[m][1],
            "curated": TRAINING[m][2],
            "dataset": TRAINING[m][0],
            "win_rate": WIN[m],
            "ci_low": WIN[m] - 6.0,
            "ci_high": WIN[m] + 6.0,
        }
        for m in MODELS
        if m != "canary-shuffled"
    ]
    comparisons = [
        {
            "a": "sft-lima-1k",
            "b": "sft-alpaca-52k",
            "reference": REFERENCE,
            "n": 11,
            "diff": 7.25,
            "ci_low": -2.0,
            "ci_high": 16.5,
            "p_value": 0.12,
            "verdict": "no significant difference",
            "significant": False,
            "p_adjusted": 0.24,
            "ci_level": 0.975,
            "comparisons": 2,
            "min_detectable_difference": 84.5,
        },
        {
            "a": "sft-oasst-9k",
            "b": "sft-dolly-15k",
            "reference": REFERENCE,
            "n": 11,
            "diff": 19.75,
            "ci_low": 8.0,
            "ci_high": 31.0,
            "p_value": 0.0,
            "verdict": "A better",
            "significant": True,
            "p_adjusted": 0.0,
            "ci_level": 0.975,
            "comparisons": 2,
            "min_detectable_difference": 84.5,
        },
    ]
    return {
        "schema_version": 1,
        "suite": "demo",
        "manifest": {
            "suite": "demo",
            "suite_hash": "sha256:5a1e" + "0" * 60,
            "prompts_hash": "sha256:beef" + "1" * 60,
            "n_prompts": len(PAYLOADS) + 1,
            "judge": {
                "provider": "openai",
                "model": "judge-<b>bold</b>",
                "params": {"temperature": 0.0, "max_tokens": 512},
            },
            "rubric": "pairwise-v1",
            "rubric_hash": "sha256:c0ffee" + "2" * 58,
            "protocol": "pairwise",
            "judgebench_version": "0.1.0",
            "created_at": "2026-11-25T17:30:00Z",
            "references": [REFERENCE],
        },
        "references": [REFERENCE],
        "rows": [_row(m) for m in MODELS],
        "bradley_terry": {
            "anchor_model": REFERENCE,
            "anchor_value": 50.0,
            "style_control": False,
            "ratings": [{"model": m, "rating": 50.0, "ci_low": 45.0, "ci_high": 55.0} for m in MODELS],
        },
        "paired": comparisons,
        "curated_vs_large": {
            "n_prompts": len(PAYLOADS) + 1,
            "mdd_prompts": 11,
            "min_detectable_difference": 84.5,
            "points": pts,
            "comparisons": comparisons[:1],
        },
        "categories": [
            {
                "model": m,
                "reference": REFERENCE,
                "category": c,
                "n": 4,
                "win_rate": WIN[m],
                "ci_low": None if c == "coding" else WIN[m] - 20,
                "ci_high": None if c == "coding" else min(100.0, WIN[m] + 20),
            }
            for m in MODELS
            for c in CATEGORIES
        ],
        "reliability": {
            "position_consistency": 0.81,
            "tie_rate": 0.12,
            "parse_failure_rate": 0.09,
            "error_rate": 0.01,
            "repeat_agreement": None,
        },
        "significance": {
            "method": "paired bootstrap over prompts (1000 rounds): the interval of the win-rate difference and its "
            "two-sided p-value come from the same resamples, so a pair is significant exactly when its interval "
            "excludes 0; Holm's correction across the 2 comparisons shown (each interval is at the level Holm tests "
            "that pair at); alpha 0.05",
            "alpha": 0.05, "rounds": 1000, "correction": "holm", "comparisons": 2, "power": 0.8,
            "min_detectable_difference_method": "normal approximation of a two-sided paired test at alpha 0.05 with "
            "80% power, per-prompt sd √½ (two independent 50% outcomes), capped at the 100-point scale",
        },
        "judge_credentials": [
            {"name": f"llmbar-natural {PAYLOADS[1]}", "pairs": 100, "judgments": 200, "scoring": "argmax",
             "accuracy": 0.81, "accuracy_ci": [0.73, 0.88], "positional_agreement": 0.86, "kappa": 0.62,
             "kappa_ci": [0.47, 0.76], "parse_failure_rate": 0.01, "chance": 0.5, "published": {"gpt-4": 0.96}},
            {"name": "pandalm", "pairs": 50, "judgments": 100, "scoring": "debiased-logprob", "accuracy": 0.55,
             "accuracy_ci": [0.41, 0.68], "positional_agreement": 0.7, "kappa": 0.1, "kappa_ci": [-0.1, 0.3],
             "parse_failure_rate": 0.0, "chance": 0.5},
        ],
        "judge_adequacy": {"status": "adequate", "reasons": [], "rule": "The judge is too weak to rank when its "
                           "accuracy interval does not exceed chance on any validation set, when the suite's "
                           "position consistency is below 0.50, or when its parse-failure rate is above 0.1; "
                           "unvalidated when no validation set was measured."},
        "completeness": {"complete": True, "planned_judgments": 220, "judged": 220, "judge_errors": 0,
                         "blocked_by_generation": 0, "missing": 0, "generation_errors": 0,
                         "message": "Complete: all 220 planned judgments were made."},
        "flags": [
            {
                "kind": "canary_win",
                "model": "canary-shuffled",
                "prompt_id": "",
                "message": "canary ranked last, as expected",
            },
            {"kind": "injection", "model": "sft-alpaca-52k", "prompt_id": "p00", "message": PAYLOADS[0]},
        ],
    }
