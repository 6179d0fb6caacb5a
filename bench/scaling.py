"""Chroma query latency as a knowledge base grows: 10k, 100k, 1M vectors (issue 6, docs/scaling.md).

Synthetic unit vectors of the embedding's size (384, multilingual-e5-small) stand in for chunks: what is
measured is the vector store, not a model. One embedded Chroma collection (cosine HNSW, as Zhiku makes them)
is filled step by step to each size; at each size, queries with fresh random vectors (top 10, as retrieval
asks for 2× top-k candidates) give p50/p95 latency, plus the time per 1,000 inserts and the process's peak
RSS. Random vectors are the hard case for HNSW (no clusters), so real embeddings query no slower.

    .venv/bin/python -m bench.scaling --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from core.datadir import DataDir
from core.kb.vectors import open_client
from core.settings import VectorStoreSettings

DIM = 384


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(collection, start: int, stop: int, batch: int, rng: np.random.Generator) -> float:
    """Seconds to add vectors start..stop-1 (ids and a short document each, like chunks)."""
    began = time.perf_counter()
    for first in range(start, stop, batch):
        last = min(first + batch, stop)
        ids = [f"c{i}" for i in range(first, last)]
        collection.add(ids=ids, embeddings=unit_vectors(rng, last - first), documents=[f"chunk {i}" for i in ids],
                       metadatas=[{"doc_id": f"d{int(i[1:]) // 20}"} for i in ids])  # fmt: skip
    return time.perf_counter() - began


def query_ms(collection, queries: int, rng: np.random.Generator) -> list[float]:
    times = []
    for vector in unit_vectors(rng, queries):
        began = time.perf_counter()
        collection.query(query_embeddings=[vector], n_results=10, include=["documents", "metadatas", "distances"])
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("bench/results/scaling.json"))
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="zhiku-scaling-") as tmp:
        client = open_client(DataDir(Path(tmp)), VectorStoreSettings())
        collection = client.create_collection("scale", configuration={"hnsw": {"space": "cosine"}},
                                              embedding_function=None)  # fmt: skip
        batch, have = min(5000, client.get_max_batch_size()), 0
        for size in sorted(args.sizes):
            insert_s = fill(collection, have, size, batch, rng)
            inserted, have = size - have, size
            query_ms(collection, 20, rng)  # warm the index's pages
            times = query_ms(collection, args.queries, rng)
            row = {
                "vectors": size,
                "insert_ms_per_1000": round(insert_s / inserted * 1000 * 1000, 1),
                "query_p50_ms": round(statistics.median(times), 2),
                "query_p95_ms": round(statistics.quantiles(times, n=20)[18], 2),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "disk_mib": round(sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print("\n| vectors | query p50 ms | query p95 ms | insert ms / 1,000 | peak RSS MiB | disk MiB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['vectors']:,} | {r['query_p50_ms']} | {r['query_p95_ms']} | {r['insert_ms_per_1000']} | "
              f"{r['peak_rss_mib']} | {r['disk_mib']} |")  # fmt: skip


if __name__ == "__main__":
    main()
