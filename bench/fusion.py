"""How the fusion weight and the grouping by section move retrieval on every QA set, from one candidate pass.

`bench.eval` runs the whole retriever once per variant; comparing six variants on six sets that way takes an
hour. Here each question's candidates (the union of the vector and keyword halves, each with its cosine and
BM25 score) are gathered once, then ranked under each variant with the retriever's own `weighted` and
`by_section`, so a variant's figures are exactly those `bench.eval` reports for it. A variant is a weight
("0.6": every chunk on its own, `retrieval.group: none`) or a weight and a section bonus ("0.6/0.02":
`group: section`). Sets are read and ingested as `bench.eval` does (the knowledge bases it cached are
reused). Two more columns say where the answers are at all: the share of questions whose gold is among the
fused candidates, and in the top 5 of either half.

    nice -n 5 .venv/bin/python -m bench.fusion --sets rag5_sdu_regulations emanual_smarttv domainrag \
        cmrc2018 hotpotqa_dev100 docugami_sec10q --runs 0.6 0.6/0 0.6/0.02 0.6/0.03 0.6/0.05
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from app.engine.fusion import weighted
from app.engine.query import Query
from app.engine.rerank import make_reranker
from app.engine.retrieval import Retriever, about
from app.engine.sections import by_section
from bench import eval as ev

KS = ev.KS


def candidates(set_dir: Path) -> list[dict[str, Any]]:
    """Per question: its gold, and each candidate's cosine, BM25 score (0 when BM25 did not return it) and
    the passages it stands for."""
    es, settings, names, kb = ev.open_set(set_dir, None)
    rs = settings.retrieval.model_copy(update={"mode": "hybrid", "fusion": "weighted", "rerank": "none"})
    retriever = Retriever(kb, rs, make_reranker(rs))
    rows = []
    for q in es.questions:
        query = Query.build(q["question"], kb)  # embedded once: the candidates and the subjects share it
        found = retriever.candidates(query)
        passages = [ev.passages_of(replace(s, also_in=kb.also_in(s)), names) for s in found]
        subjects = kb.subjects(query.words, rs.subject_max_chunks)
        rows.append(
            {"gold": ev.gold_of(q), "candidates": list(zip(found, passages, strict=True)), "subjects": subjects}
        )
    return rows


def ranks(rows: list[dict[str, Any]], run: str) -> list[int | None]:
    """`run`: "W" (vector weight W, chunks on their own) or "W/B" (grouped by section with bonus B), either
    followed by "+S" (`retrieval.subject_weight` S)."""
    run, _, subject = run.partition("+")
    weight, _, bonus = run.partition("/")
    out = []
    for row in rows:
        cands = row["candidates"]
        cosines = {s.chunk_id: s.score for s, _ in cands}
        keyword = {s.chunk_id: s.keyword_score for s, _ in cands if s.keyword_score > 0}
        fused = about(weighted(cosines, keyword, float(weight)), row["subjects"], float(subject or 0))
        passages = {s.chunk_id: p for s, p in cands}
        order = sorted((replace(s, fused_score=fused[s.chunk_id]) for s, _ in cands), key=lambda s: -s.fused_score)
        if bonus:  # sorts stable, as the retriever's
            order = by_section(order, float(bonus))
        shown = [set().union(*(passages[c] for c in (s.chunk_id, *s.joined))) for s in order[: max(KS)]]
        out.append(ev.rank_of(shown, row["gold"]))
    return out


def reach(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Where the gold is before fusion ranks it: among the candidates at all, in either half's top 5."""
    anywhere = either = 0
    for row in rows:
        cands, gold = row["candidates"], row["gold"]
        by_cosine = sorted(cands, key=lambda c: -c[0].score)[:5]
        by_keyword = sorted((c for c in cands if c[0].keyword_score > 0), key=lambda c: -c[0].keyword_score)[:5]
        anywhere += any(p & gold for _, p in cands)
        either += any(p & gold for _, p in by_cosine + by_keyword)
    return {"in candidates": anywhere / len(rows), "in either top 5": either / len(rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", required=True, help="set names under --root")
    parser.add_argument("--root", type=Path, default=Path("../shared/data/qa"))
    parser.add_argument("--runs", nargs="+", default=["0.5", "0.6", "0.6/0.02"], help='"W" or "W/section_bonus"')
    args = parser.parse_args(argv)
    table: dict[str, dict[str, Any]] = {}
    for name in args.sets:
        rows = candidates(args.root / name)
        table[name] = {**{run: ev.summarise_ranks(ranks(rows, run)) for run in args.runs}, **reach(rows)}
    table["mean"] = {key: mean_of([t[key] for t in table.values()]) for key in table[args.sets[0]]}
    print("| set | " + " | ".join(args.runs) + " | in candidates | in either top 5 |")
    print("|---" * (len(args.runs) + 3) + "|")
    for name, row in table.items():
        cells = [" / ".join(f"{row[run][f'hit@{k}']:.3f}" for k in KS) for run in args.runs]
        print(f"| {name} | " + " | ".join(cells) + f" | {row['in candidates']:.3f} | {row['in either top 5']:.3f} |")
    ev.RESULTS.mkdir(parents=True, exist_ok=True)
    (ev.RESULTS / "fusion.json").write_text(json.dumps(table))
    return 0


def mean_of(values: list[Any]) -> Any:
    if isinstance(values[0], dict):
        return {key: float(np.mean([v[key] for v in values])) for key in values[0]}
    return float(np.mean(values))


if __name__ == "__main__":
    sys.exit(main())
