"""Candidate answerability rules, measured before one is built: for each rule, the share of answerable questions
it refuses (false refusals) against the share of gold-removed questions it refuses (right refusals), per set.

    nice -n 5 .venv/bin/python -m bench.answerability --sets rag5_sdu_regulations emanual_smarttv ...

Each question is searched once (`Retriever.search`, as the answering service does) and what each rule reads is
kept: the question's words with their rarity in the knowledge base and whether jieba counts them as common,
which of them and which of the question's codes and numbers each of the top passages holds, and the language
of each. A rule is then a function of those features, so every rule is judged on the same searches. A rule
refuses on top of what the service refuses today (the relevance floor, min_coverage, the code check), and no
rule judges a question whose best passage is in another language (no word can match there).

Gold-removed questions: a fixed sample (seed 0, `--removed` of them) asked with their gold passages' documents,
and near copies of them, left out of the search (`bench.lead.near_copies`). Answerable: a fixed sample (seed 1,
`--answerable`). Features in bench/results/answerability/<set>.json; the table is printed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jieba.posseg

from app.engine.answer import AskOptions
from app.engine.evidence import Across, Evidence
from app.engine.query import Filter, codes_in
from app.engine.service import AnswerService
from bench import eval as ev
from bench.embeddings import ROOT
from bench.lead import near_copies
from core.embeddings import Embedder, make_embedder
from core.lang import detect_language
from core.settings import EmbeddingSettings
from core.tokens import common

Features = dict[str, Any]
PROPER_TAGS = {"ns", "nr", "nt", "nz", "nrt", "nrfg"}  # jieba's places, people, organisations, other names


def features(service: AnswerService, question: str, where: Filter | None = None) -> Features:
    found = service.retriever.search(question, service.settings.retrieval.top_k, where)
    retrieved = service.retrieve(question, [], AskOptions(use_cache=False, where=where))
    refused = not retrieved.relevant
    kb, query = service.kb, found.query
    asked_codes = codes_in(question)
    passages = []
    for src in found.sources:
        stored = kb.stored_words([src.chunk_id, *src.joined])
        held = {w for ws in stored.values() for w in ws.split()}
        text = f"{src.heading}\n{src.text}"
        passages.append(
            {
                "words": sorted(set(query.words) & held),
                "codes": sorted(asked_codes & codes_in(text)),
                "language": detect_language(text),
            }
        )
    rarity = kb.rarity(query.words)
    return {
        "question": question,
        "language": query.language,
        "refused": refused,
        "words": {w: {"rarity": round(v, 3), "common": common(w)} for w, v in rarity.items()},
        "codes": sorted(asked_codes),
        "proper": sorted(proper_nouns(question) & set(rarity)),
        "passages": passages,
        # the lead's best cosine with the question, codes left out, by USE and by the knowledge base's model
        "meaning": {name: lead_meaning(question, retrieved.lead, e) for name, e in meaning_models(service).items()},
    }


def meaning_models(service: AnswerService) -> dict[str, Embedder]:
    return {"use": make_embedder(EmbeddingSettings(provider="use")), "kb": service.kb.embedder}


def lead_meaning(question: str, lead: list[Evidence], embedder: Embedder) -> float:
    """How close the lead's closest sentence is to the question (codes left out, as the lead scores sentences
    in another language: `evidence.Across`): an answerable question's lead states what it asks; a question whose
    answer was removed gets sentences about its subject but not its attribute."""
    if not lead:
        return 0.0
    return round(max(Across(detect_language(question), question, embedder).similarity([e.text for e in lead])), 4)


def proper_nouns(question: str) -> set[str]:
    """Names: jieba's proper-noun tags in Chinese; capitalised words not opening the question in English."""
    names = {w.lower() for w, tag in jieba.posseg.cut(question) if tag in PROPER_TAGS and len(w) >= 2}
    latin = re.findall(r"[A-Za-z][A-Za-z0-9'’]*", question)
    return names | {re.sub(r"['’]s$", "", t).lower() for t in latin[1:] if t[0].isupper() and len(t) >= 2}


def held(f: Features, n: int) -> set[str]:
    return {w for p in f["passages"][:n] for w in p["words"]}


def cross_language(f: Features) -> bool:
    return bool(f["passages"]) and f["passages"][0]["language"] != f["language"]


def coverage(f: Features, n: int = 3) -> float:
    """min_coverage's measure: rarity-weighted share of the question's words in the best n passages, a missing
    common word not counting."""
    have = held(f, n)
    weight = {w: v["rarity"] for w, v in f["words"].items() if w in have or not v["common"]}
    total = sum(weight.values())
    return sum(v for w, v in weight.items() if w in have) / total if total else 1.0


def codes_together(f: Features, n: int) -> bool:
    """One of the best n passages holds every code and number the question names."""
    need = set(f["codes"])
    return not need or any(need <= set(p["codes"]) for p in f["passages"][:n])


def names_held(f: Features, n: int, min_rarity: float) -> bool:
    """Every name the question gives that is rarer than min_rarity is in one of the best n passages."""
    need = {w for w in f["proper"] if f["words"][w]["rarity"] >= min_rarity}
    return need <= held(f, n)


def rare_held(f: Features, n: int, min_rarity: float) -> bool:
    need = {w for w, v in f["words"].items() if v["rarity"] >= min_rarity and not v["common"]}
    return need <= held(f, n)


def meaning_below(model: str, threshold: float) -> Callable[[Features], bool]:
    return lambda f: f["meaning"][model] < threshold


RULES: dict[str, Callable[[Features], bool]] = {  # True: refuse (on top of today's refusals)
    "today (floor, min_coverage 0.4, codes)": lambda f: False,
    "coverage < 0.5": lambda f: coverage(f) < 0.5,
    "coverage < 0.6": lambda f: coverage(f) < 0.6,
    "coverage < 0.7": lambda f: coverage(f) < 0.7,
    "codes and numbers not in one of top 3": lambda f: not codes_together(f, 3),
    "codes and numbers not in top 1": lambda f: not codes_together(f, 1),
    "a name (rarity >= 5) not in top 5": lambda f: not names_held(f, 5, 5.0),
    "a name (rarity >= 6) not in top 5": lambda f: not names_held(f, 5, 6.0),
    "a rare word (rarity >= 6) not in top 3": lambda f: not rare_held(f, 3, 6.0),
    "a rare word (rarity >= 7) not in top 3": lambda f: not rare_held(f, 3, 7.0),
    **{
        f"lead meaning ({m}) < {t}": meaning_below(m, t)
        for m, ts in {"use": (0.3, 0.4, 0.5), "kb": (0.8, 0.82, 0.84)}.items()
        for t in ts
    },
}


def collect(name: str, root: Path, answerable: int, removed: int) -> dict[str, list[Features]]:
    es, settings, names, kb = ev.open_set(root / name, None)
    service = AnswerService(settings, kb)
    files = {f.path: f.doc_id for f in kb.files() if f.doc_id}
    file_of = {pid: file for file, pid in names.items()}
    asked = random.Random(1).sample(es.questions, min(answerable, len(es.questions)))
    out: dict[str, list[Features]] = {"answerable": [features(service, q["question"]) for q in asked], "removed": []}
    for q in random.Random(0).sample(es.questions, min(removed, len(es.questions))):
        gold = ev.gold_of(q) | (near_copies(es, ev.gold_of(q)) if es.documents is None else set())
        gone = {doc for path, doc in files.items() if Path(path).name in {file_of.get(g, g) for g in gold}}
        where = Filter(documents=tuple(sorted(set(files.values()) - gone)))
        out["removed"].append(features(service, q["question"], where))
    return out


def refused_share(rows: list[Features], rule: Callable[[Features], bool]) -> float:
    refused = [f["refused"] or (not cross_language(f) and rule(f)) for f in rows]
    return sum(refused) / len(refused) if refused else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.answerability", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="+", required=True)
    ap.add_argument("--root", type=Path, default=ROOT.parent / "shared" / "data" / "qa")
    ap.add_argument("--answerable", type=int, default=200)
    ap.add_argument("--removed", type=int, default=120)
    ap.add_argument("--reuse", action="store_true", help="read the features saved by an earlier run")
    args = ap.parse_args(argv)
    out_dir = ROOT / "bench" / "results" / "answerability"
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {}
    for name in args.sets:
        path = out_dir / f"{name}.json"
        if not (args.reuse and path.is_file()):
            path.write_text(json.dumps(collect(name, args.root, args.answerable, args.removed), ensure_ascii=False))
        data[name] = json.loads(path.read_text())
    print("| rule (refuses also when) | " + " | ".join(args.sets) + " |")
    print("|---|" + "---|" * len(args.sets))
    for label, rule in RULES.items():
        cells = [f"{refused_share(d['answerable'], rule):.2f} / {refused_share(d['removed'], rule):.2f}"
                 for d in data.values()]  # fmt: skip
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\ncells: answerable refused / gold-removed refused")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
