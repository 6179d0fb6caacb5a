"""Uploading in the page (issue 21; issue 20's "embedding 37 %"): each file's own row with its stage, percentage and
time left, results in the page's language, and an encrypted PDF ingested with a password typed in the page.

The real service (`python -m app serve`, real e5 and GGUF, real Chroma) in a subprocess, shared with the browser
tests' fixture; the progress is read from every update the server streams (gradio_client keeps each one), so it
does not depend on how fast the machine embeds; the password flow runs in Debian's Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from playwright.sync_api import Page, expect
from pypdf import PdfReader, PdfWriter

from tests.conftest import pdf_with_pages
from tests.test_browser import ask, browser, loaded, open_page, page, page_service, shot, upload  # noqa: F401  (fixtures)
from tests.test_browser_controls import open_kb

EMBEDDING = re.compile(r"searchable by keywords · embedding (\d+) of (\d+) chunks \((\d+) %\)(?: · about (.+) left)?")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> Iterator[str]:
    with page_service(tmp_path_factory, docs_dir, "upload") as url:
        yield url


def manual_pages(count: int) -> list[str]:
    """Pages of distinct facts, about 1,500 characters each: several chunks a page, several batches a file."""
    return [
        " ".join(f"Line 7 station {p}-{i}: the clamp C-{p}{i} is set to {p * 10 + i} N and checked each shift."
                 for i in range(18))
        for p in range(count)
    ]  # fmt: skip


def row_of(status: str, name: str) -> str:
    return next((line for line in status.splitlines() if line.startswith(f"- {name} — ")), "")


def test_a_files_row_shows_its_percentage_and_time_left_before_it_is_done(service: str, tmp_path: Path):
    pdf = pdf_with_pages(tmp_path / "line 7 manual.pdf", manual_pages(16))
    job = Client(service + "/en/", verbose=False).submit([handle_file(str(pdf))], api_name="/upload")
    final = job.result()[0]
    rows = [row_of(out[0], "line 7 manual.pdf") for out in job.outputs()[:-1]]
    assert rows and all(rows), rows  # the file has its own row in every update
    found = [m for row in rows if (m := EMBEDDING.search(row))]
    percents = [int(m[3]) for m in found]
    assert percents[0] == 0 and found[0][4] is None  # searchable by keywords first; no time left before a rate
    assert any(0 < p < 100 for p in percents), rows  # a percentage while it embeds, never 100 before done
    assert percents == sorted(percents) and max(percents) <= 99
    assert all(m[4] for m in found if int(m[1]) > 0)  # once a batch is done, the time left at its rate
    total = int(found[0][2])
    assert total > 32  # more than one batch of embedding.batch_size (32)
    assert re.search(r"- line 7 manual\.pdf — ingested \(16 pages, \d+ chunks\)", final), final
    assert "embedding" not in final and "waiting" not in final


def encrypted_pdf(path: Path, pages: list[str], password: str) -> Path:
    plain = pdf_with_pages(path.with_name("plain " + path.name), pages)
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    with path.open("wb") as fh:
        writer.write(fh)
    plain.unlink()
    return path


def test_an_encrypted_pdf_is_ingested_with_a_password_typed_in_the_page(service: str, page: Page, tmp_path: Path):  # noqa: F811
    locked = encrypted_pdf(
        tmp_path / "quality plan.pdf",
        ["Quality plan QP-9 for line 7.", "The QP-9 torque wrench must be calibrated every 90 days."],
        password="Zk-7788",
    )
    open_page(page, service + "/en/")
    upload(page, locked)
    status = page.locator("#upload-status")
    expect(status).to_contain_text("quality plan.pdf — failed: the PDF is encrypted: it needs a password")
    expect(status).not_to_contain_text("ingest.passwords")  # the loader's English line is not shown
    expect(page.locator("#unlock")).to_be_visible()
    expect(page.locator("#locked-file input")).to_have_value("quality plan.pdf")
    password = page.locator("#pdf-password input")
    expect(password).to_have_attribute("type", "password")
    password.fill("not-it")
    page.locator("#unlock-pdf").click()
    expect(status).to_contain_text("quality plan.pdf — failed: wrong password")
    expect(password).to_have_value("")  # the box is emptied: the password stays in no page
    shot(page, "upload-password.png")
    page.reload()  # what waits for a password is read from the manifest: a reload offers it again
    loaded(page)
    expect(page.locator("#question textarea")).to_be_visible()
    expect(page.locator("#unlock")).to_be_visible()
    expect(page.locator("#locked-file input")).to_have_value("quality plan.pdf")
    open_kb(page, "no-locked-files")  # another knowledge base: nothing of its own waits for a password
    expect(page.locator("#unlock")).to_be_hidden()
    page.locator("#kb input").click()
    page.get_by_role("option", name="default", exact=True).click()
    expect(page.locator("#header")).to_contain_text("default")
    expect(page.locator("#unlock")).to_be_visible()
    password.fill("Zk-7788")
    page.locator("#unlock-pdf").click()
    expect(status).to_contain_text(re.compile(r"quality plan\.pdf — ingested \(2 pages, \d+ chunks\)"))
    expect(page.locator("#unlock")).to_be_hidden()  # nothing waits for a password any more

    answer = ask(page, "How often must the QP-9 torque wrench be calibrated?")
    assert "quality plan.pdf · p.2" in answer
    page.locator("#source-pick input").click()
    page.get_by_role("option", name="quality plan.pdf · p.2").first.click()
    expect(page.locator("#passage")).to_contain_text("every 90 days")
    # the page image too: the password is kept in the server's memory for the viewer
    expect(page.locator("#page-image img.zhiku-page")).to_be_visible()
