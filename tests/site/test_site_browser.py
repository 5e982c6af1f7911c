"""The generated page in a real browser (Debian's chromium driven by Playwright).

Loads the page from file:// with hostile data and checks what a reader would meet: nothing from
the data runs, sorting works, the explorer shows both responses as literal text, and the page
makes no network request and logs no error. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from site_samples import MODELS, PAYLOADS, REFERENCE, WIN

from judgebench.site import publish, write_site

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install playwright"
)
if shutil.which(CHROMIUM) is None:
    pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True)


class Watched:
    """A page plus every request, console message and uncaught error it produced."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def site(tmp_path: Path, leaderboard: dict[str, Any], explorer: dict[str, Any]) -> Path:
    return write_site(tmp_path / "leaderboards", "demo", leaderboard, explorer)


@pytest.fixture
def watched(browser: Any, site: Path) -> Iterator[Watched]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    w = Watched(ctx.new_page())
    w.page.goto(site.as_uri())
    yield w
    ctx.close()


def _first_column(page: Any) -> list[str]:
    return page.eval_on_selector_all("#lb-table tbody tr", "rows => rows.map(r => r.dataset.model)")


def _pwned(page: Any) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title() == "demo · judgebench leaderboard"


def test_no_script_from_the_data_runs(watched: Watched) -> None:
    page = watched.page
    page.locator("#ex-list button").first.wait_for()
    for i in range(len(PAYLOADS)):
        page.locator(f'#ex-list button[data-pid="p{i:02d}"]').click()
    for model in MODELS:
        page.select_option("#ex-model", model)
    _pwned(page)
    assert page.locator("img, iframe, textarea, object, embed").count() == 0
    assert page.locator("style").count() == 1 and page.locator("script").count() == 2
    assert not page.locator("a[href^='javascript' i]").count()


def test_sort_by_clicking_headers(watched: Watched) -> None:
    page = watched.page
    by_win = sorted(MODELS, key=lambda m: WIN[m])
    assert _first_column(page) == by_win[::-1]  # server order: best first
    header = page.locator('#lb-table th[data-key="win"] button')
    header.click()
    assert _first_column(page) == by_win[::-1]
    assert page.get_attribute('#lb-table th[data-key="win"]', "aria-sort") == "descending"
    header.click()
    assert _first_column(page) == by_win
    assert page.get_attribute('#lb-table th[data-key="win"]', "aria-sort") == "ascending"
    page.locator('#lb-table th[data-key="model"] button').click()
    assert _first_column(page) == sorted(MODELS)
    # a column with a missing value: nulls stay last in both directions
    lc = page.locator('#lb-table th[data-key="lc"] button')
    lc.click()
    assert _first_column(page)[-1] == "sft-dolly-15k"
    lc.click()
    assert _first_column(page)[-1] == "sft-dolly-15k"


def test_explorer_shows_both_responses_and_both_verdicts_as_text(watched: Watched) -> None:
    page = watched.page
    page.select_option("#ex-model", "sft-lima-1k")
    page.fill("#ex-q", "</script><script>")
    sync_api.expect(page.locator("#ex-list button")).to_have_count(1)  # after the search debounce
    page.locator('#ex-list button[data-pid="p04"]').click()
    model = page.locator('#ex-detail [data-role="model-response"]')
    ref = page.locator('#ex-detail [data-role="reference-response"]')
    assert model.is_visible() and ref.is_visible()
    assert model.text_content() == f"sft-lima-1k answers: {PAYLOADS[4]}"
    assert ref.text_content() == f"{REFERENCE} answers: {PAYLOADS[4]}"
    assert (
        page.locator('#ex-detail [data-role="prompt"]').text_content()
        == f"Prompt 4: please repeat {PAYLOADS[4]}"
    )
    orders = page.eval_on_selector_all("#ex-detail .jcard", "cs => cs.map(c => c.dataset.order)")
    assert orders == ["AB", "BA"]
    reasons = page.eval_on_selector_all(
        '#ex-detail [data-role="reasoning"]', "rs => rs.map(r => r.textContent)"
    )
    assert reasons == [f"[AB] The judge thinks: {PAYLOADS[4]}", f"[BA] The judge thinks: {PAYLOADS[5]}"]
    _pwned(page)


def test_explorer_filters_by_category_and_outcome(watched: Watched) -> None:
    page = watched.page
    page.select_option("#ex-model", "sft-lima-1k")
    page.select_option("#ex-outcome", "loss")
    badges = page.eval_on_selector_all("#ex-list .badge", "bs => bs.map(b => b.textContent)")
    assert badges and set(badges) == {"loss"}
    page.select_option("#ex-outcome", "")
    page.select_option("#ex-cat", "<b>math</b>")
    ids = page.eval_on_selector_all("#ex-list button", "bs => bs.map(b => b.dataset.pid)")
    assert ids == ["p02", "p05", "p08"]


def test_missing_response_is_shown_as_missing(watched: Watched) -> None:
    page = watched.page
    page.select_option("#ex-model", "sft-dolly-15k")
    page.locator('#ex-list button[data-pid="p01"]').click()
    assert page.locator('[data-role="model-response"]').text_content() == "(no response stored)"


def test_no_network_requests_and_no_console_errors(watched: Watched, site: Path) -> None:
    page = watched.page
    page.locator('#lb-table th[data-key="bt"] button').click()
    page.locator("#ex-list button").nth(2).click()
    page.fill("#ex-q", "prompt")
    page.wait_for_timeout(300)  # let the search debounce fire; not a time limit
    assert watched.requests == [site.as_uri()]
    assert [m for m in watched.console if m[0] in ("error", "warning")] == []
    assert watched.errors == []


def test_deep_link_opens_a_prompt(browser: Any, site: Path) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(site.as_uri() + "#model=sft-oasst-9k&ref=ref-instruct&prompt=p07")
    assert (
        page.locator('[data-role="model-response"]').text_content() == f"sft-oasst-9k answers: {PAYLOADS[7]}"
    )
    assert page.input_value("#ex-model") == "sft-oasst-9k"
    ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_artifact(browser: Any, site: Path, scheme: str) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = ctx.new_page()
    page.goto(site.as_uri())
    page.locator('#ex-list button[data-pid="p01"]').click()
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"site-demo-{scheme}.png"
    page.screenshot(path=str(out), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / f"site-demo-print-{scheme}.png"), full_page=True)
    assert out.stat().st_size > 10_000
    ctx.close()


def test_index_links_to_the_suite_and_published_copy_works(browser: Any, site: Path, tmp_path: Path) -> None:
    out = publish(site.parent.parent, None, tmp_path / "pages")
    assert (out / ".nojekyll").is_file()
    ctx = browser.new_context()
    page = ctx.new_page()
    w = Watched(page)
    page.goto((out / "index.html").as_uri())
    page.locator("#suites a", has_text="demo").click()
    page.wait_for_url("**/demo/index.html")
    assert page.locator("#lb-table tbody tr").count() == len(MODELS)
    assert w.errors == [] and [m for m in w.console if m[0] == "error"] == []
    assert all(u.startswith("file://") for u in w.requests)
    ctx.close()


def test_large_explorer_renders_rows_on_demand(
    browser: Any, tmp_path: Path, leaderboard: dict[str, Any]
) -> None:
    """1,000 prompts × 6 models: the list shows 100 rows, "show more" adds 100, detail is lazy."""
    n = 1000
    models = [f"m{i}" for i in range(6)]
    prompts = [{"id": f"q{i}", "text": f"question {i} <b>{i}</b>", "category": f"c{i % 4}"} for i in range(n)]
    responses = {m: {p["id"]: f"{m} says {p['id']}" for p in prompts} for m in [*models, "ref"]}
    outcomes = {m: {"ref": {p["id"]: (i % 3) / 2 for i, p in enumerate(prompts)}} for m in models}
    judgments = {
        m: {
            "ref": {
                p["id"]: [
                    {
                        "order": "AB",
                        "sample": 0,
                        "label": "A",
                        "preference": 1.0,
                        "reasoning": "r",
                        "status": "ok",
                    }
                ]
                for p in prompts
            }
        }
        for m in models
    }
    exp = {
        "prompts": prompts,
        "models": models,
        "references": ["ref"],
        "responses": responses,
        "judgments": judgments,
        "outcomes": outcomes,
    }
    page_path = write_site(tmp_path, "big", leaderboard, exp)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(page_path.as_uri())
    assert page.locator("#ex-list li").count() == 100
    assert page.locator("#ex-count").text_content() == "Showing 100 of 1000 matching prompts."
    page.click("#ex-more")
    assert page.locator("#ex-list li").count() == 200
    assert page.locator("#ex-detail .jcard").count() == 0
    page.select_option("#ex-outcome", "tie")
    assert page.locator("#ex-count").text_content() == "Showing 100 of 333 matching prompts."
    page.select_option("#ex-outcome", "")
    page.fill("#ex-q", "question 999")
    sync_api.expect(page.locator("#ex-list li")).to_have_count(1)  # after the search debounce
    page.locator("#ex-list button").first.click()
    assert page.locator('[data-role="model-response"]').text_content() == "m0 says q999"
    ctx.close()


def test_outcomes_are_derived_from_judgments_when_missing(
    browser: Any, tmp_path: Path, leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    del explorer["outcomes"]
    page_path = write_site(tmp_path, "demo", leaderboard, explorer)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(page_path.as_uri())
    page.select_option("#ex-model", "sft-lima-1k")
    page.select_option("#ex-outcome", "none")
    ids = page.eval_on_selector_all("#ex-list button", "bs => bs.map(b => b.dataset.pid)")
    assert ids == ["p03"]  # the parse failure
    ctx.close()


def test_references_are_not_offered_as_models_and_empty_responses_say_so(
    browser: Any, tmp_path: Path, leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    explorer["models"] = [*MODELS, REFERENCE]  # as the report stage writes it: every suite model
    explorer["responses"]["sft-lima-1k"]["p02"] = ""  # a response that ended as an error
    page_path = write_site(tmp_path, "demo", leaderboard, explorer)
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(page_path.as_uri())
    options = page.eval_on_selector_all("#ex-model option", "os => os.map(o => o.value)")
    assert options == MODELS
    page.locator('#ex-list button[data-pid="p02"]').click()
    assert page.locator('[data-role="model-response"]').text_content() == "(empty response)"
    ctx.close()


def test_leaderboard_fits_a_1400px_window_without_hiding_columns(
    browser: Any, tmp_path: Path, leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    """Avg length, Parse failures and Errors are visible at 1400 px, with long text in the table."""
    for k, row in enumerate(leaderboard["rows"]):  # the demo's long training descriptions
        row["training_dataset"] = "3 hand-written demonstrations (in context), then filtered " + "x" * k
        row["base_model"] = "SmolLM2-135M-Instruct"
    page_path = write_site(tmp_path / "wide", "demo", leaderboard, explorer)
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    page.goto(page_path.as_uri())
    box = page.evaluate(
        "(() => { const s = document.querySelector('#lb-table').parentElement;"
        " return [s.scrollWidth, s.clientWidth]; })()"
    )
    assert box[0] <= box[1], box
    for key in ("len", "pf", "err"):
        header = page.locator(f'#lb-table th[data-key="{key}"]')
        right = page.evaluate("w => w.getBoundingClientRect().right", header.element_handle())
        assert header.is_visible() and right <= 1400
    ctx.close()
