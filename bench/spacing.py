"""Words run together in PDF text layers, before and after the loader's re-reading (`ingest.respace_min_share`):
the share of Latin words 20 letters or longer in every English PDF under ../shared/data/pdfs.

    nice -n 5 .venv/bin/python -m bench.spacing [--root ../shared/data/pdfs]

"Before" is pypdf's text of every page, as the loader read PDFs until then; "after" is the loader's own text
(`ingest.loaders.pdf.load_pdf`, OCR off so only the text layer is compared). A PDF counts as English when most
of its text is (core.lang). Files the loader refuses (encrypted, corrupt, no text layer) are listed as such.
Goal (issue 20): at most 1 % of Latin words of 20+ letters in every file. Results in bench/results/spacing.json.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from bench.embeddings import ROOT
from core.lang import detect_language
from core.settings import load_settings
from ingest.errors import FileIngestError
from ingest.loaders.pdf import GLUED_LETTERS, load_pdf

LATIN = re.compile(r"[A-Za-z]+")


def glued(texts: list[str]) -> tuple[int, int]:
    """(words of 20+ letters, Latin words) over all pages."""
    words = [w for text in texts for w in LATIN.findall(text)]
    return sum(len(w) >= GLUED_LETTERS for w in words), len(words)


def pypdf_pages(path: Path) -> list[str]:
    reader = PdfReader(path)
    if reader.is_encrypted:
        reader.decrypt("")
    return [page.extract_text() or "" for page in reader.pages]


def measure(path: Path) -> dict[str, Any] | None:
    settings = load_settings(None).ingest.model_copy(update={"ocr": "never"})
    started = time.perf_counter()
    try:
        before = pypdf_pages(path)
    except Exception as exc:  # the loader's own errors are reported below; pypdf's here
        return {"file": str(path), "error": f"pypdf: {type(exc).__name__}"}
    before_s = time.perf_counter() - started
    if detect_language(" ".join(before)[:20000]) != "en" or not glued(before)[1]:
        return None
    started = time.perf_counter()
    try:
        after = [p.text for p in load_pdf(path, settings)]
    except FileIngestError as exc:
        return {"file": str(path), "error": str(exc)}
    after_s = time.perf_counter() - started
    (long_before, words_before), (long_after, words_after) = glued(before), glued(after)
    return {
        "file": str(path),
        "pages": len(before),
        "before": long_before / words_before,
        "after": long_after / words_after if words_after else 0.0,
        "words_before": words_before,
        "words_after": words_after,
        "before_s": before_s,
        "after_s": after_s,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.spacing", description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT.parent / "shared" / "data" / "pdfs")
    args = ap.parse_args(argv)
    rows = [r for path in sorted(args.root.rglob("*.pdf")) if (r := measure(path)) is not None]
    out = ROOT / "bench" / "results" / "spacing.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print("| file | pages | Latin words (before → after) | 20+ letters before | after | read before / after |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        name = Path(r["file"]).relative_to(args.root)
        if "error" in r:
            print(f"| {name} | – | – | – | {r['error']} | – |")
            continue
        print(
            f"| {name} | {r['pages']} | {r['words_before']:,} → {r['words_after']:,} | {r['before']:.2%}"
            f" | {r['after']:.2%} | {r['before_s']:.1f} / {r['after_s']:.1f} s |"
        )
    measured = [r for r in rows if "error" not in r]
    over = [r for r in measured if r["after"] > 0.01]
    print(f"\n{len(measured)} English PDFs read; over 1 % after: {len(over)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
