"""Retrieval latency of the default retriever against variants of it, interleaved on one knowledge base.

`bench.eval` times each variant in its own pass, minutes apart; on a shared 2-core VM the same work then reads
47-53 ms. Here the variants take turns, round after round over every question, so a slow minute costs them
alike and the difference is the code's. The time is the whole `Retriever.search` (embedding the question
included), as a user waits for it.

    nice -n 5 .venv/bin/python -m bench.latency --set ../shared/data/qa/domainrag --rounds 3 \\
        --variant group=none --variant group=section
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.engine.rerank import make_reranker
from app.engine.retrieval import Retriever
from bench import eval as ev


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, required=True, help="a QA set folder, as for bench.eval")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-k", type=int, default=10, help="results per question (bench.eval uses 10)")
    parser.add_argument("--variant", action="append", default=[], help="KEY=VALUE over retrieval settings")
    args = parser.parse_args(argv)
    es, settings, _, kb = ev.open_set(args.set, None)
    variants = args.variant or ["group=section"]
    retrievers = {}
    for variant in variants:
        key, _, value = variant.partition("=")
        rs = settings.retrieval.model_copy(update={key: type(getattr(settings.retrieval, key))(value)})
        retrievers[variant] = Retriever(kb, rs, make_reranker(rs))
    questions = [q["question"] for q in es.questions]
    times: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(args.rounds):
        for variant, retriever in retrievers.items():
            for question in questions:
                started = time.perf_counter()
                retriever.search(question, args.k)
                times[variant].append((time.perf_counter() - started) * 1000)
    print(f"{args.set.name}: {kb.count()} chunks, {len(questions)} questions x {args.rounds} rounds, k {args.k}")
    print("| variant | p50 ms | p95 ms |\n|---|---|---|")
    for variant, ms in times.items():
        p = ev.percentiles(ms)
        print(f"| {variant} | {p['p50']:.1f} | {p['p95']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
