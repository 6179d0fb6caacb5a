"""`python -m ingest PATH...`: progress while it runs, a summary, one line per failed file, exit 1 if any failed."""

from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from core.cli import add_common_args, settings_from_args
from core.embeddings import make_embedder
from core.errors import ZhikuError
from core.store import KnowledgeBase
from ingest.pipeline import FileResult, IngestReport, discover, ingest_files


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Add files and folders to a knowledge base.")
    add_common_args(parser)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (folders are read recursively)")
    return parser


def print_summary(console: Console, report: IngestReport, seconds: float) -> None:
    table = Table(title="Ingestion summary")
    for col in ("ingested", "skipped (up to date)", "failed", "chunks added", "seconds"):
        table.add_column(col, justify="right")
    chunks = sum(r.chunks for r in report.results)
    counts = [len(report.by_status(s)) for s in ("ingested", "skipped", "failed")]
    table.add_row(*map(str, counts), str(chunks), f"{seconds:.1f}")
    console.print(table)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    console = Console(stderr=True)
    kb = KnowledgeBase.open(settings.data_dir, settings.kb, make_embedder(settings.embedding))
    files = list(discover(args.paths, settings.ingest.extensions))  # listed once: progress total and work
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("files"))
    with Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), console=console) as progress:
        task = progress.add_task(f"ingesting into '{settings.kb}'", total=len(files))

        def advance(result: FileResult) -> None:
            progress.update(task, advance=1, description=f"{result.status}: {result.source}"[-60:])

        report = ingest_files(kb, files, settings.ingest, settings.embedding.batch_size, on_file=advance)
    print_summary(console, report, time.perf_counter() - started)
    for failed in report.by_status("failed"):
        print(f"FAILED {failed.source}: {failed.error}", file=sys.stderr)
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_intermixed_args(argv)
    try:
        return run(args)
    except ZhikuError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
