"""The CI gate: is the candidate checkpoint worse than the baseline, or below a limit?

:func:`evaluate` reads stored results only (the CLI runs what is missing first) and returns a
:class:`GateResult`: one :class:`Check` per rule, each with a value and the limit it was held to.
The gate fails when any check fails:

* ``regression`` -- the upper bound of the two-sided (1 − alpha) interval on "candidate −
  baseline" (win rate against the same reference on the same prompts, in points) is below
  −margin. The interval is the one significance rule's (judgebench.stats.paired: a paired
  bootstrap whose interval and p-value come from the same resamples, one pre-chosen comparison so
  no multiplicity correction); with margin 0 this is exactly "the baseline is significantly
  better". A difference that is not significant passes: the gate only stops a checkpoint the
  data show to be worse.
* ``parse_failures`` / ``errors`` -- the candidate's parse-failure or error rate exceeds its limit.
* ``min_win_rate`` -- the candidate's win rate against the reference is below a floor (if set).

Before any of that it refuses (ConfigError, exit 2) to compare results judged under different
manifests (judge, judge parameters, rubric, prompt set, reference): see judgebench.manifests.
Renderers give the same result as terminal text, markdown, JUnit XML and JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from xml.etree import ElementTree as ET

import pandas as pd

from judgebench.aggregate import to_json as plain_json
from judgebench.config import GateSpec, Suite
from judgebench.errors import ConfigError
from judgebench.manifests import differences, effective, judging_manifest
from judgebench.rubrics import Rubric
from judgebench.stats.coverage import NO_COUNTS, judgment_counts
from judgebench.store import Store
from judgebench.suggest import unknown_name
from judgebench.summary import judge_status_line, mdd_line, p_text

SCHEMA_VERSION = 1
EXIT_PASSED, EXIT_FAILED = 0, 1


@dataclass(frozen=True)
class GateSettings:
    """Resolved gate settings: the suite's ``gate:`` section with CLI overrides applied."""

    candidate: str
    baseline: str
    reference: str
    margin: float = 0.0
    alpha: float = 0.05
    max_parse_failures: float = 0.1
    max_errors: float = 0.0
    min_win_rate: float | None = None
    rounds: int = 2000
    seed: int = 0


def resolve_settings(suite: Suite, overrides: Mapping[str, Any]) -> GateSettings:
    """Merge ``suite.gate`` with ``overrides`` (None means "not given") and validate the names."""
    spec: GateSpec = suite.gate
    merged: dict[str, Any] = spec.model_dump()
    merged.update({k: v for k, v in overrides.items() if v is not None})
    merged["reference"] = merged.get("reference") or suite.references[0]
    names = [m.name for m in suite.models]
    for role in ("candidate", "baseline"):
        if not merged.get(role):
            raise ConfigError(f"No {role} model given for suite {suite.name!r}.",
                              f"Pass --{role} NAME or set gate.{role} in the suite. Models: {', '.join(names)}.")
    for role in ("candidate", "baseline", "reference"):
        if merged[role] not in names:
            raise unknown_name("model", merged[role], names, suite.name, role=role)
    if merged["candidate"] == merged["baseline"]:
        raise ConfigError(f"The candidate and the baseline are the same model ({merged['candidate']!r}).",
                          "Gate a new checkpoint against a different one (e.g. the production model).")
    if merged["reference"] not in suite.references:
        raise unknown_name("reference", merged["reference"], suite.references, suite.name)
    for role in ("candidate", "baseline"):
        if merged[role] in suite.references:
            raise ConfigError(f"The {role} {merged[role]!r} is a reference of suite {suite.name!r}; "
                              "references are not judged against themselves.",
                              "Gate two models that are judged against the reference.")
    return GateSettings(
        candidate=merged["candidate"], baseline=merged["baseline"], reference=merged["reference"],
        margin=float(merged["margin"]), alpha=float(merged["alpha"]),
        max_parse_failures=float(merged["max_parse_failures"]), max_errors=float(merged["max_errors"]),
        min_win_rate=None if merged["min_win_rate"] is None else float(merged["min_win_rate"]),
        rounds=int(merged["rounds"]), seed=suite.stats.seed,
    )


@dataclass(frozen=True)
class Check:
    """One rule of the gate; ``value`` and ``limit`` are in the rule's unit (points or a 0-1 rate)."""

    name: str
    passed: bool
    detail: str
    value: float | None = None
    limit: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateResult:
    """Everything the gate decided and why; ``passed`` is True only when every check passed."""

    suite: str
    settings: GateSettings
    checks: tuple[Check, ...]
    comparison: dict[str, Any]
    candidate: dict[str, Any]
    manifest: dict[str, Any] | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def exit_code(self) -> int:
        return EXIT_PASSED if self.passed else EXIT_FAILED

    def to_dict(self) -> dict[str, Any]:
        return plain_json({
            "schema_version": SCHEMA_VERSION,
            "suite": self.suite,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "settings": asdict(self.settings),
            "checks": [c.to_dict() for c in self.checks],
            "comparison": self.comparison,
            "candidate_stats": self.candidate,
            "manifest": self.manifest,
            "notes": list(self.notes),
        })


# -- evaluation ------------------------------------------------------------------------------


def check_manifests(store: Store, suite: Suite, rubric: Rubric, prompts_hash: str, n_prompts: int,
                    settings: GateSettings) -> tuple[dict[str, Any], list[str]]:
    """The manifest both models share, plus notes; ConfigError when they were judged differently."""
    current = judging_manifest(suite, rubric, prompts_hash, n_prompts)
    found = {role: effective(store.manifests(suite.name, name), current, settings.reference)
             for role, name in (("candidate", settings.candidate), ("baseline", settings.baseline))}
    cand, base = found["candidate"], found["baseline"]
    notes = [f"No judging manifest is recorded for the {role} {getattr(settings, role)!r} (imported results or "
             "an older store); its judgments were read under the suite's current judge and rubric."
             for role, m in found.items() if m is None]
    if cand is not None and base is not None:
        diffs = differences(cand, base, settings.reference)
        if diffs:
            lines = "; ".join(f"{label}: {a!r} (candidate) vs {b!r} (baseline)" for label, a, b in diffs)
            raise ConfigError(
                f"Refusing to compare {settings.candidate!r} with {settings.baseline!r}: their results in suite "
                f"{suite.name!r} were judged under different manifests — {lines}.",
                "Compare only results judged the same way: from a suite file, run the gate without --no-run (it "
                "judges both models under the suite's current judge and rubric), or `judgebench judge SUITE "
                f"--model {settings.candidate} --model {settings.baseline}`; for imported results, pick a "
                "baseline judged by the same annotator.",
            )
    return dict(cand or base or current), notes


def candidate_stats(judgments: pd.DataFrame, responses: pd.DataFrame, model: str, reference: str) -> dict[str, Any]:
    """Counts and rates of the model's judgments against ``reference``, counted as the leaderboard
    counts them (judgebench.stats.coverage): a judgment that could not be made because the model's
    own response failed is an error of the model; rates use attempted judgments.
    """
    rows = judgments[(judgments["model"] == model) & (judgments["reference"] == reference)]
    counts = judgment_counts(rows, responses[responses["model"] == model]).get((model, reference), NO_COUNTS)
    status = rows["status"]
    x = rows[(status == "ok") & rows["preference"].notna()].groupby(["prompt_id", "order"])["preference"].mean()
    per_prompt = x.groupby(level=0).mean()
    return {
        "n_judgments": len(rows), "n_ok": counts.n_ok, "n_parse_failures": counts.n_parse_failures,
        "n_errors": counts.n_errors, "n_missing": counts.n_missing, "n_prompts": int(per_prompt.size),
        "parse_failure_rate": counts.parse_failure_rate, "error_rate": counts.error_rate,
        "win_rate": 100.0 * float(per_prompt.mean()) if per_prompt.size else None,
    }


def evaluate(suite: Suite, prompts: Any, rubric: Rubric, prompts_hash: str, store: Store,
             settings: GateSettings) -> GateResult:
    """Gate ``settings.candidate`` against ``settings.baseline`` on what ``store`` holds."""
    from judgebench.aggregate import judge_adequacy_of, paired_comparison
    from judgebench.report import frames

    if rubric.protocol.kind != "pairwise":
        raise ConfigError(f"The gate needs a pairwise protocol; suite {suite.name!r} uses {rubric.protocol.name!r}.",
                          "Gate on a pairwise suite (models judged against a reference).")
    manifest, notes = check_manifests(store, suite, rubric, prompts_hash, len(prompts), settings)
    judgments, responses = frames(suite, prompts, rubric, store)
    cand = candidate_stats(judgments, responses, settings.candidate, settings.reference)
    base = candidate_stats(judgments, responses, settings.baseline, settings.reference)
    for role, stats in (("candidate", cand), ("baseline", base)):
        if stats["n_prompts"] == 0 and stats["n_parse_failures"] + stats["n_errors"] == 0:
            name = getattr(settings, role)
            raise ConfigError(
                f"The {role} {name!r} has no judgments against {settings.reference!r} in suite {suite.name!r} "
                f"under its current judge and rubric ({stats['n_missing']} missing).",
                "Run the gate without --no-run (from the suite file) so it generates and judges what is "
                f"missing, or `judgebench run SUITE --model {name}`.",
            )
    checks = []
    if cand["n_prompts"] and base["n_prompts"]:
        res = paired_comparison(judgments, settings.candidate, settings.baseline, settings.reference,
                                rounds=settings.rounds, seed=settings.seed, alpha=settings.alpha)
        comparison = res.to_dict()
        checks.append(_regression(comparison, settings))
        if not res.significant and res.n:
            notes.append("No significant difference. " + mdd_line(res.n, res.min_detectable_difference, settings.alpha))
    else:
        comparison = {}
        checks.append(Check("regression", False,
                            "No prompt has a usable verdict for both models, so no comparison can clear the "
                            "candidate (see the failure checks).", None, -settings.margin or 0.0))
    checks.append(_rate_check("parse_failures", "parse-failure rate", cand["parse_failure_rate"],
                              settings.max_parse_failures, cand["n_parse_failures"], cand["n_judgments"]))
    checks.append(_rate_check("errors", "error rate", cand["error_rate"], settings.max_errors,
                              cand["n_errors"], cand["n_judgments"]))
    if settings.min_win_rate is not None:
        wr = cand["win_rate"]
        checks.append(Check(
            "min_win_rate", wr is not None and wr >= settings.min_win_rate,
            f"win rate vs {settings.reference}: {_num(wr)} (floor {settings.min_win_rate:.1f}, "
            f"{cand['n_prompts']} prompts)", wr, settings.min_win_rate))
    weak = judge_status_line({"judge_adequacy": judge_adequacy_of(judgments).to_dict()})
    if weak.startswith("The judge is too weak"):
        notes.append(weak + " A passing regression check then says little.")
    if cand["n_missing"] or base["n_missing"]:
        notes.append(f"Missing judgments (not run yet): {cand['n_missing']} for {settings.candidate}, "
                     f"{base['n_missing']} for {settings.baseline}; the comparison uses the prompts both have.")
    return GateResult(suite.name, settings, tuple(checks), comparison,
                      {"candidate": cand, "baseline": base}, manifest, tuple(notes))


def _regression(c: Mapping[str, Any], s: GateSettings) -> Check:
    """Fail only when the rule's interval lies entirely below −margin (margin 0: significantly worse)."""
    high = c["ci_high"]
    limit = -s.margin if s.margin else 0.0
    worse = high is not None and high < limit
    level = 100 * (1 - s.alpha)
    detail = (f"{s.candidate} − {s.baseline} = {_num(c['diff'], signed=True)} points vs {s.reference} "
              f"({level:g}% CI {_num(c['ci_low'], signed=True)} to {_num(high, signed=True)}, {c['n']} prompts, "
              f"bootstrap p = {p_text(c['p_value'], s.rounds)}); {_verdict(c, s)}; fails if the CI's upper bound "
              f"< {limit:+.1f}")
    return Check("regression", not worse, detail, high, limit)


def _verdict(c: Mapping[str, Any], s: GateSettings) -> str:
    v = str(c["verdict"])
    return {"A better": f"{s.candidate} better", "B better": f"{s.baseline} better"}.get(v, v)


def _rate_check(name: str, what: str, rate: float | None, limit: float, count: int, total: int) -> Check:
    passed = rate is None or rate <= limit
    return Check(name, passed, f"{what} {_num(rate, 3)} ({count} of {total} judgments), limit {limit:g}", rate, limit)


def _num(v: float | None, digits: int = 1, signed: bool = False) -> str:
    if v is None:
        return "n/a"
    return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


# -- rendering -------------------------------------------------------------------------------


def headline(result: GateResult) -> str:
    s = result.settings
    word = "PASSED" if result.passed else "FAILED"
    return f"judgebench gate {word}: {s.candidate} vs baseline {s.baseline} (suite {result.suite}, reference {s.reference})"


def to_text(result: GateResult) -> str:
    """A short terminal summary: one line per check, then the decision."""
    lines = [headline(result)]
    for c in result.checks:
        lines.append(f"  {'PASS' if c.passed else 'FAIL'}  {c.name:<15} {c.detail}")
    lines += [f"  note: {n}" for n in result.notes]
    lines.append("exit 0: passed" if result.passed else "exit 1: the gate failed (a regression or a limit)")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(result: GateResult) -> str:
    """A GitHub-flavoured summary (for $GITHUB_STEP_SUMMARY or a PR comment)."""
    s = result.settings
    mark = "✅ passed" if result.passed else "❌ failed"
    out = [f"### judgebench gate {mark}: `{s.candidate}` vs baseline `{s.baseline}`", "",
           f"Suite `{result.suite}`, reference `{s.reference}`, margin {s.margin:g} points, alpha {s.alpha:g}.", "",
           "| check | result | value | limit | detail |", "|---|---|---|---|---|"]
    for c in result.checks:
        out.append(f"| {c.name} | {'✅ pass' if c.passed else '❌ fail'} | {_num(c.value, 3)} | "
                   f"{_num(c.limit, 3)} | {_md(c.detail)} |")
    if result.manifest:
        m = result.manifest
        out += ["", f"Judged by `{(m.get('judge') or {}).get('model')}` with rubric `{m.get('rubric')}` "
                    f"({m.get('rubric_hash')}) on {m.get('n_prompts')} prompts ({m.get('prompts_hash')})."]
    out += [f"> {_md(n)}" for n in result.notes]
    return "\n".join(out) + "\n"


def to_junit(result: GateResult) -> str:
    """JUnit XML: one testcase per check, a failed check as <failure>, so CI shows which rule failed."""
    failures = sum(not c.passed for c in result.checks)
    suites = ET.Element("testsuites", name="judgebench gate", tests=str(len(result.checks)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=f"judgebench gate: {result.suite}",
                          tests=str(len(result.checks)), failures=str(failures), errors="0", skipped="0")
    props = ET.SubElement(suite, "properties")
    for k, v in asdict(result.settings).items():
        ET.SubElement(props, "property", name=k, value="" if v is None else str(v))
    classname = f"judgebench.gate.{result.suite}.{result.settings.candidate}"
    for c in result.checks:
        case = ET.SubElement(suite, "testcase", classname=classname, name=c.name, time="0")
        if not c.passed:
            failure = ET.SubElement(case, "failure", message=c.detail, type="GateCheckFailed")
            failure.text = f"value {_num(c.value, 3)}, limit {_num(c.limit, 3)}\n{c.detail}"
        else:
            ET.SubElement(case, "system-out").text = c.detail
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def to_json(result: GateResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


def with_note(result: GateResult, note: str) -> GateResult:
    """The same result with one more note (e.g. what the gate's own run did)."""
    return replace(result, notes=(*result.notes, note))
