"""The leaderboard in words: the sentences the terminal, the markdown file and ``compare`` share.

One function per statement, so the significance rule, the judge's standing, completeness and the
minimum detectable difference are worded the same everywhere (the HTML page has its own view
module but reads the same leaderboard.json fields). Plain strings, no rich markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from judgebench.stats.paired import MDD_METHOD, method_text


def num(v: Any, digits: int = 1, signed: bool = False) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


def p_text(p: Any, rounds: int | None = None) -> str:
    """A bootstrap p-value; 0 means no resample crossed zero, so say "< 1/R" instead."""
    if p is None:
        return "n/a"
    if p == 0:
        return f"< {1 / rounds:.2g}" if rounds else "< 0.001"
    return f"{p:.3g}"


def comparison_line(c: Mapping[str, Any], rounds: int | None = None) -> str:
    """``a vs b: +3.1 points, 98.3% CI +0.4 to +5.9, p = 0.01 (Holm 0.03) — A better``."""
    if c.get("diff") is None:
        return f"{c.get('a')} vs {c.get('b')}: no prompt with a verdict for both"
    level = c.get("ci_level")
    label = f"{100 * level:.3g}% CI" if isinstance(level, int | float) else "CI"
    holm = ""
    if (c.get("comparisons") or 1) > 1:
        holm = f" (Holm-adjusted {p_text(c.get('p_adjusted'), rounds)} over {c['comparisons']} pairs)"
    return (f"{c.get('a')} vs {c.get('b')}: {num(c.get('diff'), signed=True)} points, {label} "
            f"{num(c.get('ci_low'), signed=True)} to {num(c.get('ci_high'), signed=True)}, "
            f"bootstrap p = {p_text(c.get('p_value'), rounds)}{holm}, {c.get('n')} prompts — {verdict_word(c)}")


def verdict_word(c: Mapping[str, Any]) -> str:
    v = str(c.get("verdict") or "")
    if v == "A better":
        return f"{c.get('a')} better"
    if v == "B better":
        return f"{c.get('b')} better"
    if v == "inconclusive":
        return "inconclusive (the judge is too weak to rank)"
    return "no significant difference (inconclusive: this sample cannot tell them apart)"


def significance_line(board: Mapping[str, Any]) -> str:
    sig = board.get("significance") or {}
    if not sig.get("method"):
        return ""
    return f"Significance: {sig['method']}."


def mdd_line(n: Any, mdd: Any, alpha: float, power: float = 0.8) -> str:
    """The minimum detectable difference, in points, with its method (the one formula)."""
    if mdd is None or n is None:
        return ""
    method = MDD_METHOD.format(alpha=alpha, power=power)
    if mdd >= 100:
        return (f"With {n} prompts no difference in win rate is reliably detectable (the minimum detectable "
                f"difference reaches the 100-point scale; {method}).")
    return f"With {n} prompts, differences smaller than about {mdd:.1f} points are hard to detect ({method})."


def board_mdd_line(board: Mapping[str, Any]) -> str:
    """The MDD for the fewest prompts any shown pair was compared on."""
    pairs = [p for p in board.get("paired") or [] if p.get("n")]
    if not pairs:
        return ""
    smallest = min(pairs, key=lambda p: p["n"])
    sig = board.get("significance") or {}
    return mdd_line(smallest["n"], smallest.get("min_detectable_difference"), float(sig.get("alpha", 0.05)),
                    float(sig.get("power", 0.8)))


def judge_status_line(board: Mapping[str, Any]) -> str:
    """One sentence on whether the judge can rank; "" when it is adequate."""
    adequacy = board.get("judge_adequacy") or {}
    status = adequacy.get("status")
    reasons = "; ".join(adequacy.get("reasons") or [])
    if status == "too weak":
        return (f"The judge is too weak to rank these models, so every comparison is inconclusive: {reasons}. "
                "The numbers are shown but do not rank the models.")
    if status == "unvalidated":
        return "The judge is unvalidated: no validation set was measured (run `judgebench validate-judge`)."
    return ""


def credential_lines(board: Mapping[str, Any]) -> list[str]:
    """The judge's credentials, one validation set per line."""
    out = []
    for c in board.get("judge_credentials") or []:
        ci = c.get("accuracy_ci") or [None, None]
        published = ", ".join(f"{k} {v:.2f}" for k, v in (c.get("published") or {}).items())
        kappa_ci = c.get("kappa_ci") or [None, None]
        out.append(
            f"{c.get('name')} ({c.get('pairs')} pairs, {c.get('judgments')} judgments, {c.get('scoring')}): accuracy "
            f"{num(c.get('accuracy'), 2)} (95% CI {num(ci[0], 2)}–{num(ci[1], 2)}; chance {num(c.get('chance'), 2)}"
            + (f"; published: {published}" if published else "")
            + f"), positional agreement {num(c.get('positional_agreement'), 2)}, kappa {num(c.get('kappa'), 2)}"
            f" ({num(kappa_ci[0], 2)}–{num(kappa_ci[1], 2)})"
        )
    return out


def completeness_line(board: Mapping[str, Any]) -> str:
    done = board.get("completeness") or {}
    return "" if done.get("complete", True) else str(done.get("message") or "Incomplete.")


def compare_text(c: Mapping[str, Any], judge: Mapping[str, Any] | None, rounds: int, alpha: float) -> str:
    """What ``judgebench compare`` prints: the comparison, the rule, the MDD and the judge's standing."""
    lines = [f"Against {c.get('reference')}: {comparison_line(c, rounds)}"]
    lines.append(f"Rule: {method_text(rounds, alpha, 1)} ({100 * (1 - alpha):g}% interval).")
    mdd = mdd_line(c.get("n"), c.get("min_detectable_difference"), alpha)
    if mdd:
        lines.append(mdd)
    status = judge_status_line({"judge_adequacy": judge or {}})
    if status:
        lines.append(status)
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 1 or v == 0 else f"{v:.3f}"
    return str(v)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def rank_text(row: Mapping[str, Any], board: Mapping[str, Any]) -> str:
    """A row's rank, or why it has none."""
    if row.get("is_canary"):
        return "canary"
    if (board.get("judge_adequacy") or {}).get("status") == "too weak" and row.get("reference"):
        return "inconclusive"
    return "–" if row.get("rank") is None else str(row["rank"])


def markdown_table(board: dict[str, Any]) -> str:
    cols = [("model", "Model"), ("reference", "Reference"), ("rank", "Rank"), ("win_rate", "Win rate"),
            ("win_rate_ci_low", "CI low"), ("win_rate_ci_high", "CI high"), ("lc_win_rate", "LC win rate"),
            ("n_wins", "Wins"), ("n_draws", "Ties"), ("n_wins_base", "Losses"), ("n_parse_failures", "Parse failures"),
            ("n_errors", "Errors"), ("position_consistency", "Position consistency"), ("avg_length", "Avg length")]
    lines = [f"# {board.get('suite')} leaderboard", ""]
    for warning in (completeness_line(board), judge_status_line(board)):
        if warning:
            lines += [f"> **{_md(warning)}**", ""]
    lines += ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
    for row in board.get("rows", []):
        cells = [rank_text(row, board) if k == "rank" else _fmt(row.get(k)) for k, _ in cols]
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    m = board.get("manifest", {})
    lines += ["", f"Judge: {m.get('judge', {}).get('model')} · rubric {m.get('rubric')} ({m.get('rubric_hash')}) · "
              f"suite hash {m.get('suite_hash')} · {m.get('n_prompts')} prompts · judgebench {m.get('judgebench_version')} "
              f"· {m.get('created_at')}", ""]
    creds = credential_lines(board)
    if creds:
        lines += ["Judge credentials:", *(f"- {_md(c)}" for c in creds), ""]
    rounds = (board.get("significance") or {}).get("rounds")
    for p in board.get("paired", []) or []:
        lines.append(f"- {_md(comparison_line(p, rounds))}")
    for extra in (significance_line(board), board_mdd_line(board)):
        if extra:
            lines += ["", _md(extra)]
    return "\n".join(lines) + "\n"
