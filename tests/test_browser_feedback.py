"""👍/👎, correcting an answer and the verified answers panel in a real browser (Debian Chromium, Playwright)
against `python -m app serve` over real PDFs, the packaged models and real Chroma (issue 22). Waits are for states
of the page (tests/test_browser.py: `WAIT_MS` for each, never a fixed sleep)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePath

import pytest
from playwright.sync_api import Page, expect

from core.kb.feedback import FeedbackStore
from tests.conftest import TEST_CONFIG, run_cli
from tests.test_browser import ANSWER_TIMEOUT_MS, ask, browser, new_page, open_page, shot  # noqa: F401  (browser: a fixture)
from tests.web import free_port, serve_process

QUESTION = "What must the impeller clearance be?"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> Iterator[tuple[str, Path]]:
    """As `test_browser.page_service`, also handing over the data dir: the votes are read back from it."""
    data_dir = tmp_path_factory.mktemp("browser-feedback")
    ingested = run_cli("ingest", str(docs_dir), data_dir=data_dir)
    assert ingested.returncode == 0, ingested.stderr
    env = {**os.environ, "ZHIKU_DATA_DIR": str(data_dir), "GRADIO_ANALYTICS_ENABLED": "False"}
    with serve_process(env, free_port(), ["--config", str(TEST_CONFIG)]) as url:
        yield url, data_dir


@pytest.fixture
def page(browser) -> Iterator[Page]:  # noqa: F811
    p = new_page(browser, viewport={"width": 1500, "height": 1000}, locale="en-US")
    yield p
    p.context.close()


def votes(data_dir: Path) -> list[dict]:
    (manifest,) = (data_dir / "manifests").glob("*.sqlite3")  # the one knowledge base
    store = FeedbackStore(manifest)
    try:
        return store.entries(10)
    finally:
        store.close()


def thumb(page: Page, name: str) -> None:
    """The last answer's thumb (Gradio's own buttons, labelled in English on the English page)."""
    page.locator(f"#chat button[aria-label='{name}']").last.click()


def test_a_thumb_is_stored_with_its_reason_and_a_correction_is_served_verified(served: tuple[str, Path], page: Page):
    url, data_dir = served
    open_page(page, url + "/en/")
    ask(page, QUESTION)
    thumb(page, "Like")
    expect(page.locator("#feedback-status")).to_contain_text(f"Recorded 👍 for: {QUESTION}")
    thumb(page, "Dislike")  # changing one's mind replaces the vote
    expect(page.locator("#feedback-status")).to_contain_text(f"Recorded 👎 for: {QUESTION}")
    page.locator("#feedback-reason textarea").fill("the clearance is per side")
    page.locator("#feedback-save").click()
    expect(page.locator("#feedback-status")).to_contain_text("reason saved")
    (vote,) = votes(data_dir)
    assert (vote["rating"], vote["question"], vote["reason"], vote["by"]) == (
        "down",
        QUESTION,
        "the clearance is per side",
        "page",
    )
    assert "0.3 mm" in vote["answer"] and any(
        PurePath(s["source"]).name == "pump_manual.pdf" and s["page"] == 2 for s in vote["sources"]
    )

    page.locator("#correct").get_by_text("Correct it as a verified answer").click()
    expect(page.locator("#correct-question textarea")).to_have_value(QUESTION)
    page.locator("#correct-answer textarea").fill("0.3 mm on each side of the impeller.")
    page.locator("#correct-sources label", has_text="pump_manual.pdf · p.2").first.click()
    page.locator("#correct-name textarea").fill("alice")
    page.locator("#correct-save").click()
    expect(page.locator("#correct-status")).to_contain_text("Saved as a verified answer (alice · ")
    shot(page, "feedback-and-correction.png")

    page.locator("#new-chat").click()
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(0)
    answer = ask(page, "What should the impeller clearance be?")  # another wording of the same question
    assert answer.startswith("Verified · alice · ") and "0.3 mm on each side of the impeller." in answer
    assert "Verified against" in answer and "pump_manual.pdf · p.2" in answer

    # A rewording the matcher keeps apart ("gap" for "clearance") is answered from the documents, and the verified
    # question is offered under it in its own words: a click asks it as written and gets the verified answer.
    bots = page.locator("#chat [data-testid='bot']")
    reworded = ask(page, "What must the impeller gap be?")
    assert not reworded.startswith("Verified") and "The team verified a similar question" in reworded
    offered = bots.last.locator("a.zhiku-ask")
    expect(offered).to_have_text(QUESTION)
    shot(page, "similar-verified-question.png")
    before = bots.count()
    offered.click()
    expect(bots).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    expect(bots.last).to_contain_text("Verified · alice · ", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#chat [data-testid='user']").last).to_have_text(QUESTION)


def test_the_panel_lists_flags_and_confirms_and_shows_what_is_lacking(served: tuple[str, Path], page: Page):
    url, _ = served
    open_page(page, url + "/en/")
    page.locator("#verified-panel").get_by_text("Verified answers and gaps").click()
    expect(page.locator("#verified-summary")).to_contain_text("1 verified answers, 0 to review")
    expect(page.locator("#verified-table")).to_contain_text(QUESTION)
    expect(page.locator("#gaps")).to_contain_text(QUESTION)  # the 👎 of the first test
    expect(page.locator("#gaps-csv")).to_be_visible()

    # the source document goes: the answer is flagged, said why, and offered for confirming
    page.locator("#doc-pick input").click()
    page.get_by_role("option", name="pump_manual.pdf").first.click()
    page.locator("#delete-doc").click()
    page.locator("#confirm-delete-doc").click()
    expect(page.locator("#upload-status")).to_contain_text(re.compile(r"Deleted: .*pump_manual\.pdf"))
    expect(page.locator("#chat")).to_contain_text("documents: 2")  # the first screen follows the deletion
    page.locator("#verified-refresh").click()
    expect(page.locator("#verified-summary")).to_contain_text("1 verified answers, 1 to review")
    expect(page.locator("#verified-table")).to_contain_text(re.compile(r"⚠ to review: .*pump_manual\.pdf"))
    page.locator("#verified-pick input").click()
    page.get_by_role("option", name=f"⚠ to review {QUESTION}").click()
    expect(page.locator("#verified-review")).to_contain_text(re.compile(r"To review: .*pump_manual\.pdf"))
    expect(page.locator("#verified-answer textarea")).to_have_value("0.3 mm on each side of the impeller.")
    expect(page.locator("#verified-sources textarea")).to_have_value(re.compile(r"^pump_manual\.pdf"))
    shot(page, "verified-panel.png")
    page.locator("#verified-name textarea").fill("bob")
    page.locator("#verified-confirm").click()
    expect(page.locator("#verified-status")).to_contain_text("Confirmed: served again")
    expect(page.locator("#verified-summary")).to_contain_text("1 verified answers, 0 to review")
    expect(page.locator("#verified-confirm")).to_be_hidden()  # shown for a flagged answer only
    expect(page.locator("#verified-table")).to_contain_text("bob")
