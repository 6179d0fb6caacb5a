"""How long deleting one document takes as the knowledge base grows (issue 3: "fast at any KB size").

Synthetic unit vectors stand in for embeddings (what is measured is Chroma and the manifest, not a model).
A KB of N chunks is made of documents of 20 chunks; then documents are deleted one at a time through the
same `KnowledgeBase.forget_file` that `python -m ingest delete` uses (by id, from the manifest). For
comparison, the same deletion with a metadata filter (`where={"doc_id": …}`), which is how a tool without
a manifest has to do it.

    .venv/bin/python -m bench.delete --sizes 1000 10000 100000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from core.documents import Chunk
from core.embeddings import make_embedder
from core.kb import KnowledgeBase
from core.settings import EmbeddingSettings

CHUNKS_PER_DOC = 20
DIM = 384  # multilingual-e5-small


def fill(kb: KnowledgeBase, n_chunks: int, rng: np.random.Generator) -> None:
    """Documents doc-0 … of CHUNKS_PER_DOC chunks each, 50 documents per Chroma write to build large KBs fast."""
    n_docs = n_chunks // CHUNKS_PER_DOC
    for first in range(0, n_docs, 50):
        chunks: list[Chunk] = []
        for d in range(first, min(first + 50, n_docs)):
            sha = f"{d:016x}" + "0" * 48
            chunks += [Chunk(f"chunk {i} of doc {d}", f"doc-{d}.pdf", 1, i, sha, "t") for i in range(CHUNKS_PER_DOC)]
            kb.manifest.begin_document(chunks[-1].doc_id, sha, CHUNKS_PER_DOC, 1, kb.embedder.name)
        vectors = rng.standard_normal((len(chunks), DIM)).astype(np.float32)
        kb.add(chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
        with kb.manifest.transaction():
            for c in chunks[::CHUNKS_PER_DOC]:
                kb.manifest.finish_document(c.doc_id, CHUNKS_PER_DOC)
                kb.manifest.record_file(c.source, c.doc_id, 1, 1, "ingested")


def timed_ms(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def measure(n_chunks: int, repeats: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp), "bench", make_embedder(EmbeddingSettings()))
        with kb.writing():
            build_s = timed_ms(lambda: fill(kb, n_chunks, rng)) / 1000
            victims = rng.choice(n_chunks // CHUNKS_PER_DOC, size=2 * repeats, replace=False)
            by_id = [timed_ms(lambda d=d: kb.forget_file(f"doc-{d}.pdf")) for d in victims[:repeats]]
            collection = kb.vectors.collection  # the comparison needs the raw collection; the product never does this
            by_filter = [
                timed_ms(lambda d=d: collection.delete(where={"doc_id": f"{d:016x}"})) for d in victims[repeats:]
            ]
            assert kb.count() == n_chunks - 2 * repeats * CHUNKS_PER_DOC
    return {
        "chunks": n_chunks,
        "build_s": round(build_s, 1),
        "delete_by_id_ms_p50": round(statistics.median(by_id), 1),
        "delete_by_filter_ms_p50": round(statistics.median(by_filter), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("| chunks in KB | build s | delete one document by id (manifest) ms p50 | by metadata filter ms p50 |")
    print("|---|---|---|---|")
    for n in args.sizes:
        r = measure(n, args.repeats)
        print(f"| {r['chunks']:,} | {r['build_s']} | {r['delete_by_id_ms_p50']} | {r['delete_by_filter_ms_p50']} |")


if __name__ == "__main__":
    main()
