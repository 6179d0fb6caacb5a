"""`python -m ingest [add] PATH... | watch DIR... | list | delete | reindex | check`: what a knowledge base holds.

Ingesting shows files, pages, chunks, rate and ETA while it runs, a summary at the end, one
`FAILED path: reason` line per failed file, and exits 1 if any failed (after ingesting all the others).
`add` may be left out; a file named like a command is reached with it (`python -m ingest add list`).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from core.cli import add_common_args, settings_from_args
from core.errors import ZhikuError
from core.kb import KnowledgeBase, open_kb
from core.kb.ahead import embedding_status
from ingest.names import json_safe, terminal_safe
from ingest.pipeline import discover, ingest_files
from ingest.report import FileResult, IngestReport, Status
from ingest.watch import FolderWatch, check_folders

PROG = "python -m ingest"


def add_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} [add]",
        description=f"Add files and folders to a knowledge base. Other commands: `{PROG} list|delete|reindex|check "
        "--help`.",
    )
    add_common_args(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (folders are read recursively)")
    parser.add_argument("--sync", action="store_true", help="also remove documents whose files are gone from PATH")
    parser.add_argument("--password", help="password for the encrypted PDFs named on this command line")
    parser.add_argument(
        "--tag", action="append", default=[], help="label the documents (repeatable); questions can be limited to a tag"
    )
    return parser


def command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Manage a knowledge base.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("add", help="add files and folders (the default: `python -m ingest PATH...`)", add_help=False)
    listing = sub.add_parser("list", help="documents with status, chunks, pages, date and error")
    listing.add_argument("--json", action="store_true", help="one JSON object per file")
    delete = sub.add_parser("delete", help="remove documents by path (as listed) or document id")
    delete.add_argument("targets", nargs="+", metavar="PATH|ID")
    sub.add_parser("reindex", help="re-embed every chunk with the configured embedding model")
    watching = sub.add_parser("watch", help="keep folders in step: apply adds, changes, moves and deletes as they come")
    watching.add_argument("dirs", nargs="+", metavar="DIR", help="folders to watch (recursively)")
    watching.add_argument(
        "--poll", type=float, default=0.0, metavar="SECONDS",
        help="look for changes every SECONDS instead of being told (network shares: SMB/NFS send no events)",
    )  # fmt: skip
    watching.add_argument("--tag", action="append", default=[], help="label the documents (repeatable)")
    sub.add_parser("check", help="verify that the manifest and Chroma agree (exit 1 if not)")
    for name, p in sub.choices.items():
        if name != "add":
            add_common_args(p)
    return parser


def print_summary(console: Console, report: IngestReport) -> None:
    table = Table(title="Ingestion summary")
    for col in ("ingested", "skipped (up to date)", "failed", "removed", "pages", "chunks added", "seconds"):
        table.add_column(col, justify="right")
    counts = [len(report.by_status(s)) for s in Status]
    added = sum(r.chunks for r in report.by_status(Status.INGESTED))
    table.add_row(*map(str, counts), str(report.pages), str(added), f"{report.seconds:.1f}")
    console.print(table)


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[pages]} pages · {task.fields[chunks]} chunks · {task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def waiting_said(kb: KnowledgeBase) -> KnowledgeBase:
    """A write that must wait for another one into the knowledge base (the service's upload, another CLI) says
    so once, instead of seeming to hang."""
    kb.on_wait = lambda: print(f"waiting for another ingestion into '{kb.name}' to finish…", file=sys.stderr)
    return kb


def run_add(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.password:
        settings.ingest.passwords = {**settings.ingest.passwords, "*": args.password}
    console = Console(stderr=True)
    kb = waiting_said(open_kb(settings))
    files = list(discover(args.paths, settings.ingest.extensions))  # listed once: progress total and work
    with progress_bar(console) as bar:
        task = bar.add_task(f"ingesting into '{settings.kb}'", total=len(files), pages=0, chunks=0, rate="")

        def show(report: IngestReport, result: FileResult | None) -> None:
            rate = f"{report.chunks / report.seconds:.1f} chunks/s" if report.seconds > 1 else ""
            description = escape(f"{result.status}: {terminal_safe(result.source)}"[-50:]) if result else None
            done = len([r for r in report.results if r.status != Status.REMOVED])
            pages = f"{report.pages_read}" + (f" (+{report.pages_ocr} OCR)" if report.pages_ocr else "")
            bar.update(task, completed=done, pages=pages, chunks=report.chunks, rate=rate)
            if description:
                bar.update(task, description=description)

        report = ingest_files(
            kb, files, settings.ingest, settings.embedding.batch_size, show, args.paths if args.sync else None, args.tag
        )
    print_summary(console, report)
    if report.restored:
        console.print(f"{report.restored} passages an earlier version left out as near-duplicates are now stored")
    for failed in report.by_status(Status.FAILED):
        print(f"FAILED {terminal_safe(failed.source)}: {terminal_safe(failed.error)}", file=sys.stderr)
    return 0 if report.ok else 1


def run_list(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    if args.json:
        for row in kb.listing():
            print(json_safe(json.dumps(row, ensure_ascii=False)))
        return 0
    entries = kb.files()
    table = Table(title=f"knowledge base '{kb.name}': {len(entries)} files")
    for col in ("id", "path", "status", "pages", "chunks", "MB", "ingested at", "error"):
        table.add_column(col)
    for e in entries:
        path, error = Text(terminal_safe(e.path)), Text(terminal_safe(e.error))  # Text: a name is not markup
        table.add_row(
            e.doc_id or "", path, e.status, str(e.pages), str(e.chunks), f"{e.size / 1e6:.2f}", e.ingested_at, error
        )
    for row in embedding_status(kb):  # being ingested now: searchable by keywords, then embedding n %
        table.add_row(row["doc_id"], Text(terminal_safe(row["path"])), row["state"], str(row["pages"]), "", "", "", "")
    Console().print(table)
    return 0


def run_delete(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    """A target is a path as `list` shows it, or a document id (all of its names go)."""
    removed = kb.delete(args.targets)
    for target, paths in removed.items():
        if not paths:
            print(f"not in knowledge base '{kb.name}': {terminal_safe(target)}", file=sys.stderr)
        for path in paths:
            print(f"deleted {terminal_safe(path)}")
    return 1 if any(not paths for paths in removed.values()) else 0


def run_reindex(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    with kb.writing(), Progress(BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("re-embedding", total=None)
        done = kb.reindex(lambda n, total: bar.update(task, completed=n, total=total))
    console.print(f"re-embedded {done} chunks with {kb.embedder.name}")
    return 0


def run_watch(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    """Until SIGINT or SIGTERM, which stop it after the file being stored; a second one stops it at once (the
    next run finishes or undoes what that leaves, as after any kill)."""
    if problems := check_folders(args.dirs):
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    settings = settings_from_args(args)
    FolderWatch(
        kb, args.dirs, settings.ingest, settings.embedding.batch_size, poll_s=args.poll, tags=args.tag,
        excluded=[settings.data_dir], say=lambda line: print(line, flush=True),
    ).run(stop)  # fmt: skip
    return 0


def run_check(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    problems = kb.check()
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ok: {len(kb.files())} files, {kb.document_count()} documents agree with Chroma")
    return 1 if problems else 0


COMMANDS: dict[str, Callable[[KnowledgeBase, argparse.Namespace], int]] = {
    "list": run_list,
    "delete": run_delete,
    "reindex": run_reindex,
    "check": run_check,
    "watch": run_watch,
}
MODEL_FREE = ("list", "reindex")  # list reads the manifest only; reindex exists to change the model


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if not argv or argv[0] in ("-h", "--help"):
            command_parser().parse_args(argv)  # prints the commands, exits
        if argv[0] == "add":
            return run_add(add_parser().parse_intermixed_args(argv[1:]))
        if argv[0] not in COMMANDS:
            return run_add(add_parser().parse_intermixed_args(argv))
        args = command_parser().parse_args(argv)
        kb = waiting_said(open_kb(settings_from_args(args), check_model=args.command not in MODEL_FREE))
        return COMMANDS[args.command](kb, args)
    except ZhikuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
