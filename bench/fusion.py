"""How the fusion weight moves retrieval on every QA set, from one candidate pass per question.

`bench.eval` runs the whole retriever once per variant; comparing six weights on six sets that way takes an
hour. Here each question's candidates (the union of the vector and keyword halves, each with its cosine and
BM25 score) are gathered once, then ranked under each weight with the retriever's own `weighted` function, so
a weight's figures are exactly those `bench.eval` reports for it. Sets are read and ingested as `bench.eval`
does (the knowledge bases it cached are reused).

    nice -n 5 .venv/bin/python -m bench.fusion --sets rag5_sdu_regulations emanual_smarttv domainrag \
        cmrc2018 hotpotqa_dev100 docugami_sec10q --weights 0.5 0.6 0.7 0.8
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from app.rerank import make_reranker
from app.retrieval import Retriever, weighted
from bench import eval as ev
from core.settings import load_settings

KS = (1, 5, 10)


def candidates(set_dir: Path) -> list[dict[str, Any]]:
    """Per question: its gold, and each candidate's cosine, BM25 score (0 when BM25 did not return it) and
    the passages it stands for."""
    es = ev.load_set(set_dir, None)
    work = ev.RESULTS / "eval" / es.name
    settings = load_settings(None, data_dir=work / "zhiku", kb=es.name)
    names = ev.write_corpus(es, work / "corpus")
    kb = ev.build_zhiku(settings, es.documents or work / "corpus")
    rs = settings.retrieval.model_copy(update={"mode": "hybrid", "fusion": "weighted", "rerank": "none"})
    retriever = Retriever(kb, rs, make_reranker(rs))
    rows = []
    for q in es.questions:
        vector = kb.embedder.embed_query(q["question"])
        found = retriever.candidates(q["question"], vector)
        rows.append(
            {
                "gold": ev.gold_of(q),
                "candidates": [
                    (
                        s.chunk_id,
                        s.score,
                        s.keyword_score,
                        ev.passages_of(replace(s, also_in=retriever.also_in(s)), names),
                    )
                    for s in found
                ],
            }
        )
    return rows


def hits(rows: list[dict[str, Any]], vector_weight: float) -> dict[str, float]:
    ranks = []
    for row in rows:
        cands = row["candidates"]
        cosines = {c[0]: c[1] for c in cands}
        keyword = {c[0]: c[2] for c in cands if c[2] > 0}
        fused = weighted(cosines, keyword, vector_weight)
        order = sorted(cands, key=lambda c: -fused[c[0]])  # stable, as the retriever's sort
        ranks.append(ev.rank_of([c[3] for c in order[: max(KS)]], row["gold"]))
    return {f"hit@{k}": sum(1 for r in ranks if r is not None and r <= k) / len(ranks) for k in KS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", required=True, help="set names under --root")
    parser.add_argument("--root", type=Path, default=Path("../shared/data/qa"))
    parser.add_argument("--weights", nargs="+", type=float, default=[0.5, 0.6, 0.7, 0.8])
    args = parser.parse_args(argv)
    table: dict[str, dict[float, dict[str, float]]] = {}
    for name in args.sets:
        rows = candidates(args.root / name)
        table[name] = {w: hits(rows, w) for w in args.weights}
    header = "| set | " + " | ".join(f"vector_weight {w}" for w in args.weights) + " |"
    print(header, "|---" * (len(args.weights) + 1) + "|", sep="\n")
    for name, by_weight in [*table.items(), ("mean", mean_of(table, args.weights))]:
        cells = [" / ".join(f"{by_weight[w][f'hit@{k}']:.3f}" for k in KS) for w in args.weights]
        print(f"| {name} | " + " | ".join(cells) + " |")
    ev.RESULTS.mkdir(parents=True, exist_ok=True)
    (ev.RESULTS / "fusion.json").write_text(
        json.dumps({n: {str(w): h for w, h in t.items()} for n, t in table.items()})
    )
    return 0


def mean_of(table: dict[str, dict[float, dict[str, float]]], weights: list[float]) -> dict[float, dict[str, float]]:
    return {w: {f"hit@{k}": float(np.mean([t[w][f"hit@{k}"] for t in table.values()])) for k in KS} for w in weights}


if __name__ == "__main__":
    sys.exit(main())
