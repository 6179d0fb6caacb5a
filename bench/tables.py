"""Questions whose answers are table cells: is the right row among the top 5 passages, before and after PDF tables
are read as rows (`ingest.pdf_tables`)?

    nice -n 10 .venv/bin/python -m bench.tables [--compare]

The fixture: bench/data/tables.jsonl (22 questions, English and Chinese) over two PDFs drawn by
bench/table_pdfs.py (merged header cells, a table going on over a page, Chinese tables) and four shared table
PDFs (../shared/data/pdfs: ca-warn-report, nics-background-checks-2015-11, senate-expenditures,
embedded-images-tables). Each question names its file, page and the strings of its row (the row's key and the
answer cell); a question counts as found when one of the top 5 passages comes from that file and page and holds
every one of them (spaces ignored). Both variants are ingested with Zhiku's own pipeline into their own data dir
under bench/results/tables/ ("before": pdf_tables false, the plain text as until then) and asked through the same
retriever as the product (hybrid, section grouping).

--compare also measures the table extractors on the fixture's files alone, without retrieval: for pdfplumber (the
loader), camelot lattice and camelot stream (when camelot-py is importable; it is not a dependency), how many
questions' row strings fall within one extracted row, and the seconds each took.
Results: markdown on stdout, everything in bench/results/tables.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.embeddings import ROOT, read_jsonl
from bench.table_pdfs import make_all
from core.settings import Settings, load_settings

SHARED = ROOT.parent / "shared" / "data" / "pdfs"
SHARED_FILES = [
    "pdfplumber-tests/ca-warn-report.pdf",
    "pdfplumber-tests/nics-background-checks-2015-11.pdf",
    "pdfplumber-tests/senate-expenditures.pdf",
    "unstructured-example-docs/embedded-images-tables.pdf",
]
QUESTIONS = ROOT / "bench" / "data" / "tables.jsonl"
WORK = ROOT / "bench" / "results" / "tables"
RESULT = ROOT / "bench" / "results" / "tables.json"
K = 5
_SPACE = re.compile(r"\s+")


def compact(text: str) -> str:
    return _SPACE.sub("", text)


def documents() -> Path:
    """The fixture's PDFs in one folder: the generated ones drawn again (same bytes each time), the shared ones
    copied."""
    folder = WORK / "docs"
    make_all(folder)
    for name in SHARED_FILES:
        target = folder / Path(name).name
        if not target.is_file():
            shutil.copyfile(SHARED / name, target)
    return folder


def holds_row(text: str, row: list[str]) -> bool:
    flat = compact(text)
    return all(compact(s) in flat for s in row)


def ask_all(settings: Settings, folder: Path, questions: list[dict[str, Any]]) -> dict[str, Any]:
    from app.engine.rerank import make_reranker
    from app.engine.retrieval import Retriever
    from core.kb import open_kb
    from ingest.pipeline import ingest_paths

    kb = open_kb(settings)
    started = time.perf_counter()
    ingest_paths(kb, [str(folder)], settings.ingest, settings.embedding.batch_size)
    ingest_s = time.perf_counter() - started
    retriever = Retriever(kb, settings.retrieval, make_reranker(settings.retrieval))
    ranks: list[int | None] = []
    for q in questions:
        found = retriever.search(q["question"], K)
        rank = next(
            (
                i
                for i, s in enumerate(found.sources, 1)
                if Path(s.source).name == q["file"] and s.page == q["page"] and holds_row(s.text, q["row"])
            ),
            None,
        )
        ranks.append(rank)
    hits = sum(r is not None for r in ranks)
    return {"ingest_s": round(ingest_s, 1), "chunks": kb.count(), "hit@5": hits / len(questions), "ranks": ranks}


def extractor_rows(folder: Path, files: list[str]) -> dict[str, Any]:
    """Rows each extractor reads, per file and page: pdfplumber through the loader, camelot if importable."""
    from core.settings import IngestSettings
    from ingest.loaders.pdf import load_pdf

    out: dict[str, Any] = {}
    started = time.perf_counter()
    loader: dict[tuple[str, int], list[str]] = {}
    for name in files:
        for page in load_pdf(folder / name, IngestSettings(ocr="never")):
            loader[(name, page.page or 0)] = page.text.split("\n")
    out["pdfplumber (loader)"] = (loader, time.perf_counter() - started)
    try:
        import camelot  # type: ignore[import-untyped]
    except ImportError:
        return out
    for flavor in ("lattice", "stream"):
        started = time.perf_counter()
        rows: dict[tuple[str, int], list[str]] = {}
        for name in files:
            for table in camelot.read_pdf(str(folder / name), pages="all", flavor=flavor):
                rows.setdefault((name, int(table.page)), []).extend(" ".join(r) for r in table.df.values.tolist())
        out[f"camelot {flavor}"] = (rows, time.perf_counter() - started)
    return out


def compare(folder: Path, questions: list[dict[str, Any]]) -> dict[str, Any]:
    files = sorted({q["file"] for q in questions})
    result = {}
    for name, (rows, seconds) in extractor_rows(folder, files).items():
        found = sum(any(holds_row(r, q["row"]) for r in rows.get((q["file"], q["page"]), [])) for q in questions)
        result[name] = {"rows_found": found, "questions": len(questions), "seconds": round(seconds, 2)}
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.tables", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    ap.add_argument("--compare", action="store_true", help="also compare the extractors (camelot if installed)")
    args = ap.parse_args(argv)
    questions = read_jsonl(QUESTIONS)
    folder = documents()
    report: dict[str, Any] = {
        "questions": len(questions),
        "command": " ".join(["python -m bench.tables", *sys.argv[1:]]),
    }
    for variant, tables in (("before", False), ("after", True)):
        settings = load_settings(str(args.config), data_dir=WORK / variant, kb="tables")
        settings = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"pdf_tables": tables})})
        report[variant] = ask_all(settings, folder, questions)
    if args.compare:
        report["extractors"] = compare(folder, questions)
    RESULT.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"| variant | right row in top {K} | chunks | ingest s |\n|---|---|---|---|")
    for variant in ("before", "after"):
        r = report[variant]
        print(f"| {variant} | {r['hit@5']:.3f} ({sum(x is not None for x in r['ranks'])}/{len(questions)}) "
              f"| {r['chunks']} | {r['ingest_s']} |")  # fmt: skip
    print("\n| question | file · page | before | after |\n|---|---|---|---|")
    for q, b, a in zip(questions, report["before"]["ranks"], report["after"]["ranks"], strict=True):
        print(f"| {q['question']} | {q['file']} · {q['page']} | {b or '-'} | {a or '-'} |")
    for name, r in report.get("extractors", {}).items():
        print(f"\n{name}: rows found for {r['rows_found']}/{r['questions']} questions in {r['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
