"""The chat page under an accessibility checker (issue 21): axe-core (Deque's rules, the axe.min.js that the
`axe-playwright-python` package carries, so no npm download at test time) injected into the page in Debian's
Chromium, on the states a user passes through: the first screen in Chinese, an answer with its cited page open
in the viewer, and the English page. No violation of impact "serious" or "critical" (WCAG 2 A/AA rules).

Same server and waits as tests/test_browser_checking.py.
"""

from __future__ import annotations

import json
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.test_browser import ANSWER_TIMEOUT_MS, browser, new_page, open_page  # noqa: F401  (browser: a fixture)
from tests.test_browser_checking import MANUAL, ask, cite_link, page, service  # noqa: F401  (fixtures)

RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = ("serious", "critical")


def blocking(page: Page) -> list[dict[str, Any]]:  # noqa: F811
    """The serious and critical violations on the page once it is still, each with the elements it names. A
    component waiting for an event's output is drawn at opacity 0.2 by Gradio (".pending") and fades back in
    after it: checked before or during the fade, its text fails colour contrast (CI: 1.81:1 pending, 4.14:1
    fading back). So the check waits for no pending component and no running finite animation or transition."""
    page.wait_for_function(
        "!document.querySelector('.pending, .generating') &&"
        " !document.getAnimations().some(a => a.playState === 'running' && a.effect"
        " && a.effect.getComputedTiming().endTime !== Infinity)",  # a fade, not a spinner
        timeout=ANSWER_TIMEOUT_MS,
    )
    found = Axe().run(page, options={**RULES, "resultTypes": ["violations"]}).response["violations"]
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [(n["target"], n["html"][:160], n.get("failureSummary", "")[:240]) for n in v["nodes"]][:6],
        }
        for v in found
        if v["impact"] in BLOCKING
    ]


def test_the_first_screen_has_no_serious_accessibility_violation(service: str, page: Page):  # noqa: F811
    open_page(page, service + "/")
    # The examples come after the question box: checked before them, their list went unseen (Gradio's role="list"
    # of buttons, a critical violation that the page's script now makes a group).
    expect(page.locator("#chat button.example")).to_have_count(3)
    found = blocking(page)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)


def test_an_answer_and_its_cited_page_have_no_serious_accessibility_violation(service: str, page: Page):  # noqa: F811
    open_page(page, service + "/en/")
    ask(page, "What is the maximum speed of the ZK-200 spindle?")
    href = cite_link(page, 0, MANUAL.name)
    page.locator(f"#chat a.zhiku-cite[href='{href}']").first.click()
    expect(page.locator("#page-image img.zhiku-page")).to_be_visible()
    found = blocking(page)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)


def test_the_checker_finds_a_violation_it_is_shown(service: str, page: Page):  # noqa: F811
    """The check can fail: a button without a name, put into the page, is reported."""
    open_page(page, service + "/")
    page.evaluate("() => { const b = document.createElement('button'); document.body.appendChild(b); }")
    assert any(v["id"] == "button-name" for v in blocking(page))
