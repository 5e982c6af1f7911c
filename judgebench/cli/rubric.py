"""``judgebench rubric render|check``: see exactly what the judge sees, and lint a template offline.

``render`` uses the suite's own rubric, protocol and stored responses (nothing is requested, no
API key is needed); ``check`` validates a template file on its own: syntax, undefined variables,
the sandbox, and whether it tells the judge the verdict format its protocol parses. Problems
exit 2 with one paragraph saying what is wrong and how to fix it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from judgebench.cli.app import boundary, main
from judgebench.errors import ConfigError, TemplateError
from judgebench.rubrics import Rubric, load_rubric, sample_variables
from judgebench.suggest import unknown_name


def verdict_format_problems(rubric: Rubric) -> list[str]:
    """What the rendered template fails to tell the judge about the verdict its protocol reads.

    A label the text never names is a verdict the judge will never give; a template that asks for
    neither the JSON field nor a ``[[...]]`` tag gets answers no parser can read.
    """
    protocol = rubric.protocol
    text = rubric.render(**sample_variables(rubric))
    lowered = text.lower()
    problems: list[str] = []
    field = "score" if protocol.score_range is not None else "verdict"
    if f'"{field}"' not in text and "[[" not in text:
        problems.append(f'it never asks for the verdict: mention the JSON field "{field}" or a [[...]] tag')
    if protocol.score_range is not None:
        low, high = (str(int(x)) for x in protocol.score_range)
        missing = [b for b in (low, high) if not re.search(rf"(?<!\d){b}(?!\d)", text)]
        if missing:
            problems.append(f"it never states the score range {low}-{high} (missing: {', '.join(missing)})")
    else:
        missing = [lab for lab in protocol.labels if lab.lower() not in lowered]
        if missing:
            problems.append(f"it never names the label(s) {', '.join(repr(m) for m in missing)} "
                            f"of protocol {protocol.name!r} ({', '.join(protocol.labels)})")
    return problems


def check_template(path: Path, protocol: str | None) -> Rubric:
    """Load and lint a template; raises TemplateError (exit 2) on any problem."""
    rubric = load_rubric(str(path.resolve()), protocol)
    problems = verdict_format_problems(rubric)
    if problems:
        raise TemplateError(
            f"Rubric template {path} (protocol {rubric.protocol.name}): " + "; ".join(problems) + ".",
            f"Ask for a JSON object matching {json.dumps(rubric.protocol.schema()['properties'])}, "
            "and/or a [[...]] tag fallback, naming every label (see docs/rubrics.md).",
        )
    return rubric


def render_request(suite_path: Path, prompt_id: str, model: str | None, order: str, reference: str | None,
                   store_path: Path | None) -> tuple[dict[str, Any], list[str]]:
    """The judge request for one judgment (messages, schema) and notes about placeholders used."""
    from judgebench import judge as judging
    from judgebench import pipeline, plan
    from judgebench.store import Store

    prepared = pipeline.load(suite_path)
    suite, rubric = prepared.suite, prepared.rubric
    prompts = {p.id: p for p in prepared.prompts}
    if prompt_id not in prompts:
        ids = ", ".join(list(prompts)[:10]) + (" ..." if len(prompts) > 10 else "")
        raise ConfigError(f"No prompt {prompt_id!r} in {suite.prompts}.", f"Prompt ids: {ids}.")
    pairwise = rubric.protocol.kind == "pairwise"
    names = [m.name for m in suite.models]
    if model is None:
        model = next((n for n in names if not (pairwise and n in suite.references)), names[0])
    if model not in names:
        raise unknown_name("model", model, names, suite.name)
    if pairwise and model in suite.references:
        raise ConfigError(f"{model!r} is a reference: the {rubric.protocol.name} protocol compares models with it.",
                          "Pass --model with a model under test.")
    if reference is not None and reference not in suite.references:
        raise unknown_name("reference", reference, suite.references, suite.name)
    planned = [p for p in plan.judgments(suite, [prompts[prompt_id]], rubric, [model])
               if p.sample == 0 and (not pairwise or (p.order == order and p.reference == (reference or suite.references[0])))]
    if not planned:
        raise ConfigError(f"The suite never judges {model!r} on {prompt_id!r} in order {order}.",
                          f"judge.orders is {suite.judge.orders!r}; try --order AB.")
    item = planned[0]
    store_path = store_path or pipeline.default_store(suite_path)
    rows: dict[str, Any] = {}
    if store_path.exists():
        with Store(store_path) as store:
            rows = store.responses(k for k in (item.model_response, item.reference_response) if k)
    notes: list[str] = []

    def shown(key: str, name: str) -> tuple[str, list[str]]:
        row = rows.get(key)
        if row is not None and row.status == "ok":
            return row.text or "", list(row.info.get("answers") or [row.text or ""])
        notes.append(f"no stored response of {name!r} for prompt {prompt_id!r} (store {store_path}); "
                     "a placeholder stands in: run `judgebench generate` first to see the real text")
        turns = prompts[prompt_id].turns
        return f"<response of {name}>", [f"<response of {name}, turn {i + 1}>" for i in range(len(turns))]

    judge = judging.Judge(suite.judge, rubric)
    prompt = prompts[prompt_id]
    if item.reference_response is None:
        text = judge.render(prompt, shown(item.model_response, model), None)
    else:
        mine, theirs = shown(item.model_response, model), shown(item.reference_response, item.reference)
        first, second = (mine, theirs) if order == "AB" else (theirs, mine)
        text = judge.render(prompt, first, second)
    request = judge.describe_request(text) | {
        "judged": {"model": model, "reference": item.reference, "prompt_id": prompt_id, "order": item.order},
    }
    return request, notes


@main.group("rubric")
def rubric_group() -> None:
    """Rubric templates: render what the judge sees, check a template offline."""


@rubric_group.command("render")
@click.argument("suite", type=click.Path(dir_okay=False))
@click.option("--prompt", "prompt_id", required=True, help="Prompt id.")
@click.option("--model", help="Model judged (default: the first model under test).")
@click.option("--order", type=click.Choice(["AB", "BA"]), default="AB", show_default=True,
              help="AB: the model is shown as A; BA: as B (pairwise protocols).")
@click.option("--reference", help="Reference to compare with (default: the suite's first).")
@click.option("--store", type=click.Path(dir_okay=False), help="Store with the responses (default: beside the suite).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole request (messages, schema) as JSON.")
@boundary
def render(suite: str, prompt_id: str, model: str | None, order: str, reference: str | None, store: str | None,
           as_json: bool) -> None:
    """Print exactly what the judge will see for one judgment (nothing is requested)."""
    request, notes = render_request(Path(suite), prompt_id, model, order, reference, Path(store) if store else None)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        click.echo(json.dumps(request, indent=2, ensure_ascii=False))
        return
    messages = request["messages"]
    if len(messages) == 1:
        click.echo(messages[0]["content"], nl=False)
        return
    for m in messages:
        click.echo(f"=== {m['role']} ===")
        click.echo(m["content"])


@rubric_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--protocol", help="Verdict protocol (default: the template's `{# protocol: NAME #}` header).")
@boundary
def check(path: str, protocol: str | None) -> None:
    """Validate a rubric template without calling anything: syntax, variables, sandbox, verdict format."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"No template file at {p}.", "Pass the path to a .j2 rubric template.")
    rubric = check_template(p, protocol)
    proto = rubric.protocol
    click.echo(f"OK: {p} renders for protocol {proto.name!r} ({proto.kind}).")
    click.echo(f"Verdict schema: {json.dumps(proto.schema())}")
