"""`python -m ingest PATH... | list | delete | reindex | check`: manage what a knowledge base holds.

Ingesting shows files, pages, chunks, rate and ETA while it runs, a summary at the end, one
`FAILED path: reason` line per failed file, and exits 1 if any failed (after ingesting all the others).
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from core.cli import add_common_args, settings_from_args
from core.errors import ZhikuError
from core.settings import Settings
from core.store import KnowledgeBase
from ingest.pipeline import STATUSES, FileResult, IngestReport, discover, ingest_files

COMMANDS = ("list", "delete", "reindex", "check")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Add files and folders to a knowledge base. Other commands: "
        "`python -m ingest list|delete|reindex|check --help`.",
    )
    add_common_args(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (folders are read recursively)")
    parser.add_argument("--sync", action="store_true", help="also remove documents whose files are gone from PATH")
    parser.add_argument("--password", help="password for the encrypted PDFs named on this command line")
    parser.add_argument(
        "--tag", action="append", default=[], help="label the documents (repeatable); questions can be limited to a tag"
    )
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Manage a knowledge base.")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="documents with status, chunks, pages, date and error")
    listing.add_argument("--json", action="store_true", help="one JSON object per file")
    delete = sub.add_parser("delete", help="remove documents by path (as listed) or document id")
    delete.add_argument("targets", nargs="+", metavar="PATH|ID")
    sub.add_parser("reindex", help="re-embed every chunk with the configured embedding model")
    sub.add_parser("check", help="verify that the manifest and Chroma agree (exit 1 if not)")
    for p in sub.choices.values():
        add_common_args(p)
    return parser


def open_kb(settings: Settings, check_model: bool = True) -> KnowledgeBase:
    return KnowledgeBase.from_settings(settings, check_model=check_model)


def print_summary(console: Console, report: IngestReport) -> None:
    table = Table(title="Ingestion summary")
    for col in ("ingested", "skipped (up to date)", "failed", "removed", "pages", "chunks added", "seconds"):
        table.add_column(col, justify="right")
    counts = [len(report.by_status(s)) for s in STATUSES]
    added = sum(r.chunks for r in report.by_status("ingested"))
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


def run_ingest(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.password:
        settings.ingest.passwords = {**settings.ingest.passwords, "*": args.password}
    console = Console(stderr=True)
    kb = open_kb(settings)
    files = list(discover(args.paths, settings.ingest.extensions))  # listed once: progress total and work
    with progress_bar(console) as bar:
        task = bar.add_task(f"ingesting into '{settings.kb}'", total=len(files), pages=0, chunks=0, rate="")

        def show(report: IngestReport, result: FileResult | None) -> None:
            rate = f"{report.chunks / report.seconds:.1f} chunks/s" if report.seconds > 1 else ""
            description = f"{result.status}: {result.source}"[-50:] if result else None
            done = len([r for r in report.results if r.status != "removed"])
            pages = f"{report.pages_read}" + (f" (+{report.pages_ocr} OCR)" if report.pages_ocr else "")
            bar.update(task, completed=done, pages=pages, chunks=report.chunks, rate=rate)
            if description:
                bar.update(task, description=description)

        report = ingest_files(
            kb, files, settings.ingest, settings.embedding.batch_size, show, args.paths if args.sync else None, args.tag
        )
    print_summary(console, report)
    for failed in report.by_status("failed"):
        print(f"FAILED {failed.source}: {failed.error}", file=sys.stderr)
    return 0 if report.ok else 1


def run_list(kb: KnowledgeBase, as_json: bool) -> int:
    entries = kb.manifest.files()
    if as_json:
        for row in kb.listing():
            print(json.dumps(row, ensure_ascii=False))
        return 0
    table = Table(title=f"knowledge base '{kb.name}': {len(entries)} files")
    for col in ("id", "path", "status", "pages", "chunks", "MB", "ingested at", "error"):
        table.add_column(col)
    for e in entries:
        row = (e.doc_id or "", e.path, e.status, str(e.pages), str(e.chunks), f"{e.size / 1e6:.2f}", e.ingested_at)
        table.add_row(*row, e.error)
    Console().print(table)
    return 0


def run_delete(kb: KnowledgeBase, targets: list[str]) -> int:
    """A target is a path as `list` shows it, or a document id (all of its names go)."""
    missing = 0
    with kb.writing():
        for target in targets:
            paths = kb.names_of(target)
            if not paths:
                print(f"not in knowledge base '{kb.name}': {target}", file=sys.stderr)
                missing += 1
            for path in paths:
                kb.forget_file(path)
                print(f"deleted {path}")
    return 1 if missing else 0


def run_reindex(kb: KnowledgeBase) -> int:
    console = Console(stderr=True)
    with kb.writing(), Progress(BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("re-embedding", total=None)
        done = kb.reindex(lambda n, total: bar.update(task, completed=n, total=total))
    console.print(f"re-embedded {done} chunks with {kb.embedder.name}")
    return 0


def run_check(kb: KnowledgeBase) -> int:
    problems = kb.check()
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ok: {len(kb.manifest.files())} files, {len(kb.manifest.documents())} documents agree with Chroma")
    return 1 if problems else 0


def run_command(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    kb = open_kb(settings, check_model=args.command not in ("reindex", "list"))  # list reads the manifest only
    if args.command == "list":
        return run_list(kb, args.json)
    if args.command == "delete":
        return run_delete(kb, args.targets)
    if args.command == "reindex":
        return run_reindex(kb)
    return run_check(kb)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] in COMMANDS:
            return run_command(build_command_parser().parse_args(argv))
        return run_ingest(build_parser().parse_intermixed_args(argv))
    except ZhikuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
