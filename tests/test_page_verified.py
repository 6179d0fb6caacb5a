"""The page's side of issue 22, through gradio_client against the real service (uvicorn in this process, real
Chroma, the packaged e5): a verified answer served in the chat with who, when and what it rests on; the verified
answers panel listing, editing, flagging (a source document uploaded again with other content), confirming and
deleting; and what the knowledge base lacks (👎 and "not found" questions), with its CSV. The thumbs and the
correction are driven in Chromium (tests/test_browser_feedback.py): Gradio's like event is the browser's."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from core.settings import load_settings
from tests.conftest import TEST_CONFIG
from tests.web import service_in_thread

NOTE = "CoolCut 8 datasheet. The pH of the working solution must stay between 8.5 and 9.5.\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path_factory.mktemp("page-verified")))
    with service_in_thread(settings) as url:
        yield url


def upload(client: Client, folder: Path, text: str) -> None:
    note = folder / "coolant.txt"
    note.write_text(text, encoding="utf-8")
    status, *_ = client.predict([handle_file(str(note))], api_name="/upload")
    assert "coolant.txt" in status, status


def ask(client: Client, question: str) -> str:
    """In a new conversation each time: a question that follows another may be read as a follow-up."""
    client.predict(api_name="/new_chat")
    return client.predict(question, api_name="/chat")[0][-1]["content"][0]["text"]


def test_verified_answer_is_served_marked_with_its_sources_and_managed_in_the_panel(served: str, tmp_path: Path):
    page = Client(served + "/en/", verbose=False)
    upload(page, tmp_path, NOTE)
    item = {"question": "What is the pH range of the coolant?", "answer": "8.5 to 9.5.", "by": "alice",
            "sources": [{"document": "coolant.txt", "text": NOTE}]}  # fmt: skip
    added = httpx.post(f"{served}/api/kbs/default/verified", json=item, timeout=300)
    assert added.status_code == 200, added.text

    reply = ask(page, "What pH range should the coolant have?")
    assert reply.startswith("Verified · alice · ") and "8.5 to 9.5." in reply
    assert "an answer the team verified" in reply  # its state line (it raised KeyError on the page before)
    assert "**Verified against**" in reply and "- coolant.txt" in reply  # what it rests on

    summary, table, picks, _, _ = page.predict(api_name="/verified")
    assert "1 verified answers, 0 to review" in summary
    assert table["data"][0][:4] == ["active", item["question"], "8.5 to 9.5.", "alice"]
    assert table["data"][0][5] == "coolant.txt"
    verified_id = picks["choices"][0][1]
    # (the confirm button it shows for a flagged answer only is not handed to an API client: test_browser_feedback)
    question, answer, sources, review = page.predict(verified_id, api_name="/verified_pick")
    assert (question, answer, sources, review) == (item["question"], "8.5 to 9.5.", "coolant.txt", "")

    status, _, table, *_ = page.predict(
        verified_id, item["question"], "Between 8.5 and 9.5.", "coolant.txt", "bob", api_name="/verified_save"
    )
    assert status == "Changes saved" and table["data"][0][2:4] == ["Between 8.5 and 9.5.", "bob"]
    # Its sources changed in the panel: a document the KB does not hold is refused and nothing changes.
    status, *_ = page.predict(verified_id, item["question"], "x", "nowhere.pdf", "bob", api_name="/verified_save")
    assert "nowhere.pdf" in status and "is not a document of knowledge base" in status
    assert page.predict(api_name="/verified")[1]["data"][0][2] == "Between 8.5 and 9.5."
    (tmp_path / "sheet").mkdir()
    sheet = tmp_path / "sheet" / "mixing.txt"
    sheet.write_text("CoolCut 8 is mixed at 5 % in water.\n", encoding="utf-8")
    assert "mixing.txt" in page.predict([handle_file(str(sheet))], api_name="/upload")[0]
    both = "coolant.txt\nmixing.txt · p.1"
    status, _, table, *_ = page.predict(
        verified_id, item["question"], "Between 8.5 and 9.5.", both, "bob", api_name="/verified_save"
    )
    assert status == "Changes saved" and table["data"][0][5] == "coolant.txt; mixing.txt · p.1"
    reply = ask(page, "What pH range should the coolant have?")
    assert reply.startswith("Verified · bob · ") and "Between 8.5 and 9.5." in reply  # the edit is served

    upload(page, tmp_path, NOTE.replace("8.5 and 9.5", "8.0 and 9.0"))  # the source changes
    summary, table, *_ = page.predict(api_name="/verified")
    assert "1 verified answers, 1 to review" in summary
    assert table["data"][0][0].startswith("⚠ to review: coolant.txt")
    _, _, _, review = page.predict(verified_id, api_name="/verified_pick")
    assert review.startswith("To review: coolant.txt")
    reply = ask(page, "What pH range should the coolant have?")
    assert not reply.startswith("Verified")  # not served until confirmed

    status, summary, *_ = page.predict(verified_id, "carol", api_name="/verified_confirm")
    assert status == "Confirmed: served again" and "1 verified answers, 0 to review" in summary
    reply = ask(page, "What pH range should the coolant have?")
    assert reply.startswith("Verified · carol · ")

    status, summary, table, picks, *_ = page.predict(verified_id, api_name="/verified_delete")
    assert status == "Verified answer deleted" and "0 verified answers" in summary
    assert table["data"] in ([], [["", "", "", "", "", ""]]) and picks["choices"] == []


def test_what_the_knowledge_base_lacks_is_listed_and_exported(served: str):
    page = Client(served + "/en/", verbose=False)
    missing = "What is the torque of the tailstock quill clamp?"
    for _ in range(2):  # asked twice: counted twice
        reply = ask(page, missing)
        assert "not found" in reply
    vote = {"kb": "default", "rating": "down", "question": "Which grease for the spindle?", "answer": "…"}
    assert httpx.post(f"{served}/api/feedback", json=vote, timeout=60).status_code == 200

    *_, gaps, report = page.predict(api_name="/verified")
    rows = [row[:3] for row in gaps["data"]]
    assert ["👎 voted down", "Which grease for the spindle?", 1] in rows
    assert ["not found", missing, 2] in rows
    with open(report, encoding="utf-8-sig", newline="") as f:  # the same table as `feedback report --csv`
        exported = list(csv.reader(f))
    assert exported[0] == ["kind", "question", "times", "last_at"]
    assert ["not_found", missing, "2"] in [row[:3] for row in exported]
    assert ["down", "Which grease for the spindle?", "1"] in [row[:3] for row in exported]
