"""Watched folders (ingest/changes.py, ingest/watch.py) without a watcher: the batching with a FAKE clock, the
plan judged against real files, and passes run in-process on the real pipeline, Chroma and manifest with the
FAKE embedder (counting what it embeds). tests/test_watch.py runs the real `python -m ingest watch`."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from watchfiles import Change

from core.errors import ZhikuError
from core.kb import open_kb
from core.settings import Settings
from ingest.changes import Batch, Batcher, Root, holds, plan
from ingest.watch import FolderWatch, WatchStopped

EXTS = [".txt", ".md", ".pdf"]


class FakeClock:
    """A FAKE clock: time moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_1000_changes_is_one_batch_once_quiet():
    clock = FakeClock()
    batcher = Batcher(quiet_s=2.0, max_wait_s=60.0, clock=clock)
    assert not batcher.due()
    for i in range(1000):  # a copy of 1,000 files: a change every 10 ms, in 20 reports
        batcher.add({(Change.added, f"/w/f{i}.txt")})
        clock.now += 0.01
        assert not batcher.due()
    clock.now += 1.5
    assert not batcher.due()  # 1.5 s of quiet: the copy may not be over
    clock.now += 0.6
    assert batcher.due()
    batch = batcher.take()
    assert len(batch.changes) == 1000 and not batch.rescan
    assert not batcher.due() and batcher.take() == Batch()


def test_a_folder_that_never_stops_changing_is_applied_after_max_wait():
    clock = FakeClock()
    batcher = Batcher(quiet_s=2.0, max_wait_s=30.0, clock=clock)
    for i in range(290):
        batcher.add({(Change.modified, f"/w/log{i % 3}.txt"), (Change.added, f"/w/n{i}.txt")})
        clock.now += 0.1
    assert not batcher.due()  # 29 s, never quiet
    for i in range(20):
        batcher.add({(Change.added, f"/w/m{i}.txt")})
        clock.now += 0.1
    assert batcher.due()
    assert len(batcher.take().changes) == 3 + 290 + 20


def test_a_repeated_change_does_not_keep_the_batch_waiting():
    clock = FakeClock()
    batcher = Batcher(quiet_s=2.0, max_wait_s=60.0, clock=clock)
    batcher.add({(Change.modified, "/w/a.txt")})
    clock.now += 1.5
    batcher.add({(Change.modified, "/w/a.txt")})  # already waiting: nothing new
    clock.now += 0.6
    assert batcher.due()


def test_a_refused_batch_waits_and_comes_back_with_what_came_since():
    clock = FakeClock()
    batcher = Batcher(quiet_s=1.0, max_wait_s=60.0, clock=clock)
    batcher.rescan_all()
    assert batcher.due()  # the start's full pass is due at once
    refused = batcher.take()
    batcher.put_back(refused, delay_s=10.0)
    batcher.add({(Change.added, "/w/b.txt")})
    clock.now += 5
    assert not batcher.due()
    clock.now += 5
    assert batcher.due()
    batch = batcher.take()
    assert batch.rescan and batch.changes == {(Change.added, "/w/b.txt")}


def test_the_plan_reads_the_disk_as_it_is_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs" / "new").mkdir(parents=True)
    (tmp_path / "docs" / "old").mkdir()
    for name in ("a.txt", "b.png.tmp", "new/c.md"):
        (tmp_path / "docs" / name).write_text("x", encoding="utf-8")
    data = tmp_path / "docs" / "data"
    data.mkdir()
    (data / "m.txt").write_text("x", encoding="utf-8")
    root = Root.of("docs")  # given relatively: names are stored as `ingest docs` stores them
    known = holds(["docs/gone.txt", "docs/moved/x.pdf", "docs/a.txt"])
    at = str(tmp_path / "docs")
    batch = Batch(
        frozenset({
            (Change.modified, f"{at}/a.txt"),
            (Change.added, f"{at}/b.png.tmp"),  # not a type that is ingested
            (Change.added, f"{at}/new"),  # a folder that appeared (moved in): read whole
            (Change.added, f"{at}/new/c.md"),
            (Change.modified, f"{at}/old"),  # a folder whose content changed: its files have their own events
            (Change.deleted, f"{at}/gone.txt"),
            (Change.deleted, f"{at}/moved"),  # a folder gone: its names go
            (Change.deleted, f"{at}/never-stored.txt"),
            (Change.added, f"{data}/m.txt"),  # the data dir inside a watched folder
            (Change.added, str(tmp_path / "elsewhere.txt")),
        })
    )  # fmt: skip
    work = plan(batch, [root], EXTS, known, excluded=[str(data)])
    assert work.read == ("docs/a.txt", "docs/new", "docs/new/c.md")
    assert work.gone == ("docs/gone.txt", "docs/moved")
    assert work.changes == 10
    rescan = plan(Batch(rescan=True), [root], EXTS, known)
    assert rescan.read == rescan.gone == ("docs",)
    assert not plan(Batch(frozenset({(Change.modified, f"{at}/old")})), [root], EXTS, known)


def test_holds_knows_the_folders_above_each_name():
    known = holds(["/srv/a/b/c.pdf", "rel/d.txt"])
    assert all(known(p) for p in ("/srv/a/b/c.pdf", "/srv/a/b", "/srv/a/", "/srv", "rel", "rel/d.txt"))
    assert not any(known(p) for p in ("/srv/a/b/c", "/srv/x", "re", "/srv/a/b/c.pdf/z"))


class CountingEmbedder:
    """Wraps the FAKE embedder and counts the texts embedded: a move must embed none."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.texts = 0

    def embed_documents(self, texts: list[str]):
        self.texts += len(texts)
        return self.inner.embed_documents(texts)  # type: ignore[attr-defined]

    def embed_query(self, text: str):
        return self.inner.embed_query(text)  # type: ignore[attr-defined]


def watch_of(settings: Settings, folder: Path, lines: list[str]) -> tuple[FolderWatch, CountingEmbedder]:
    kb = open_kb(settings)
    kb.embedder = counter = CountingEmbedder(kb.embedder)
    return FolderWatch(kb, [str(folder)], settings.ingest, 8, say=lines.append), counter


def apply(watch: FolderWatch, *changes: tuple[Change, Path], rescan: bool = False) -> None:
    batcher = Batcher(0.0, 60.0)
    batcher.add({(change, str(path)) for change, path in changes})
    if rescan:
        batcher.rescan_all()
    watch._apply(batcher)


def test_passes_add_move_change_and_delete_and_a_move_embeds_nothing(settings: Settings, docs: Path):
    lines: list[str] = []
    watch, counter = watch_of(settings, docs, lines)
    apply(watch, rescan=True)
    assert counter.texts > 0 and lines[-1].startswith("pass 1 (every watched folder): 2 ingested")
    embedded = counter.texts

    os.rename(docs / "pump.md", docs / "impeller.md")
    apply(watch, (Change.deleted, docs / "pump.md"), (Change.added, docs / "impeller.md"))
    assert counter.texts == embedded
    assert f"named {docs / 'impeller.md'}: same content as {docs / 'pump.md'}, not embedded again" in lines
    assert f"removed {docs / 'pump.md'}" in lines and "; 0 chunks embedded;" in lines[-1]
    found = watch.kb.query(watch.kb.embedder.embed_query("impeller clearance"), 1)[0]
    assert found.source == str(docs / "impeller.md")  # the citation shows the new name

    (docs / "impeller.md").write_text("# Pump\nThe impeller clearance must be 0.5 mm.\n", encoding="utf-8")
    apply(watch, (Change.modified, docs / "impeller.md"))
    texts = [s.text for s in watch.kb.query(watch.kb.embedder.embed_query("impeller clearance"), 5)]
    assert any("0.5 mm" in t for t in texts) and not any("0.3 mm" in t for t in texts)

    (docs / "spindle.md").unlink()
    apply(watch, (Change.deleted, docs / "spindle.md"))
    assert [f.path for f in watch.kb.files()] == [str(docs / "impeller.md")]
    assert watch.kb.check() == [] and watch.passes == 4


def test_a_bad_file_fails_on_its_own_line_and_the_pass_goes_on(settings: Settings, docs: Path):
    lines: list[str] = []
    watch, _ = watch_of(settings, docs, lines)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\nnot a pdf")
    apply(watch, rescan=True)
    assert any(line.startswith(f"FAILED {docs / 'broken.pdf'}: corrupt PDF") for line in lines)
    assert "2 ingested" in lines[-1] and "1 failed" in lines[-1]


def test_a_pass_another_writer_holds_off_is_postponed_not_lost(settings: Settings, docs: Path):
    settings.ingest.writer_wait_s = 0  # writes take turns; this test's own writer never leaves, so no waiting
    lines: list[str] = []
    watch, _ = watch_of(settings, docs, lines)
    batcher = Batcher(0.0, 60.0)
    batcher.rescan_all()
    with open_kb(settings).writing():  # an upload or a CLI ingestion
        watch._apply(batcher)
    assert "postponed" in lines[-1] and "another ingestion" in lines[-1]
    assert batcher.rescan and not batcher.due()  # waits RETRY_S, then comes back
    batcher.not_before = 0.0
    watch._apply(batcher)
    assert "2 ingested" in lines[-1]


def test_a_stop_ends_the_pass_after_the_file_being_stored(settings: Settings, docs: Path):
    lines: list[str] = []
    watch, _ = watch_of(settings, docs, lines)
    stop = threading.Event()
    watch._stop = stop
    stop.set()
    batcher = Batcher(0.0, 60.0)
    batcher.rescan_all()
    with pytest.raises(WatchStopped):
        watch._apply(batcher)
    assert lines[-1] == "pass 1 (every watched folder) stopped; the next start's pass does the rest"
    assert len([f for f in watch.kb.files() if f.status == "ingested"]) == 1  # one stored whole, then stopped
    assert watch.kb.check() == []


def test_folders_that_cannot_be_watched_say_so_and_how_to_poll(
    settings: Settings, docs: Path, monkeypatch: pytest.MonkeyPatch
):
    def refused(*paths: str, **options: object):
        raise OSError(28, "OS file watch limit reached")
        yield  # a generator, as watchfiles.watch

    monkeypatch.setattr("ingest.watch.watch", refused)
    watch, _ = watch_of(settings, docs, [])
    with pytest.raises(ZhikuError, match=r"cannot watch .*watch limit reached \(--poll SECONDS"):
        watch.run(threading.Event())
