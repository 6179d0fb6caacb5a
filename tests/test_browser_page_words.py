"""The chat page's own controls in a real browser (issue 21): Gradio's words in the page's language whatever the
browser's, the upload label listing what the loaders read, deleting only after a second click (the chat's trash
icon included, which now deletes for real), and export in one click named from the whole title.

Same server and waits as tests/test_browser_checking.py (an English browser on the Chinese page on purpose).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from app.web.page.gradio_words import GRADIO_WORDS
from ingest.loaders import LOADERS
from tests.test_browser import browser, loaded, open_page, shot  # noqa: F401  (fixture)
from tests.test_browser_checking import ask, page, service  # noqa: F401  (fixtures: an English browser)

QUESTION = "What is the maximum speed of the ZK-200 spindle?"
ENGLISH_DEFAULTS = {"Drop File Here", "Click to Upload", "Copy message", "Clear", "Share", "Download", "Remove"}


def labels_shown(page: Page) -> set[str]:  # noqa: F811
    return set(
        page.evaluate(
            "() => [...document.querySelectorAll('[aria-label],[title]')]"
            ".flatMap(e => [e.getAttribute('aria-label'), e.getAttribute('title')]).filter(Boolean)"
        )
    )


def test_gradio_words_are_chinese_on_the_chinese_page_in_an_english_browser(service: str, page: Page):  # noqa: F811
    open_page(page, service + "/")
    upload = page.locator("#upload")
    zh = GRADIO_WORDS["zh"]
    expect(upload).to_contain_text(zh["upload_text.drop_file"])
    expect(upload).to_contain_text(zh["upload_text.click_to_upload"])
    for extension in LOADERS:  # the label lists what the loaders read
        expect(upload).to_contain_text(extension.lstrip(".").upper())
    ask(page, QUESTION)
    shown = labels_shown(page)
    assert zh["chatbot.clear"] in shown and zh["chatbot.copy_message"] in shown
    assert not shown & ENGLISH_DEFAULTS
    assert "Drop File Here" not in page.locator("body").inner_text()
    shot(page, "chinese-page-words.png")


def test_a_conversation_is_deleted_only_after_a_second_click(service: str, page: Page):  # noqa: F811
    open_page(page, service + "/en/")
    ask(page, QUESTION)
    listed = page.locator("#conversations label")
    expect(listed).to_have_count(1)
    # the chat's trash icon: the answer stays in view, and only a confirmation appears
    page.locator(f"#chat button[aria-label='{GRADIO_WORDS['en']['chatbot.clear']}']").click()
    expect(page.locator("#confirm-delete-chat")).to_be_visible()
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(1)
    page.locator("#cancel-delete-chat").click()
    expect(page.locator("#confirm-delete-chat")).to_be_hidden()
    expect(listed).to_have_count(1)
    page.locator("#delete-chat").click()
    expect(listed).to_have_count(1)
    page.locator("#confirm-delete-chat").click()
    expect(listed).to_have_count(0)
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(0)
    page.reload()  # deleted for real, not only hidden
    loaded(page)
    expect(page.locator("#kb")).to_be_visible()
    expect(page.locator("#conversations label")).to_have_count(0)


def test_export_downloads_in_one_click_named_from_the_whole_title(service: str, page: Page):  # noqa: F811
    open_page(page, service + "/en/")
    ask(page, QUESTION)
    title = "报警代码 AL-210/AL-105"
    page.locator("#rename-title textarea").fill(title)
    page.locator("#rename").click()
    expect(page.locator("#conversations")).to_contain_text(title)
    expect(page.locator("#export")).to_be_enabled()
    with page.expect_download(timeout=30_000) as caught:
        page.locator("#export").click()  # one click
    download = caught.value
    assert download.suggested_filename == "报警代码 AL-210_AL-105.md"
    text = download.path().read_text(encoding="utf-8")
    assert text.startswith(f"# {title}") and "12,000" in text
