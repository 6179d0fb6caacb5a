"""Benchmark the embedding providers on the shared QA sets (evaluation only, not part of the product).

What it measures, per provider x set:
- retrieval quality of brute-force cosine search (numpy dot) over whole passages (`title + "\\n" + text`, not
  chunked): hit@1, hit@5, hit@10 (any gold id in the top k) and MRR@10 against `gold_ids`;
- model load time: `make_embedder` plus one first `embed_query` (USE loads its weights lazily on first use);
- ingestion speed: wall clock of `embed_documents` over the whole corpus in batches of 32 -> passages/s and chars/s;
- query latency: median wall clock of `embed_query`, one question at a time.
The English `sentence-transformers` provider (packaged all-MiniLM-L6-v2) runs on emanual_smarttv only, as a reference.

Exact command (from the repo root; prints a markdown table, writes bench/results/embeddings.json):

    .venv/bin/python -m bench.embeddings --sets domainrag cmrc2018 emanual_smarttv --providers e5 use

The data lives outside the project in ../shared/data/qa (see its README); `--limit N` keeps the first N questions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.embeddings import Embedder, make_embedder
from core.settings import EmbeddingSettings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "embeddings.json"
BATCH = 32
KS = (1, 5, 10)
REFERENCE = ("sentence-transformers", "emanual_smarttv")  # English model, English set only


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_embedder(provider: str) -> tuple[Embedder, float]:
    start = time.perf_counter()
    emb = make_embedder(EmbeddingSettings(provider=provider))
    emb.embed_query("warm-up")
    return emb, time.perf_counter() - start


def run_set(emb: Embedder, set_dir: Path, limit: int | None) -> dict[str, Any]:
    corpus = read_jsonl(set_dir / "corpus.jsonl")
    questions = read_jsonl(set_dir / "questions.jsonl")[:limit]
    texts = [f"{p['title']}\n{p['text']}" for p in corpus]
    ids = [p["id"] for p in corpus]

    start, cpu_start = time.perf_counter(), time.process_time()
    doc_vecs = np.vstack([emb.embed_documents(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])
    embed_s, embed_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start

    query_ms: list[float] = []
    hits = dict.fromkeys(KS, 0)
    rr = 0.0
    for q in questions:
        start = time.perf_counter()
        qv = emb.embed_query(q["question"])
        query_ms.append((time.perf_counter() - start) * 1000)
        top = np.argsort(-(doc_vecs @ qv), kind="stable")[: max(KS)]
        gold = set(q["gold_ids"])
        rank = next((r for r, i in enumerate(top, 1) if ids[i] in gold), None)
        if rank is not None:
            rr += 1 / rank
            for k in KS:
                hits[k] += rank <= k

    n = len(questions)
    chars = sum(map(len, texts))
    return {
        "passages": len(texts),
        "questions": n,
        **{f"hit@{k}": round(hits[k] / n, 3) for k in KS},
        "mrr@10": round(rr / n, 3),
        "embed_s": round(embed_s, 2),
        "embed_cpu_s": round(embed_cpu_s, 2),  # CPU time of all threads: near cores x embed_s when not contended
        "passages_per_s": round(len(texts) / embed_s, 1),
        "chars_per_s": round(chars / embed_s),
        "query_ms_p50": round(statistics.median(query_ms), 1),
    }


COLUMNS = [
    ("provider", "provider"),
    ("set", "set"),
    ("passages", "passages"),
    ("questions", "questions"),
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("hit@10", "hit@10"),
    ("MRR@10", "mrr@10"),
    ("load s", "load_s"),
    ("passages/s", "passages_per_s"),
    ("chars/s", "chars_per_s"),
    ("query ms p50", "query_ms_p50"),
]


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(h for h, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(r[key]) for _, key in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["domainrag", "cmrc2018", "emanual_smarttv"])
    ap.add_argument("--providers", nargs="+", default=["e5", "use"], choices=["e5", "use", "sentence-transformers"])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "qa")
    ap.add_argument("--limit", type=int, default=None, help="first N questions of each set (default: all)")
    args = ap.parse_args(argv)

    missing = [s for s in args.sets if not (args.data / s / "corpus.jsonl").is_file()]
    if missing:
        print(f"QA data not found: {', '.join(str(args.data / s) for s in missing)} (see --data)", file=sys.stderr)
        return 2

    runs = [(p, s) for p in args.providers for s in args.sets]
    if REFERENCE[1] in args.sets and REFERENCE not in runs:
        runs.append(REFERENCE)

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    loaded: dict[str, tuple[Embedder, float]] = {}
    rows: list[dict[str, Any]] = []
    for provider, set_name in runs:
        if provider not in loaded:
            loaded[provider] = load_embedder(provider)
        emb, load_s = loaded[provider]
        row = {"provider": provider, "model": emb.name, "dim": emb.dim, "set": set_name, "load_s": round(load_s, 2)}
        row |= run_set(emb, args.data / set_name, args.limit)
        rows.append(row)
        print(f"{provider} / {set_name}: {json.dumps(row, ensure_ascii=False)}", file=sys.stderr, flush=True)
    total_s = time.perf_counter() - t0

    result = {
        "command": "python -m bench.embeddings " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "loadavg_before_after": [load_before, os.getloadavg()],  # other work on the machine slows the timings
        "total_s": round(total_s, 1),
        "results": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(markdown(rows))
    load = f"{load_before[0]:.2f}/{os.getloadavg()[0]:.2f}"
    print(f"\ntotal {total_s:.1f} s; 1-min load average before/after {load}; JSON in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
