"""The store keeps ok rows forever, retries failures, and keys change only with content."""

from __future__ import annotations

from pathlib import Path

from judgebench.config import GenerationParams, ModelSpec
from judgebench.plan import response_key
from judgebench.records import Prompt
from judgebench.store import Store


def test_ok_rows_are_never_overwritten_and_failures_are(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        store.put_response("k1", status="error", error="boom")
        store.put_response("k1", status="ok", text="first")
        store.put_response("k1", status="ok", text="second")
        store.put_response("k1", status="error", error="late failure")
        row = store.responses(["k1"])["k1"]
        assert (row.status, row.text, row.attempts) == ("ok", "first", 2)
        store.put_judgment("j1", status="parse_failure", raw="garbage")
        store.put_judgment("j1", status="parse_failure", raw="garbage again")
        assert store.judgments(["j1"])["j1"].attempts == 2
        assert store.integrity_ok()


def test_response_key_depends_on_content_not_names() -> None:
    params = GenerationParams()
    prompt = Prompt("p1", ("Hello?",))
    a = ModelSpec(name="a", model="m", base_url="http://x/v1")
    renamed = ModelSpec(name="b", model="m", base_url="http://x/v1", concurrency=3)
    assert response_key(a, params, prompt, 0) == response_key(renamed, params, prompt, 0)
    assert response_key(a, params, Prompt("other-id", ("Hello?",)), 0) == response_key(a, params, prompt, 0)
    changed = [
        response_key(ModelSpec(name="a", model="m2", base_url="http://x/v1"), params, prompt, 0),
        response_key(ModelSpec(name="a", model="m", base_url="http://y/v1"), params, prompt, 0),
        response_key(a, GenerationParams(temperature=0.5), prompt, 0),
        response_key(a, params, Prompt("p1", ("Hello!",)), 0),
        response_key(a, params, prompt, 1),
        response_key(ModelSpec(name="a", model="m", base_url="http://x/v1", system_prompt="Be brief."), params, prompt, 0),
    ]
    assert len({response_key(a, params, prompt, 0), *changed}) == 7
