"""The chat page's first screen, reload and answer controls in a real browser (issue 21): the first screen says what
the knowledge base holds and offers example questions drawn from its documents (a click asks one); a reload comes
back to this browser's knowledge base and conversation; Regenerate replaces the last answer; Stop stops the
server's generation and frees the model. Debian Chromium driven by Playwright against `python -m app serve`, the
packaged models, real PDFs; waits are for states (tests/test_browser.py explains why they are generous).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import FIXTURES, TEST_CONFIG, pdf_with_pages, run_cli
from tests.test_browser import (  # noqa: F401  (browser: a fixture)
    ANSWER_TIMEOUT_MS,
    browser,
    loaded,
    new_page,
    open_page,
    page_service,
    shot,
    upload,
)
from tests.test_client_gone import CODES, LONG, Server
from tests.web import free_port, serving

DONE = re.compile(r"(retrieval|检索|cache|缓存) \d+ ms")  # the timing line: only a finished answer has it
EXAMPLES = "#chat button.example"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> Iterator[str]:
    with page_service(tmp_path_factory, docs_dir, "controls") as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    p = new_page(browser, viewport={"width": 1500, "height": 1000}, locale="en-US")
    yield p
    p.context.close()


def bots(page: Page):
    return page.locator("#chat [data-testid='bot']")


def wait_answered(page: Page, count: int) -> str:
    """Until the chat shows `count` answers, the last one finished; its text."""
    expect(bots(page)).to_have_count(count, timeout=ANSWER_TIMEOUT_MS)
    expect(bots(page).nth(count - 1)).to_contain_text(DONE, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#send")).to_be_enabled()
    return bots(page).nth(count - 1).inner_text()


def ask(page: Page, question: str) -> str:
    before = bots(page).count()
    page.locator("#question textarea").fill(question)
    page.locator("#send").click()
    return wait_answered(page, before + 1)


def open_kb(page: Page, name: str) -> None:
    page.locator("#kb-name textarea, #kb-name input").first.fill(name)
    page.locator("#kb-create").click()
    expect(page.locator("#header")).to_contain_text(name)


def test_the_first_screen_says_what_the_kb_holds_and_an_example_question_is_asked(service: str, page: Page):
    open_page(page, service + "/en/")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("documents: 3")  # pump_manual.pdf, 减速机说明.pdf, 冷却塔.txt
    expect(chat).to_contain_text("pump_manual.pdf")
    expect(page.locator(EXAMPLES)).to_have_count(3)
    expect(page.locator("#stop")).to_be_disabled()  # nothing runs, nothing was answered: neither can do anything
    expect(page.locator("#regenerate")).to_be_disabled()
    example = page.locator(EXAMPLES).nth(0).inner_text().strip()
    assert "pump manual" in example or "减速机说明" in example  # made from a document's own section
    shot(page, "first-screen.png")
    page.locator(EXAMPLES).nth(0).click()
    answer = wait_answered(page, 1)
    expect(page.locator("#chat [data-testid='user']").first).to_have_text(example)
    assert re.search(r"(pump_manual\.pdf|减速机说明\.pdf) · p\.\d", answer), answer  # answered from its document
    expect(page.locator(EXAMPLES)).to_have_count(0)  # the first screen gives way to the conversation
    expect(page.locator("#regenerate")).to_be_enabled()  # an answer is kept: it can be asked again
    expect(page.locator("#stop")).to_be_disabled()
    open_kb(page, "empty-one")  # switched: the first screen is the new knowledge base's
    expect(chat).to_contain_text("holds no documents yet")
    expect(chat).to_contain_text("python -m ingest <folder> --kb empty-one")
    expect(page.locator(EXAMPLES)).to_have_count(0)
    expect(page.locator("#regenerate")).to_be_disabled()  # the new KB's first screen: nothing to ask again


def test_the_page_takes_no_click_until_it_is_back_in_its_place(service: str, page: Page):
    """Until the load chain ends, a click would be undone by the restore of this browser's place."""
    open_page(page, service + "/en/")
    events = "() => getComputedStyle(document.querySelector('.gradio-container > .main')).pointerEvents"
    assert page.evaluate(events) != "none"
    page.evaluate("() => { delete document.body.dataset.zhikuLoaded; }")  # as before the load chain's end
    assert page.evaluate(events) == "none"


def test_the_first_screen_is_in_the_pages_language(service: str, page: Page):
    open_page(page, service + "/")
    expect(page.locator("#chat")).to_contain_text("文档 3 份")
    expect(page.locator("#chat")).to_contain_text("点一个问题试试")
    expect(page.locator(EXAMPLES)).to_have_count(3)


def test_a_reload_comes_back_to_this_browsers_kb_and_conversation(service: str, browser: Browser, tmp_path: Path):  # noqa: F811
    first = new_page(browser, locale="en-US")
    open_page(first, service + "/en/")
    open_kb(first, "reload-kb")
    card = pdf_with_pages(
        tmp_path / "gearbox card.pdf", ["Gearbox G-7 card.", "Gearbox G-7 oil is changed every 2000 h."]
    )
    upload(first, card)
    expect(first.locator("#chat")).to_contain_text("gearbox card.pdf")  # the first screen follows the upload
    question = "How often is the gearbox G-7 oil changed?"
    kept = first.evaluate("() => localStorage.getItem('zhiku-place')")
    assert "gearbox card.pdf · p.2" in ask(first, question)
    # The browser keeps its place (encrypted) once the new conversation is known: a state to wait for, as a
    # loaded machine may run that write after the answer is shown.
    first.wait_for_function("kept => localStorage.getItem('zhiku-place') !== kept", arg=kept)
    first.reload()
    loaded(first)
    expect(first.locator("#kb input")).to_have_value("reload-kb")
    expect(first.locator("#header")).to_contain_text("reload-kb")
    expect(first.locator("#documents")).to_contain_text("gearbox card.pdf")
    expect(first.locator("#chat [data-testid='user']")).to_have_text([question])
    expect(bots(first).first).to_contain_text("gearbox card.pdf · p.2")
    expect(first.locator("#conversations input:checked")).to_have_count(1)
    assert "gearbox" in ask(first, "and what oil is used?").lower()  # the conversation goes on where it was
    second = new_page(browser, locale="en-US")  # another browser: its own place, the configured KB
    open_page(second, service + "/en/")
    expect(second.locator("#header")).to_contain_text("default")
    expect(second.locator(EXAMPLES)).to_have_count(3)
    expect(bots(second)).to_have_count(0)
    first.context.close()
    second.context.close()


def test_regenerate_replaces_the_last_answer_in_the_view_and_the_conversation(service: str, page: Page):
    open_page(page, service + "/en/")
    kept = page.evaluate("() => localStorage.getItem('zhiku-place')")
    ask(page, "What must the impeller clearance be?")
    page.wait_for_function("kept => localStorage.getItem('zhiku-place') !== kept", arg=kept)  # as in the reload test
    page.evaluate(
        """() => { window.__states = new Set();
        new MutationObserver(() => { const b = document.querySelectorAll('#chat [data-testid="bot"]');
          if (b.length) window.__states.add(b[b.length - 1].innerText); })
        .observe(document.body, {subtree: true, childList: true, characterData: true}); }"""
    )
    page.locator("#regenerate").click()
    page.wait_for_function("() => [...window.__states].some(s => !/(retrieval|cache) \\d+ ms/.test(s))")
    answer = wait_answered(page, 1)  # answered anew, in the old answer's place
    assert "0.3 mm" in answer and "cache" not in answer.split("\n")[-1]  # not the cached answer
    expect(page.locator("#chat [data-testid='user']")).to_have_count(1)
    page.reload()  # the conversation kept one answer for the question
    loaded(page)
    expect(page.locator("#chat [data-testid='user']")).to_have_text(["What must the impeller clearance be?"])
    expect(bots(page)).to_have_count(1)


@pytest.fixture(scope="module")
def talkative(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose model talks on for a minute or more (tests/test_client_gone.py explains how)."""
    data_dir, docs = tmp_path_factory.mktemp("stop-data"), tmp_path_factory.mktemp("stop-docs")
    (docs / "codes.txt").write_text(CODES, encoding="utf-8")
    (docs / "pump_manual.pdf").write_bytes((FIXTURES / "pump_manual.pdf").read_bytes())
    assert run_cli("ingest", str(docs), data_dir=data_dir).returncode == 0
    env = {
        **os.environ, "ZHIKU_DATA_DIR": str(data_dir), "GRADIO_ANALYTICS_ENABLED": "False",
        "ZHIKU_LLM__MAX_TOKENS": "2000", "ZHIKU_LLM__REPEAT_PENALTY": "1.0", "ZHIKU_CACHE__ENABLED": "false",
    }  # fmt: skip
    port = free_port()
    with serving(env, port, args=["--config", str(TEST_CONFIG)]) as (_, process):
        yield Server(process, port)


def test_stop_stops_the_servers_generation_and_frees_the_model(talkative: Server, page: Page):
    open_page(page, talkative.url + "/en/")
    page.locator("#question textarea").fill(LONG)
    page.locator("#send").click()
    expect(bots(page).first).to_contain_text("the model is drafting", timeout=ANSWER_TIMEOUT_MS)
    talkative.wait_busy()
    expect(page.locator("#regenerate")).to_be_disabled()  # the answer runs: only Stop can act
    page.locator("#stop").click()
    expect(bots(page).first).to_contain_text("Stopped: this answer was not kept in the conversation.")
    expect(page.locator("#stop")).to_be_disabled()
    expect(page.locator("#regenerate")).to_be_disabled()  # the stopped answer was not kept: nothing to replace
    talkative.wait_idle()  # the model stopped (a running answer keeps the server busy for a minute or more)
    expect(page.locator("#send")).to_be_enabled()
    assert "0.3 mm" in ask(page, "What must the impeller clearance be?")  # the model is free for the next question
    page.reload()  # the stopped answer was not kept: the conversation holds the one answered after it
    loaded(page)
    expect(page.locator("#chat [data-testid='user']")).to_have_text(["What must the impeller clearance be?"])
