"""The chat page's per-file upload rows (app/web/page/upload_rows.py) and the kinds of the loaders' error lines
(ingest/reasons.py): what each stage says in both page languages, figures that never mislead (no time left before
a rate, never negative, never 100 % before done), and real loader errors in the page's words.

The per-file figures come from the real pipeline (ingest/pipeline.py) with the quick tier's fake embedder."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from app.web.page.labels import LABELS
from app.web.page.upload_rows import file_row, percent, reason_text, result_text, seconds_left, stage_text, time_text
from core.kb import open_kb
from core.settings import IngestSettings, Settings
from ingest.errors import FileIngestError
from ingest.loaders import check_stat, load_pages
from ingest.pipeline import ingest_paths
from ingest.reasons import REASONS, reason_of
from ingest.report import FileProgress, FileResult, IngestReport, Status
from tests.conftest import pdf_with_pages

ZH, EN = LABELS["zh"], LABELS["en"]


def embedding(done: int, total: int, since: float = 100.0) -> FileProgress:
    return FileProgress(pages_read=63, chunks_total=total, chunks_done=done, embedding_since=since)


def test_percent_is_floored_and_never_100_before_the_file_is_done():
    assert percent(0, 280) == 0
    assert percent(104, 280) == 37  # 37.14
    assert percent(279, 280) == 99 and percent(280, 280) == 99  # the manifest's write is still to come
    assert percent(5, 0) == 0


def test_no_time_left_before_a_rate_is_seen_and_never_negative():
    assert seconds_left(FileProgress(pages_read=3), now=200.0) is None  # still reading
    assert seconds_left(embedding(0, 280), now=200.0) is None  # no batch done: no rate
    assert seconds_left(embedding(32, 128, since=100.0), now=108.0) == pytest.approx(24.0)  # 4 chunks/s, 96 left
    assert seconds_left(embedding(32, 128, since=100.0), now=99.0) is None  # a clock read before the start
    assert seconds_left(embedding(128, 128), now=200.0) is None  # nothing left: the result row comes next


def test_time_left_is_whole_seconds_then_minutes_in_the_page_language():
    assert time_text(0.2, EN) == "1 s" and time_text(24.0, ZH) == "24 秒"
    assert time_text(75.4, EN) == "1 min 16 s" and time_text(75.4, ZH) == "1 分 16 秒"


def test_each_stage_has_its_own_words():
    assert stage_text(None, ZH, now=0.0) == "等待中…"
    assert stage_text(FileProgress(pages_read=12), ZH, now=0.0) == "正在读取，已读 12 页"
    assert stage_text(FileProgress(pages_read=12), EN, now=0.0) == "reading, 12 pages read"
    assert stage_text(embedding(0, 280), EN, now=200.0) == "searchable by keywords · embedding 0 of 280 chunks (0 %)"
    row = stage_text(embedding(104, 280, since=100.0), ZH, now=126.0)  # 4 chunks/s, 176 left: 44 s
    assert row == "已可按关键词检索 · 嵌入 104/280 段（37 %） · 约剩 44 秒"
    assert stage_text(embedding(280, 280), EN, now=200.0) == "searchable by keywords · saving"  # not "100 %"


def test_a_row_escapes_the_file_name_and_shows_the_result_in_the_page_language():
    ingested = FileResult("手册<b>.pdf", Status.INGESTED, chunks=280, pages=63)
    assert file_row("手册<b>.pdf", ingested, None, ZH, 0.0) == "- 手册&lt;b&gt;.pdf — 已导入（63 页，280 段）"
    assert file_row("manual.pdf", None, embedding(10, 20), EN, 0.0).startswith("- manual.pdf — searchable by")
    noted = FileResult("a.pdf", Status.INGESTED, chunks=8, pages=2, note="2 near-duplicate chunks not stored")
    assert result_text(noted, ZH) == "已导入（2 页，8 段）；2 个近似重复的段落未存储"
    copy = FileResult("b.pdf", Status.SKIPPED, note="same content as pump_manual.pdf")
    assert result_text(copy, ZH) == "已是最新，跳过：与 pump_manual.pdf 内容相同"
    assert result_text(FileResult("c.pdf", Status.SKIPPED, note="unchanged"), EN) == "up to date, skipped: unchanged"


def test_every_kind_has_a_label_in_both_languages_naming_only_what_its_pattern_captures():
    for language, labels in LABELS.items():
        for kind, pattern in REASONS.items():
            template = labels.get(f"why_{kind}")
            assert template is not None, f"{language}: no label for {kind}"
            named = {field for _, field, _, _ in string.Formatter().parse(template) if field}
            assert named <= set(pattern.groupindex), f"{language} why_{kind} names {named - set(pattern.groupindex)}"


def test_a_line_of_no_known_kind_is_shown_as_it_is():
    assert reason_of("the moon is in the wrong phase").kind == ""
    assert reason_text("the moon is in the wrong phase", ZH) == "the moon is in the wrong phase"


def encrypted(tmp_path: Path, password: str) -> Path:
    plain = pdf_with_pages(tmp_path / "plain.pdf", ["Secret valve data: the S-7 seat is lapped every 300 hours."])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def loader_error(path: Path, settings: IngestSettings) -> str:
    with pytest.raises(FileIngestError) as raised:
        load_pages(path, settings)
    return str(raised.value)


def test_real_loader_errors_are_shown_in_the_page_language(tmp_path: Path):
    locked = encrypted(tmp_path, "pa55")
    needs = loader_error(locked, IngestSettings())
    assert needs.startswith("encrypted")  # the English line the CLI and the manifest keep
    assert reason_text(needs, ZH) == "PDF 已加密，需要密码" and reason_of(needs).kind == "encrypted"
    wrong = loader_error(locked, IngestSettings(passwords={"locked.pdf": "nope"}))
    assert reason_text(wrong, ZH) == "密码不正确" and reason_text(wrong, EN) == "wrong password"
    assert load_pages(locked, IngestSettings(passwords={"locked.pdf": "pa55"}))  # the right one opens it

    (tmp_path / "empty.txt").write_bytes(b"")
    assert reason_text(loader_error(tmp_path / "empty.txt", IngestSettings()), ZH) == "空文件"
    (tmp_path / "fake.pdf").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    assert re.fullmatch(
        r"不是有效的 PDF 文件.*", reason_text(loader_error(tmp_path / "fake.pdf", IngestSettings()), ZH)
    )
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 3 * 2**20)
    with pytest.raises(FileIngestError) as raised:
        check_stat(big.stat(), IngestSettings(max_file_mb=1))
    assert reason_text(str(raised.value), ZH) == "文件过大（3 MB，上限 1 MB）"


def test_the_pipeline_reports_each_files_pages_and_chunks_as_it_goes(settings: Settings, tmp_path: Path):
    pages = [
        f"Page {i}. " + " ".join(f"Valve V-{i}-{j} is checked every {j} weeks." for j in range(40)) for i in range(6)
    ]
    pdf = pdf_with_pages(tmp_path / "manual.pdf", pages)
    seen: list[tuple[int, int, int, bool]] = []

    def progress(report: IngestReport, result: FileResult | None) -> None:
        if (file := report.active.get(str(pdf))) is not None:  # the file as it was named
            seen.append((file.pages_read, file.chunks_total, file.chunks_done, file.embedding))

    report = ingest_paths(open_kb(settings), [str(pdf)], settings.ingest, batch_size=4, progress=progress)
    assert report.ok and report.active == {}  # a finished file has no progress left
    assert [s[0] for s in seen if not s[3]][-1] == 6  # every page read counted for this file, before embedding
    embedded = [s for s in seen if s[3]]
    total = embedded[0][1]
    assert total >= report.results[0].chunks and total > 8  # split (near-duplicates may be left out): batches of 4
    assert embedded[0][2] == 0  # searchable by keywords, nothing embedded yet, its total known
    done = [s[2] for s in embedded]
    assert done == sorted(done) and len(set(done)) > 2 and done[-1] == total
