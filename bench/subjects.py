"""What the subject prior costs per question as a knowledge base grows (`core/kb/subjects.py`).

The prior runs one FTS5 query per question word and counts the matching chunks per document, so its cost grows
with the chunks holding the question's words. This copies a real keyword index (a set `bench.eval` built, e.g.
docugami's 20 10-Q filings) `--copies` times under new document ids, into a scratch file, and times the prior for
every question of the set at each size: real words in real proportions, no embedding needed.

    nice -n 5 .venv/bin/python -m bench.subjects --set docugami_sec10q --copies 1 5 25 125 [--max-chunks N]

Prints one line per size (chunks, documents, shape read once, p50/p95/max ms per question).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import eval as ev
from core.kb.lexical import LexicalIndex
from core.kb.subjects import Shape, scores
from core.settings import RetrievalSettings
from core.tokens import query_words

QA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "qa"


def source_rows(set_name: str) -> list[tuple[str, str, str]]:
    """(chunk_id, doc_id, words) of the set's cached keyword index."""
    (path,) = (p for p in (ev.RESULTS / "eval" / set_name / "zhiku" / "keywords").glob("*.sqlite3"))
    index = LexicalIndex(path)
    try:
        ids = sorted(index.chunk_ids())
        words = index.words_of(ids)
        return [(c, c.rsplit("-", 1)[0], words[c]) for c in ids]
    finally:
        index.close()


def timed(index: LexicalIndex, questions: list[str], max_chunks: int) -> dict[str, float]:
    started = time.perf_counter()
    shape = Shape.read(index, {})
    shape_ms = (time.perf_counter() - started) * 1000
    ms = []
    for q in questions:
        terms = query_words(q)
        started = time.perf_counter()
        scores(index, shape, terms, max_chunks)
        ms.append((time.perf_counter() - started) * 1000)
    ms.sort()
    return {"shape_ms": shape_ms, "p50": statistics.median(ms), "p95": ms[int(0.95 * (len(ms) - 1))], "max": ms[-1]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.subjects", description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default="docugami_sec10q", help="a set whose knowledge base bench.eval has built")
    ap.add_argument("--copies", type=int, nargs="+", default=[1, 5, 25, 125])
    ap.add_argument("--max-chunks", type=int, default=RetrievalSettings().subject_max_chunks)
    args = ap.parse_args(argv)
    rows = source_rows(args.set)
    questions = [json.loads(line)["question"] for line in (QA / args.set / "questions.jsonl").open()]
    with tempfile.TemporaryDirectory() as tmp:
        index, made = LexicalIndex(Path(tmp) / "words.sqlite3"), 0
        for copies in sorted(args.copies):
            while made < copies:
                index.add((f"c{made}{doc}-{cid.rsplit('-', 1)[1]}", f"c{made}{doc}", w) for cid, doc, w in rows)
                made += 1
            t = timed(index, questions, args.max_chunks)
            print(
                f"{index.count():>9,} chunks {len(index.chunks_per_document()):>6,} documents"
                f"  shape {t['shape_ms']:.0f} ms  per question p50 {t['p50']:.1f} ms"
                f"  p95 {t['p95']:.1f} ms  max {t['max']:.1f} ms",
                flush=True,
            )
        index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
