"""The chat page on a phone (issue 21): on a 390×844 touch screen the chat and the question box come first, the
side panels (knowledge bases, conversations, settings, upload, documents, verified answers) are behind a menu
button named in the page's language, a tapped [n] opens the cited page at the screen's width with the evidence
marked, nothing overflows sideways, and axe finds no serious or critical violation. A wide window keeps the three
columns and shows no menu.

Debian Chromium driven by Playwright against `python -m app serve` with the packaged models and the ZK-200 manual
(the server of tests/test_browser_checking.py); waits are for states, never for the machine's speed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from app.web.page.labels import LABELS
from tests.test_browser import browser, new_page, open_page, shot  # noqa: F401  (browser: a fixture)
from tests.test_browser_a11y import blocking
from tests.test_browser_checking import MANUAL, ask, cite_link, service, viewer_image  # noqa: F401  (fixtures)

WIDTH, HEIGHT = 390, 844
MARGINS = 48  # the page's and the viewer's own padding on both sides, together


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:  # noqa: F811
    p = new_page(browser, viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True, locale="zh-CN")
    yield p
    p.context.close()


def overflow(page: Page) -> int:
    """How far the page reaches past the screen's right edge, in CSS pixels (a sideways scroll when > 0)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def assert_accessible(page: Page) -> None:
    found = blocking(page)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)


def test_the_question_box_comes_first_and_the_panels_wait_behind_the_menu(service: str, phone: Page):  # noqa: F811
    open_page(phone, service + "/")
    assert phone.evaluate("() => window.scrollY") == 0
    expect(phone.locator("#question textarea")).to_be_in_viewport(ratio=1)  # whole, without scrolling
    expect(phone.locator("#send")).to_be_in_viewport(ratio=1)
    expect(phone.locator("#chat")).to_be_in_viewport()
    for panel in ("#kb", "#conversations", "#upload", "#documents", "#verified-panel"):
        expect(phone.locator(panel)).to_be_hidden()
    expect(phone.get_by_role("button", name=LABELS["zh"]["menu"], exact=True)).to_be_in_viewport(ratio=1)
    expect(phone.locator("#chat button.example")).to_have_count(3)  # the first screen is complete
    assert overflow(phone) <= 1
    assert_accessible(phone)


def test_the_menu_shows_the_panels_and_gives_the_chat_back(service: str, phone: Page):  # noqa: F811
    open_page(phone, service + "/")
    phone.get_by_role("button", name=LABELS["zh"]["menu"], exact=True).tap()
    for panel in ("#kb", "#new-chat", "#conversations", "#settings", "#upload", "#documents", "#verified-panel"):
        expect(phone.locator(panel)).to_be_visible()
    expect(phone.locator("#kb")).to_be_in_viewport()
    expect(phone.locator("#question textarea")).to_be_hidden()
    expect(phone.locator("#documents")).to_contain_text(MANUAL.name)  # the table drawn though it was hidden
    back = phone.get_by_role("button", name=LABELS["zh"]["back_to_chat"], exact=True)
    expect(back).to_be_focused()  # the menu button it replaces is gone: focus stays on the toggle
    assert overflow(phone) <= 1
    assert_accessible(phone)
    shot(phone, "phone-menu.png")
    back.tap()
    expect(phone.locator("#question textarea")).to_be_in_viewport(ratio=1)
    expect(phone.locator("#kb")).to_be_hidden()
    phone.get_by_role("button", name=LABELS["zh"]["menu"], exact=True).tap()
    phone.locator("#new-chat").tap()  # choosing a chat in the menu goes back to it by itself
    expect(phone.locator("#question textarea")).to_be_in_viewport(ratio=1)
    expect(phone.locator("#upload")).to_be_hidden()


def test_a_tapped_citation_opens_the_marked_page_at_the_screens_width(service: str, phone: Page):  # noqa: F811
    open_page(phone, service + "/en/")
    answer = ask(phone, "What is the maximum speed of the ZK-200 spindle?")
    assert "12,000" in answer
    phone.locator(f"#chat a.zhiku-cite[href='{cite_link(phone, 0, MANUAL.name)}']").first.tap()  # the one tap
    image, marks = viewer_image(phone)
    assert marks  # the evidence is marked on the page image
    expect(phone.locator("#passage mark").first).to_contain_text("Maximum speed")
    expect(phone.locator("#page-image .zhiku-viewer")).to_be_in_viewport()
    zoomed = "w => (document.querySelector('#page-image img.zhiku-page') || {}).clientWidth >= w"
    phone.wait_for_function(zoomed, arg=1.9 * (WIDTH - MARGINS))  # the script zooms once the image has loaded
    scroller = phone.locator("#page-image .zhiku-view-scroll").bounding_box()
    assert scroller is not None and scroller["width"] >= WIDTH - MARGINS, scroller  # the screen's width
    assert scroller["x"] >= 0 and scroller["x"] + scroller["width"] <= WIDTH
    shown = phone.locator("#page-image img.zhiku-page").bounding_box()
    assert shown is not None and shown["width"] >= 1.9 * (WIDTH - MARGINS), shown  # zoomed in: letters to read
    assert image.width >= shown["width"]  # rendered at least as wide as shown: zoom has pixels to show
    ratio = shown["width"] / image.width  # the first marked line is in the viewer, not off to a side
    x0, y0 = shown["x"] + marks[0][0] * ratio, shown["y"] + marks[0][1] * ratio
    assert scroller["x"] <= x0 < scroller["x"] + scroller["width"], (x0, scroller)
    assert scroller["y"] <= y0 < scroller["y"] + scroller["height"], (y0, scroller)
    assert overflow(phone) <= 1
    assert_accessible(phone)
    shot(phone, "phone-answer.png")
    phone.get_by_role("button", name=LABELS["en"]["menu"], exact=True).tap()
    phone.locator("#conversations label").filter(has_text="maximum speed").first.tap()  # back to the chat by itself
    expect(phone.locator("#question textarea")).to_be_in_viewport(ratio=1)
    expect(phone.locator("#chat [data-testid='bot']")).to_have_count(1)


def test_a_wide_window_keeps_three_columns_and_no_menu(service: str, browser: Browser):  # noqa: F811
    wide = new_page(browser, viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    open_page(wide, service + "/")
    expect(wide.locator("#menu-open")).to_be_hidden()
    expect(wide.locator("#menu-close")).to_be_hidden()
    boxes = [wide.locator(c).bounding_box() for c in ("#side-panel", "#chat-column", "#docs-panel")]
    assert all(boxes), boxes
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"], boxes  # side by side, in this order
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and abs(boxes[1]["y"] - boxes[2]["y"]) < 2, boxes
    wide.context.close()
