"""Knowledge-base management through the real CLI: list, delete, sync, copies stored once, unchanged files
skipped without being read, near-duplicates stored once and restored when their twin goes."""

import os
import shutil
from pathlib import Path

from core.kb import open_kb
from core.settings import load_settings
from ingest.pipeline import discover, ingest_files
from tests.conftest import FIXTURES, TEST_CONFIG, json_lines, run_cli


def kb_of(data_dir: Path):
    return open_kb(load_settings(TEST_CONFIG, data_dir=str(data_dir)))


def listing(data_dir: Path) -> dict[str, dict]:
    result = run_cli("ingest", "list", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return {row["path"]: row for row in json_lines(result.stdout)}


def test_list_copies_delete_and_sync(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(FIXTURES / "pump_manual.pdf", docs / "泵 手册.pdf")  # Chinese and a space in the name
    shutil.copy(FIXTURES / "减速机说明.pdf", docs)
    (docs / "note.md").write_text("# 阀门\n阀门的工作压力为 1.6 MPa。", encoding="utf-8")
    data = tmp_path / "data"
    assert run_cli("ingest", str(docs), data_dir=data).returncode == 0
    first = kb_of(data).count()

    rows = listing(data)
    assert set(rows) == {str(docs / n) for n in ("泵 手册.pdf", "减速机说明.pdf", "note.md")}
    pump = rows[str(docs / "泵 手册.pdf")]
    assert pump["status"] == "ingested" and pump["pages"] == 3 and pump["chunks"] >= 3
    assert pump["embedding_model"].startswith("e5:") and pump["ingested_at"] and len(pump["sha256"]) == 64

    shutil.copy(docs / "泵 手册.pdf", docs / "pump-copy.pdf")  # same content, second name
    again = run_cli("ingest", str(docs), data_dir=data)
    assert again.returncode == 0 and kb_of(data).count() == first
    rows = listing(data)
    assert rows[str(docs / "pump-copy.pdf")]["doc_id"] == pump["doc_id"]

    assert run_cli("ingest", "delete", str(docs / "泵 手册.pdf"), data_dir=data).returncode == 0
    assert kb_of(data).count() == first  # the copy still names the content
    hit = json_lines(run_cli("app", "search", "--json", "-k", "1", "impeller clearance", data_dir=data).stdout)[0]
    assert hit["sources"][0]["source"] == str(docs / "pump-copy.pdf")

    assert run_cli("ingest", "delete", pump["doc_id"], data_dir=data).returncode == 0
    assert kb_of(data).count() == first - pump["chunks"]
    assert run_cli("ingest", "delete", "no-such-doc", data_dir=data).returncode == 1

    (docs / "note.md").unlink()
    synced = run_cli("ingest", str(docs), "--sync", data_dir=data)
    assert synced.returncode == 0, synced.stderr
    assert "note.md" not in " ".join(listing(data))  # deleted files that are still on disk come back
    assert set(listing(data)) == {str(docs / n) for n in ("泵 手册.pdf", "减速机说明.pdf", "pump-copy.pdf")}
    check = run_cli("ingest", "check", data_dir=data)
    assert check.returncode == 0 and check.stdout.startswith("ok:"), check.stdout


def test_unchanged_file_is_skipped_without_being_read(tmp_path: Path):
    """Same size and mtime → not even hashed: garbage of the same length, with the old mtime, goes unnoticed."""
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    kb = open_kb(settings)
    note = tmp_path / "note.txt"
    note.write_text("冷却塔风机每三个月检查一次。", encoding="utf-8")
    report = ingest_files(kb, discover([str(note)], settings.ingest.extensions), settings.ingest, 32)
    assert [r.status for r in report.results] == ["ingested"]
    stat = note.stat()
    note.write_bytes(b"\xff" * stat.st_size)
    os.utime(note, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    report = ingest_files(kb, discover([str(note)], settings.ingest.extensions), settings.ingest, 32)
    assert [(r.status, r.note) for r in report.results] == [("skipped", "unchanged")]
    os.utime(note, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # now it is looked at, and fails
    report = ingest_files(kb, discover([str(note)], settings.ingest.extensions), settings.ingest, 32)
    assert report.results[0].status == "failed"
    assert kb.count() == 1  # the old version stays searchable until the file is readable again


def test_near_duplicates_are_stored_once_and_restored_when_their_twin_goes(tmp_path: Path):
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    kb = open_kb(settings)
    warning = "警告：更换刀具前必须切断主电源并挂牌上锁，确认主轴完全停止后方可打开防护门，并在交接班记录上签字确认。"
    (tmp_path / "a.txt").write_text(warning, encoding="utf-8")
    steps = "CK6140 换刀步骤：先将刀塔转到换刀位置，松开刀夹螺钉，取下旧刀片并清理刀槽内的切屑。" * 8
    (tmp_path / "b.txt").write_text(f"{steps}\n\n{warning}", encoding="utf-8")
    ingest_files(kb, discover([str(tmp_path / "a.txt")], [".txt"]), settings.ingest, 32)
    report = ingest_files(kb, discover([str(tmp_path / "b.txt")], [".txt"]), settings.ingest, 32)
    assert "near-duplicate" in report.results[0].note
    assert kb.count() == 2  # a's warning + b's first line; b's copy of the warning is not stored again
    with kb.writing():
        kb.forget_file(str(tmp_path / "a.txt"))
    assert kb.count() == 2
    hits = kb.query(kb.embedder.embed_query("更换刀具前要做什么"), 1)
    assert hits[0].source == str(tmp_path / "b.txt") and "挂牌上锁" in hits[0].text
    assert kb.check() == []


def test_progress_counts_pages_as_worker_processes_read_them(tmp_path: Path):
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    settings.ingest.workers = 2
    seen: list[tuple[int, int, int]] = []
    files = list(discover([str(FIXTURES / "pump_manual.pdf"), str(FIXTURES / "减速机说明.pdf")], [".pdf"]))
    report = ingest_files(
        open_kb(settings),
        files,
        settings.ingest,
        32,
        lambda rep, result: seen.append((rep.pages_read, rep.chunks, len(rep.results))),
    )
    assert report.ok and report.pages == 5
    assert seen[-1][0] == 5  # every page was reported while it was read, through the workers' queue
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)  # counters only grow
    assert any(pages > 0 and done == 0 for pages, _, done in seen)  # pages moved before any file finished


def test_reindex_through_the_cli_after_switching_the_embedding_model(tmp_path: Path):
    data = tmp_path / "data"
    assert run_cli("ingest", str(FIXTURES / "pump_manual.pdf"), data_dir=data).returncode == 0
    use = {"ZHIKU_EMBEDDING__PROVIDER": "use"}
    refused = run_cli("app", "search", "--json", "impeller clearance", data_dir=data, env=use)
    assert refused.returncode != 0 and "python -m ingest reindex" in refused.stderr
    reindexed = run_cli("ingest", "reindex", data_dir=data, env=use)
    assert reindexed.returncode == 0 and "re-embedded" in reindexed.stderr and "use:" in reindexed.stderr
    hit = json_lines(run_cli("app", "search", "--json", "-k", "1", "impeller clearance", data_dir=data, env=use).stdout)
    assert "0.3 mm" in hit[0]["sources"][0]["text"]
    assert run_cli("ingest", "check", data_dir=data, env=use).returncode == 0
    assert listing(data)[str(FIXTURES / "pump_manual.pdf")]["embedding_model"].startswith("use:")


def test_a_paused_parser_waits_between_pages_and_goes_on_when_let(tmp_path: Path, monkeypatch):
    """The worker side of `ingest.parse_while_embedding: false`, run in a thread with the worker's gate."""
    import threading

    from ingest import parse

    gate = threading.Event()
    monkeypatch.setattr(parse, "_gate", gate)
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data")).ingest
    path = FIXTURES / "pump_manual.pdf"
    job = parse.ParseJob(str(path), path, "0" * 64, path.stat().st_size, 0)
    out: list[parse.Parsed] = []
    reader = threading.Thread(target=lambda: out.append(parse.parse_file(job, settings)))
    reader.start()
    reader.join(1.5)
    assert reader.is_alive() and not out  # stopped after its first page
    gate.set()
    reader.join(30)
    assert out and out[0].pages == 3 and out[0].chunks and not out[0].error


def test_stopping_while_the_workers_are_paused_does_not_hang(tmp_path: Path):
    """A consumer that stops mid-way (an error while storing) leaves paused workers with files to finish: the
    pool's exit waits for them, so they must be let go."""
    import threading

    from ingest.parse import ParseJob
    from ingest.pipeline import Ingestion

    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data")).ingest
    settings.workers = 2
    path = FIXTURES / "pump_manual.pdf"
    jobs = [ParseJob(f"{path}#{i}", path, f"{i:064d}", path.stat().st_size, 0) for i in range(6)]
    parsed = Ingestion(None, settings, 32, None)._parsed(jobs)  # type: ignore[arg-type]
    assert next(parsed).pages == 3  # the workers are now paused
    closer = threading.Thread(target=parsed.close)
    closer.start()
    closer.join(60)
    assert not closer.is_alive()
