"""What finding PDF tables costs at ingestion (issue 20): `apply_tables` timed alone on bench.ingest's corpus, with
the pages it opens (drawn paths or a "Table N" caption) and the pages whose text it changed.

    nice -n 5 .venv/bin/python -m bench.table_cost [--data ../shared/data/pdfs]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pypdf

from bench.ingest import CORPORA, PDFS
from core.settings import load_settings
from ingest.loaders.pdf_tables import _CAPTION, _ruled_pages, apply_tables


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=PDFS)
    args = ap.parse_args()
    settings, total = load_settings("config.yaml").ingest, 0.0
    for name in CORPORA["default"]:
        path = args.data / name
        texts = [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]
        ruled = _ruled_pages(path, None, len(texts))
        captioned = [i for i, t in enumerate(texts) if any(_CAPTION.match(x.strip()) for x in t.split("\n"))]
        before, started = list(texts), time.perf_counter()
        apply_tables(path, texts, None, settings)
        took = time.perf_counter() - started
        total += took
        changed = sum(a != b for a, b in zip(before, texts, strict=True))
        print(f"{name}: {len(texts)} pages, {len(ruled)} with drawn paths, {len(captioned)} captioned, "
              f"{changed} changed, {took:.1f} s")  # fmt: skip
    print(f"total {total:.1f} s")


if __name__ == "__main__":
    main()
