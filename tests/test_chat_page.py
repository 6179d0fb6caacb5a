"""The chat page served by the real service (FastAPI + Gradio, uvicorn) on 127.0.0.1, driven through
gradio_client: the server side of each flow, event by event. tests/test_browser.py drives the same page in
Chromium.

Each `Client` is its own browser session, which is how two users' histories are kept apart.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from core.kb import open_kb
from core.settings import load_settings
from ingest.pipeline import ingest_paths
from tests.conftest import FIXTURES, TEST_CONFIG, pdf_with_pages
from tests.web import service_in_thread


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> Iterator[str]:
    """Its own data dir: these tests upload and delete documents."""
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path_factory.mktemp("page")))
    ingest_paths(open_kb(settings), [str(docs_dir)], settings.ingest, 32)
    with service_in_thread(settings) as url:
        yield url + "/"


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
    assert "impeller clearance and the nut torque?" in last_reply(chat)  # the topic's subject, then the follow-up
    chat = bob.predict("and the nut torque?", api_name="/chat")[0]
    assert "impeller clearance" not in last_reply(chat).split("<sub>")[-1]
    assert len(chat) == 2  # bob's conversation holds only his own turn
    alice.predict(api_name="/new_chat")
    chat = alice.predict("and the nut torque?", api_name="/chat")[0]
    assert "impeller clearance" not in last_reply(chat).split("<sub>")[-1]


def test_conversations_are_kept_reopened_exported_and_deleted_by_their_owner_only(page_url: str):
    alice = Client(page_url, verbose=False)
    _, _, listed, _ = alice.predict("What must the impeller clearance be?", api_name="/chat")
    first = listed["value"]  # the new conversation is in the list, titled by its question, and selected
    assert listed["choices"] == [["What must the impeller clearance be?", first]]
    alice.predict(api_name="/new_chat")
    reopened, picks = alice.predict(first, api_name="/open_conversation")
    assert picks["choices"][0][0].startswith("[1] ")  # its sources can be opened again
    assert len(reopened) == 2 and "pump_manual.pdf · p.2" in last_reply(reopened)  # sources kept, not just text
    chat = alice.predict("and the nut torque?", api_name="/chat")[0]
    assert "impeller clearance and the nut torque?" in last_reply(chat)  # its memory came back
    # where the time went, in the answer's language (English here, on the Chinese page): the model's figures
    # are a first token and a rate when its text is shown, one draft time when the checks held it back
    timing = last_reply(chat).split("<sub>")[-1]
    assert "retrieval" in timing and ("first token" in timing or "model draft" in timing), timing
    exported = Path(alice.predict(api_name="/export")).read_text(encoding="utf-8")
    assert exported.startswith("# What must the impeller clearance be?")
    assert "## 2. and the nut torque?" in exported and "pump_manual.pdf · p.2" in exported

    bob = Client(page_url, verbose=False)
    with pytest.raises(AppError, match="not in the list of choices"):  # alice's id is no key to her history
        bob.predict(first, api_name="/open_conversation")
    assert bob.predict(api_name="/export") is None
    _, _, bobs, _ = bob.predict("What is the maximum oil temperature?", api_name="/chat")
    assert [c[1] for c in bobs["choices"]] == [bobs["value"]]  # his list holds his conversation only

    alice.predict("Pump torque", api_name="/rename")
    assert Path(alice.predict(api_name="/export")).read_text(encoding="utf-8").startswith("# Pump torque")
    chat, listed = alice.predict(api_name="/delete")
    assert chat == [] and listed["choices"] == [] and alice.predict(api_name="/export") is None


def test_uploaded_pdf_can_be_asked_about_at_once(page_url: str, tmp_path: Path):
    pdf = pdf_with_pages(
        tmp_path / "valve sheet.pdf",
        ["Valve V-10 datasheet. Nominal size DN50.", "The valve seat of the V-10 must be lapped every 500 hours."],
    )
    client = Client(page_url, verbose=False)
    status, documents, *_ = client.predict([handle_file(str(pdf))], api_name="/upload")
    assert "valve sheet.pdf — 已导入（2 页，" in status  # the page's language: no "p." or "chunks"
    assert ["valve sheet.pdf", 2] in [row[:2] for row in documents["data"]]
    chat = client.predict("How often must the V-10 valve seat be lapped?", api_name="/chat")[0]
    assert "valve sheet.pdf · p.2" in last_reply(chat)


def test_upload_of_known_content_says_so(page_url: str, tmp_path: Path):
    copy = tmp_path / "copy of pump.pdf"
    copy.write_bytes((FIXTURES / "pump_manual.pdf").read_bytes())
    status, documents, *_ = Client(page_url, verbose=False).predict([handle_file(str(copy))], api_name="/upload")
    assert re.search(r"copy of pump\.pdf — 已是最新，跳过：与 \S*pump_manual\.pdf 内容相同", status), status
    assert "copy of pump.pdf" in [row[0] for row in documents["data"]]


def test_document_text_is_escaped_not_rendered(page_url: str, tmp_path: Path):
    note = tmp_path / "xss.md"
    note.write_text('Pump note <img src=x onerror="alert(1)"> <script>alert(2)</script>', encoding="utf-8")
    client = Client(page_url, verbose=False)
    client.predict([handle_file(str(note))], api_name="/upload")
    chat = client.predict("Pump note img script", api_name="/chat")[0]
    reply = last_reply(chat)
    assert "<img" not in reply and "<script>" not in reply  # tags are stripped at ingestion since issue 20


def test_health_and_both_interface_languages_are_served(page_url: str):
    assert httpx.get(page_url + "health").json()["status"] == "ok"
    zh = Client(page_url, verbose=False).predict("叶轮间隙应为多少？", api_name="/chat")[0]
    en = Client(page_url + "en/", verbose=False).predict("What must the impeller clearance be?", api_name="/chat")[0]
    assert "来源" in last_reply(zh) and "Sources" in last_reply(en) and "Sources" not in last_reply(zh)


def test_a_source_opens_as_its_rendered_pdf_page_with_the_passage(page_url: str):
    client = Client(page_url, verbose=False)
    _, _, _, picks = client.predict("What must the impeller clearance be?", api_name="/chat")
    labels = [label for label, _ in picks["choices"]]
    first_pdf = next(i for i, label in enumerate(labels, 1) if "pump_manual.pdf · p.2" in label)
    viewer, passage = client.predict(first_pdf, api_name="/source")
    data = re.search(r'src="data:image/jpeg;base64,([^"]+)"', viewer)
    assert data is not None, viewer[:300]
    with Image.open(io.BytesIO(base64.b64decode(data[1]))) as page:
        assert page.width == 900 and page.height > page.width  # a portrait A4 page, rendered
    assert "0.3 mm" in passage and "pump_manual.pdf · p.2" in passage


def test_settings_reach_the_answer(page_url: str):
    """top-k, evidence-only and the answer language, as the settings panel sends them. On the English page,
    so only the chosen answer language can make the answer's frame Chinese."""
    client = Client(page_url + "en/", verbose=False)
    # message, chat, top-k, evidence only, temperature, answer language, restrict to documents
    chat, _, _, picks = client.predict(
        "What must the impeller clearance be?", [], 2, True, 0.0, "zh", [], api_name="/chat"
    )
    assert len(picks["choices"]) == 2  # top-k 2
    reply = last_reply(chat)
    assert "❝ 答案引自文档原文" in reply or "❝ 仅引用文档原文" in reply  # quoted: in the answer's language (issue 21)
    assert "quoted from the documents" not in reply  # not the page's
    assert "文档原文：" in reply  # the quoted answer written in the chosen language (prompts/quoted.zh)


def test_a_question_restricted_to_one_document_cites_only_it(page_url: str):
    client = Client(page_url, verbose=False)
    documents, *_ = client.predict(api_name="/documents")
    chinese = next(row[0] for row in documents["data"] if row[0].endswith("减速机说明.pdf"))
    _, _, _, picks = client.predict(
        "What must the impeller clearance be?", [], 5, True, 0.0, "auto", [chinese], api_name="/chat"
    )
    assert picks["choices"] and all("减速机说明.pdf" in label for label, _ in picks["choices"])


def test_a_document_is_reingested_then_deleted_and_no_longer_cited(page_url: str, tmp_path: Path):
    card_text = ["Gearbox G-7 card.", "Gearbox G-7 oil is changed every 2000 h."]
    pdf = pdf_with_pages(tmp_path / "gearbox card.pdf", card_text)
    client = Client(page_url + "en/", verbose=False)
    client.predict([handle_file(str(pdf))], api_name="/upload")
    status, *_ = client.predict("gearbox card.pdf", api_name="/reingest")
    assert "gearbox card.pdf — ingested (2 pages, 2 chunks)" in status  # read again although unchanged
    question = "How often is the gearbox G-7 oil changed?"
    assert "gearbox card.pdf · p.2" in last_reply(client.predict(question, api_name="/chat")[0])
    status, documents, *_ = client.predict("gearbox card.pdf", api_name="/delete_doc")
    assert status == "Deleted: gearbox card.pdf"
    assert "gearbox card.pdf" not in [row[0] for row in documents["data"]]
    client.predict(api_name="/new_chat")
    assert "gearbox card.pdf" not in last_reply(client.predict(question, api_name="/chat")[0])
    with pytest.raises(AppError):  # no longer offered: the page cannot re-ingest what is not listed
        client.predict("gearbox card.pdf", api_name="/reingest")


def test_a_new_knowledge_base_keeps_its_own_documents_and_conversations(page_url: str, tmp_path: Path):
    """Created from the page under a Chinese name; switching back finds the first KB as it was. A session that
    did not switch stays on the configured KB."""
    client = Client(page_url + "en/", verbose=False)
    status, picker, name_box, header, chat, listed, _, documents, *_ = client.predict(
        "工艺卡 2026", api_name="/create_kb"
    )
    assert status == "" and name_box == "" and "**工艺卡 2026**" in header
    assert {"工艺卡 2026", "default"} <= {c[0] for c in picker["choices"]} and picker["value"] == "工艺卡 2026"
    # a fresh chat whose first screen is the new knowledge base's (issue 21): empty, and saying how to fill it
    assert chat["value"] == [] and "holds no documents yet" in chat["placeholder"] and chat["examples"] == []
    assert listed["choices"] == [] and documents["data"] in ([], [[None] * 4], [[""] * 4])
    card = pdf_with_pages(tmp_path / "spindle card.pdf", ["Spindle S-3 card.", "Spindle S-3 is greased weekly."])
    status, documents, *_ = client.predict([handle_file(str(card))], api_name="/upload")
    assert "spindle card.pdf — ingested" in status and [r[0] for r in documents["data"]] == ["spindle card.pdf"]
    reply = last_reply(client.predict("How often is spindle S-3 greased?", api_name="/chat")[0])
    assert "spindle card.pdf · p.2" in reply
    reply = last_reply(client.predict("What must the impeller clearance be?", api_name="/chat")[0])
    assert "pump_manual.pdf" not in reply  # the first KB's manual is not in this one

    *_, listed, _, documents, _, _ = client.predict("default", api_name="/open_kb")
    names = [Path(r[0]).name for r in documents["data"]]  # ingested by folder: listed by their full paths
    assert "pump_manual.pdf" in names and "spindle card.pdf" not in names
    assert listed["choices"] == []  # the conversation lives in 工艺卡 2026, not here
    reply = last_reply(client.predict("How often is spindle S-3 greased?", api_name="/chat")[0])
    assert "spindle card.pdf" not in reply
    stranger, *_ = Client(page_url + "en/", verbose=False).predict(api_name="/documents")
    assert "spindle card.pdf" not in [r[0] for r in stranger["data"]]


def test_a_knowledge_base_name_that_is_a_path_is_refused_in_words(page_url: str):
    status, picker, *_ = Client(page_url + "en/", verbose=False).predict("../etc", api_name="/create_kb")
    assert "cannot name a knowledge base" in status and picker["value"] == "default"


@pytest.fixture(scope="module")
def troubled(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> Iterator[tuple[str, Path]]:
    """Three things users get wrong: the LLM file is missing, a KB was built with another embedding model (the
    packaged English MiniLM, really ingested), uploads are over `ingest.max_file_mb`."""
    data_dir = tmp_path_factory.mktemp("troubled")
    settings = load_settings(TEST_CONFIG, data_dir=str(data_dir))
    settings.llm.model_path = str(data_dir / "models" / "qwen-7b-missing.gguf")
    ingest_paths(open_kb(settings), [str(docs_dir / "pump_manual.pdf")], settings.ingest, 32)
    settings.ingest.max_file_mb = 0.005  # for the page's uploads (the manual above is 3 kB over it)
    minilm = load_settings(TEST_CONFIG, data_dir=str(data_dir), kb="minilm")
    minilm.embedding.provider = "sentence-transformers"
    ingest_paths(open_kb(minilm), [str(docs_dir / "冷却塔.txt")], minilm.ingest, 32)
    with service_in_thread(settings) as url:
        yield url + "/en/", data_dir


def test_errors_are_shown_in_plain_words_never_as_a_traceback(troubled: tuple[str, Path], tmp_path: Path):
    url, data_dir = troubled
    client = Client(url, verbose=False)
    reply = last_reply(client.predict("What must the impeller clearance be?", api_name="/chat")[0])
    assert reply.startswith("Something went wrong: LLM model file not found")
    assert "qwen-7b-missing.gguf" in reply and "Traceback" not in reply
    assert "pump_manual.pdf · p.2" in reply  # the passages found are still shown

    status, picker, *_ = client.predict("minilm", api_name="/open_kb")
    assert "built with embedding model" in status and "sentence-transformers" in status and "Traceback" not in status
    assert picker["value"] == "default"  # the session stays where it was

    big = tmp_path / "big manual.txt"
    big.write_text("Pump P-1 manual. " * 1000, encoding="utf-8")  # 17 kB > 5 kB
    small = tmp_path / "small note.txt"
    small.write_text("The P-1 seal is checked monthly.", encoding="utf-8")
    job = client.submit([handle_file(str(big)), handle_file(str(small))], api_name="/upload")
    final, documents, *_ = job.result()
    assert "big manual.txt — failed: too large (0.0162 MB; the limit is 0.005 MB)" in final
    assert "small note.txt — ingested" in final and "waiting" not in final
    assert any("files ·" in out[0] for out in job.outputs()[:-1])  # progress came while it ran
    assert "small note.txt" in [r[0] for r in documents["data"]]
    kept = {p.name for p in (data_dir / "uploads" / "default").iterdir()}
    assert kept == {"small note.txt"}  # the file over the limit was not stored
