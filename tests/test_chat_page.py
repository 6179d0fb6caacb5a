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
from gradio_client.exceptions import AppError

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
    chat = Client(page_url, verbose=False).predict("What must the impeller clearance be?", api_name="/chat")[0]
    reply = last_reply(chat)
    assert chat[-2]["content"][0]["text"] == "What must the impeller clearance be?"
    assert "pump_manual.pdf · p.2" in reply and "0.3 mm" in reply


def test_follow_up_uses_memory_of_its_own_session_only(page_url: str):
    alice, bob = Client(page_url, verbose=False), Client(page_url, verbose=False)
    alice.predict("What must the impeller clearance be?", api_name="/chat")
    chat = alice.predict("and the nut torque?", api_name="/chat")[0]
    assert "What must the impeller clearance be? and the nut torque?" in last_reply(chat)
    chat = bob.predict("and the nut torque?", api_name="/chat")[0]
    assert "impeller clearance" not in last_reply(chat).split("<sub>")[-1]
    assert len(chat) == 2  # bob's conversation holds only his own turn
    alice.predict(api_name="/new_chat")
    chat = alice.predict("and the nut torque?", api_name="/chat")[0]
    assert "impeller clearance" not in last_reply(chat).split("<sub>")[-1]


def test_conversations_are_kept_reopened_exported_and_deleted_by_their_owner_only(page_url: str):
    alice = Client(page_url, verbose=False)
    _, _, listed = alice.predict("What must the impeller clearance be?", api_name="/chat")
    first = listed["value"]  # the new conversation is in the list, titled by its question, and selected
    assert listed["choices"] == [["What must the impeller clearance be?", first]]
    alice.predict(api_name="/new_chat")
    reopened = alice.predict(first, api_name="/open_conversation")
    assert len(reopened) == 2 and "pump_manual.pdf · p.2" in last_reply(reopened)  # sources kept, not just text
    chat = alice.predict("and the nut torque?", api_name="/chat")[0]
    assert "What must the impeller clearance be? and the nut torque?" in last_reply(chat)  # its memory came back
    assert "首字" in last_reply(chat) and "token/s" in last_reply(chat)  # where the time went (UI in Chinese)
    exported = Path(alice.predict(api_name="/export")).read_text(encoding="utf-8")
    assert exported.startswith("# What must the impeller clearance be?")
    assert "## 2. and the nut torque?" in exported and "pump_manual.pdf · p.2" in exported

    bob = Client(page_url, verbose=False)
    with pytest.raises(AppError, match="not in the list of choices"):  # alice's id is no key to her history
        bob.predict(first, api_name="/open_conversation")
    assert bob.predict(api_name="/export") is None
    _, _, bobs = bob.predict("What is the maximum oil temperature?", api_name="/chat")
    assert [c[1] for c in bobs["choices"]] == [bobs["value"]]  # his list holds his conversation only

    alice.predict("Pump torque", api_name="/rename")
    assert Path(alice.predict(api_name="/export")).read_text(encoding="utf-8").startswith("# Pump torque")
    chat, listed = alice.predict(api_name="/delete")
    assert chat == [] and listed["choices"] == [] and alice.predict(api_name="/export") is None


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
    chat = client.predict("How often must the V-10 valve seat be lapped?", api_name="/chat")[0]
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
    chat = client.predict("Pump note img script", api_name="/chat")[0]
    reply = last_reply(chat)
    assert "&lt;img" in reply and "<img" not in reply and "<script>" not in reply
