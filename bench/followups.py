"""Follow-ups and changes of topic on the sample knowledge base: how the answering service decides what to
search (`AnswerService.retrieve`: the follow-up rule of `memory.py`, and the check whether a short question
stands alone) against the rule it replaced, on question pairs written for this project
(bench/data/followups.jsonl).

    nice -n 5 .venv/bin/python -m bench.followups

Each pair is a previous question and the next one: a follow-up that refers back ("它的最高转速呢？", "And its
weight?", "那 AL-210 呢？") or a change of topic that names its own subject. `examples/` is ingested into a
fresh knowledge base (real e5, Chroma, FTS5). Reported per kind: the share of changes of topic whose search text
was glued to the previous question (the goal is none), and hit@5 of the gold file and page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from app.engine.answer import AskOptions
from app.engine.memory import Turn
from app.engine.service import AnswerService
from bench.embeddings import ROOT, read_jsonl
from core.kb import open_kb
from core.settings import load_settings
from ingest.pipeline import ingest_paths

PAIRS = ROOT / "bench" / "data" / "followups.jsonl"


def rule_before(question: str, history: list[Turn], followup_max_chars: int) -> str:
    """The rule this one replaced: the previous question glued to any short question."""
    if history and len(question.strip()) <= followup_max_chars:
        return f"{history[-1].question} {question}"
    return question


def hit(service: AnswerService, query: str, gold: str) -> bool:
    if not gold:
        return False
    name, page = gold.split("#")
    found = service.retriever.search(query, 5).sources
    return any(Path(s.source).name == name and (s.page or 0) == int(page) for s in found)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.followups", description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=Path, default=PAIRS)
    args = ap.parse_args(argv)
    pairs = read_jsonl(args.pairs)
    with tempfile.TemporaryDirectory(prefix="zhiku-followups-") as tmp:
        settings = load_settings(ROOT / "config.yaml", data_dir=tmp, kb="examples")
        kb = open_kb(settings)
        ingest_paths(kb, [str(ROOT / "examples")], settings.ingest, settings.embedding.batch_size)
        service = AnswerService(settings, kb)
        limit = settings.memory.followup_max_chars
        rows: list[dict[str, Any]] = []
        for p in pairs:
            history = [Turn(p["previous"], "")]
            row = {"kind": p["kind"], "question": p["question"]}
            now = service.retrieve(p["question"], history, AskOptions(use_cache=False)).query
            for label, query in (("before", rule_before(p["question"], history, limit)), ("now", now)):
                row[label] = {"query": query, "glued": query != p["question"], "hit": hit(service, query, p["gold"])}
            rows.append(row)
    results: dict[str, Any] = {}
    for kind in ("follow", "shift"):
        mine = [r for r in rows if r["kind"] == kind]
        scored = [r for r in mine if next(p["gold"] for p in pairs if p["question"] == r["question"])]
        results[kind] = {
            label: {
                "pairs": len(mine),
                "glued": statistics.fmean(r[label]["glued"] for r in mine),
                "hit@5": statistics.fmean(r[label]["hit"] for r in scored),
            }
            for label in ("before", "now")
        }
    out = ROOT / "bench" / "results" / "followups.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"results": results, "rows": rows}, ensure_ascii=False, indent=1))
    print("| pairs | rule | glued to the previous question | hit@5 |\n|---|---|---|---|")
    for kind, by_rule in results.items():
        for label, r in by_rule.items():
            print(f"| {kind} ({r['pairs']}) | {label} | {r['glued']:.1%} | {r['hit@5']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
