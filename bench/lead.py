"""The lead answer (the sentences quoted first under a question) against the evidence sentences Zhiku quoted
before it existed, on the shared QA sets: how often each holds the gold answer. No LLM runs.

    nice -n 5 .venv/bin/python -m bench.lead --sets cmrc2018 domainrag rag5_sdu_regulations ...

Per set, every answerable question goes through the answering service's retrieval (`AnswerService.retrieve`: the
search, the relevance floor, the code check, the evidence and the lead answer). Reported:
- `lead`: the lead answer (1-3 sentences) contains the gold answer (`contains`, spaces and case aside), its
  token-F1 against the gold answer, and its sentence count;
- `evidence (before)`: the three sentences sharing most of the question's words, the picker the lead replaced;
- `evidence (now)`: the three best sentences by the new scorer (the lead is their head);
- `refused`: answerable questions answered "not found" (the floor, or a code the passages do not hold): false
  refusals;
- `gold removed`: a fixed sample (seed 0) of 40 questions asked with their gold passages' documents left out of
  the search (a filter over every other document, so identical copies go too, and so do near copies: the same
  passage under another id, see `near_copies`): the share answered "not found", as they should all be;
- `verbatim`: the share of lead sentences found, whitespace aside, in the passage their citation names;
- the time from question to lead answer (retrieval included), p50 / p95.
Results in bench/results/lead.json; the knowledge bases are bench.eval's (ingested on first use).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from app.engine.answer import AskOptions
from app.engine.evidence import Evidence, sentences
from app.engine.query import Filter
from app.engine.service import AnswerService
from bench import eval as ev
from bench.embeddings import ROOT
from core.documents import Source
from core.tokens import query_words, words


def evidence_before(question: str, sources: list[Source], n: int = 3) -> list[str]:
    """The picker the lead answer replaced: the sentences sharing the largest share of the question's words."""
    terms = set(query_words(question))
    scored = []
    for number, src in enumerate(sources, 1):
        for sentence in sentences(src.text):
            share = len(terms & set(words(sentence))) / len(terms) if terms else 0.0
            scored.append((share, -number, sentence))
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    matching = [s for share, _, s in scored if share > 0]
    return (matching or [s for *_, s in scored[:1]])[:n]


def verbatim(lead: list[Evidence], sources: list[Source]) -> list[bool]:
    """Each quoted sentence is in the passage its citation names, whitespace aside."""
    squeeze = lambda text: "".join(text.split())  # noqa: E731
    return [1 <= e.citation <= len(sources) and squeeze(e.text) in squeeze(sources[e.citation - 1].text) for e in lead]


def score(texts: list[str], gold: list[str]) -> tuple[bool, float]:
    joined = " ".join(texts)
    return ev.contains(joined, gold), max((ev.token_f1(joined, g) for g in gold), default=0.0)


GOLD_REMOVED_SAMPLE = 40


def near_copies(es: ev.EvalSet, gold: set[str]) -> set[str]:
    """Passages that are the gold passage again under another id (domainrag holds the same web page crawled
    several times, 34 of its 40 sampled questions have such a copy): most of either's words are in the other,
    and half of all their words are shared. Removing the gold passage alone would leave its answer in."""
    bags = _word_bags(es)
    out = set()
    for g in gold & bags.keys():
        a = bags[g]
        for pid, b in bags.items():
            shared = len(a & b)
            if pid not in gold and shared >= 0.8 * min(len(a), len(b)) and shared >= 0.5 * len(a | b):
                out.add(pid)
    return out


_BAGS: dict[str, dict[str, set[str]]] = {}


def _word_bags(es: ev.EvalSet) -> dict[str, set[str]]:
    if es.name not in _BAGS:
        _BAGS[es.name] = {pid: set(words(f"{title} {text}")) for pid, (title, text) in es.passages.items()}
    return _BAGS[es.name]


def gold_removed(es: ev.EvalSet, names: dict[str, str], service: AnswerService) -> float:
    """The share of sampled questions refused when their gold documents, and near copies of them, are out of
    reach."""
    files = {f.path: f.doc_id for f in service.kb.files() if f.doc_id}
    file_of = {pid: name for name, pid in names.items()}
    refused = []
    for q in random.Random(0).sample(es.questions, min(GOLD_REMOVED_SAMPLE, len(es.questions))):
        gold = ev.gold_of(q)
        gold_files = {file_of.get(g, g) for g in gold | (near_copies(es, gold) if es.documents is None else set())}
        gone = {doc for path, doc in files.items() if Path(path).name in gold_files}
        rest = tuple(sorted(set(files.values()) - gone))
        found = service.retrieve(q["question"], [], AskOptions(use_cache=False, where=Filter(documents=rest)))
        refused.append(not found.relevant)
    return statistics.fmean(refused)


def run_set(name: str, root: Path) -> dict[str, Any]:
    es, settings, names, kb = ev.open_set(root / name, None)
    service = AnswerService(settings, kb)
    rows = []
    for q in es.questions:
        gold = [str(a) for a in (q.get("answers") or [q.get("answer", "")]) if a]
        started = time.perf_counter()
        found = service.retrieve(q["question"], [], AskOptions(use_cache=False))
        ms = (time.perf_counter() - started) * 1000
        lead: list[Evidence] = found.lead
        # Before, evidence was quoted whenever the floor let the question through; the code check is new, so a
        # question it refuses still counts the old picker's sentences (in the old picker's favour).
        before = evidence_before(found.query, found.sources) if found.relevant or found.missing else []
        rows.append(
            {
                "lead": score([e.text for e in lead], gold),
                "lead_sentences": len(lead),
                "before": score(before, gold),
                "now": score([e.text for e in found.evidence], gold),
                "refused": not found.relevant,
                "verbatim": verbatim(lead, found.sources),
                "missing": found.missing,
                "ms": ms,
            }
        )
    mean = lambda key, i: statistics.fmean(float(r[key][i]) for r in rows)  # noqa: E731
    answered = [r for r in rows if not r["refused"]]
    return {
        "set": name,
        "questions": len(rows),
        "lead_contains": mean("lead", 0),
        "lead_f1": mean("lead", 1),
        "lead_sentences": statistics.fmean(r["lead_sentences"] for r in answered) if answered else 0.0,
        "before_contains": mean("before", 0),
        "before_f1": mean("before", 1),
        "now_contains": mean("now", 0),
        "now_f1": mean("now", 1),
        "refused": statistics.fmean(r["refused"] for r in rows),
        "refused_by_code": statistics.fmean(bool(r["missing"]) for r in rows),
        "gold_removed_refused": gold_removed(es, names, service),
        "verbatim": statistics.fmean(v for r in rows for v in r["verbatim"])
        if any(r["verbatim"] for r in rows)
        else 1.0,
        "quotes": sum(len(r["verbatim"]) for r in rows),
        "ms": ev.percentiles([r["ms"] for r in rows]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.lead", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="+", required=True, help="QA set names under --root")
    ap.add_argument("--root", type=Path, default=ROOT.parent / "shared" / "data" / "qa")
    args = ap.parse_args(argv)
    results = [run_set(name, args.root) for name in args.sets]
    out = ROOT / "bench" / "results" / "lead.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print("| set | questions | lead contains / F1 (sentences) | evidence before: contains / F1 | evidence now |"
          " refused (by code) | gold removed: refused | quotes verbatim | question to lead p50 / p95 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['set']} | {r['questions']} | {r['lead_contains']:.3f} / {r['lead_f1']:.3f}"
            f" ({r['lead_sentences']:.1f}) | {r['before_contains']:.3f} / {r['before_f1']:.3f}"
            f" | {r['now_contains']:.3f} / {r['now_f1']:.3f}"
            f" | {r['refused']:.1%} ({r['refused_by_code']:.1%}) | {r['gold_removed_refused']:.1%}"
            f" | {r['verbatim']:.1%} of {r['quotes']}"
            f" | {r['ms']['p50']:.0f} / {r['ms']['p95']:.0f} ms |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
