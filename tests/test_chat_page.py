"""The chat page served by a real Gradio server on 127.0.0.1, driven through gradio_client.

Each `Client` is its own browser session, which is how two users' histories are kept apart.
(Real-browser tests come with the chat-page issue; this checks the server side of the same flows.)
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from gradio_client import Client, handle_file

from app.server import build_app
from core.settings import load_settings
from tests.conftest import FIXTURES, TEST_CONFIG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def page_url(kb_dir: Path) -> Iterator[str]:
    settings = load_settings(TEST_CONFIG, data_dir=str(kb_dir))
    demo = build_app(settings)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def last_reply(chat: list[dict]) -> str:
    return chat[-1]["content"][0]["text"]


def test_answer_comes_with_sources_and_page_numbers(page_url: str):
    chat, _ = Client(page_url, verbose=False).predict("What must the impeller clearance be?", api_name="/chat")
    reply = last_reply(chat)
    assert chat[-2]["content"][0]["text"] == "What must the impeller clearance be?"
    assert "pump_manual.pdf · p.2" in reply and "0.3 mm" in reply


def test_follow_up_uses_memory_of_its_own_session_only(page_url: str):
    alice, bob = Client(page_url, verbose=False), Client(page_url, verbose=False)
    alice.predict("What must the impeller clearance be?", api_name="/chat")
    chat, _ = alice.predict("and the nut torque?", api_name="/chat")
    assert "What must the impeller clearance be? and the nut torque?" in last_reply(chat)
    chat, _ = bob.predict("and the nut torque?", api_name="/chat")
    assert "impeller clearance" not in last_reply(chat).split("<sub>")[-1]
    assert len(chat) == 2  # bob's conversation holds only his own turn
    alice.predict(api_name="/new_chat")
    chat, _ = alice.predict("and the nut torque?", api_name="/chat")
    assert "impeller clearance" not in last_reply(chat).split("<sub>")[-1]


def two_page_pdf(path: Path, pages: list[str]) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def test_uploaded_pdf_can_be_asked_about_at_once(page_url: str, tmp_path: Path):
    pdf = two_page_pdf(
        tmp_path / "valve sheet.pdf",
        ["Valve V-10 datasheet. Nominal size DN50.", "The valve seat of the V-10 must be lapped every 500 hours."],
    )
    client = Client(page_url, verbose=False)
    status, documents = client.predict([handle_file(str(pdf))], api_name="/upload")
    assert "valve sheet.pdf" in status and "2 p." in status and "valve sheet.pdf" in documents
    chat, _ = client.predict("How often must the V-10 valve seat be lapped?", api_name="/chat")
    assert "valve sheet.pdf · p.2" in last_reply(chat)


def test_upload_of_known_content_says_so(page_url: str, tmp_path: Path):
    copy = tmp_path / "copy of pump.pdf"
    copy.write_bytes((FIXTURES / "pump_manual.pdf").read_bytes())
    status, documents = Client(page_url, verbose=False).predict([handle_file(str(copy))], api_name="/upload")
    assert "copy of pump.pdf" in status and "same content as" in status and "pump_manual.pdf" in status
    assert "copy of pump.pdf" in documents


def test_document_text_is_escaped_not_rendered(page_url: str, tmp_path: Path):
    note = tmp_path / "xss.md"
    note.write_text('Pump note <img src=x onerror="alert(1)"> <script>alert(2)</script>', encoding="utf-8")
    client = Client(page_url, verbose=False)
    client.predict([handle_file(str(note))], api_name="/upload")
    chat, _ = client.predict("Pump note img script", api_name="/chat")
    reply = last_reply(chat)
    assert "&lt;img" in reply and "<img" not in reply and "<script>" not in reply
