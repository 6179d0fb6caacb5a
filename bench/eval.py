"""Evaluation harness: retrieval, refusals, answers and latency of Zhiku on a QA set, beside the naive baseline.

    nice -n 5 .venv/bin/python -m bench.eval --set ../shared/data/qa/domainrag [--answers 50]

What one run does (evaluation only; the QA sets live outside the project, see ../shared/data/README.md):
1. Writes each corpus passage as a Markdown file (`# title` then the text) into bench/results/eval/<set>/corpus
   and ingests that folder with Zhiku's own pipeline (`ingest_paths`) into a knowledge base kept in
   bench/results/eval/<set>/zhiku. Files are rewritten only when their text changed, so a re-run skips the
   ingestion exactly as a user's re-ingest would, and only the questions are run again. A set whose gold is
   documents (`gold_docs`, docugami_sec10q) is ingested from its real PDFs in raw/ instead, and a chunk counts
   for the document it comes from.
2. Builds the naive baseline from the same files: LangChain `TextLoader` (`PyPDFLoader` for PDFs) +
   `RecursiveCharacterTextSplitter()` with its defaults (4,000 / 200) + the same embedder +
   `Chroma.from_documents`, vector search only.
3. Runs every question with a gold passage through each retriever: Zhiku's vector half alone, keyword (BM25)
   half alone, hybrid by reciprocal rank fusion (alone and with the word-coverage rerank), hybrid by weighted
   scores (the default, `retrieval.fusion: weighted`, and beside it vector weights 0.4 and 0.6 and the
   coverage rerank), and the naive baseline. k counts passages as shown
   to the user (chunks, best first); a question scores at rank r when the r-th chunk comes from a gold passage.
   Reported: hit@1/5/10, MRR@10, p50/p95 latency per retrieval stage.
4. Refusals, when the set has questions that must be refused (rag5's `raw/ood_questions.jsonl`, and with
   `--ood-from SET...` a fixed sample of other sets' questions, which this corpus cannot answer): the share of
   them Zhiku answers "not found" (its relevance floor for the question's language, `retrieval.min_relevance`),
   per origin, and the share of answerable questions it wrongly refuses, with a sweep over one floor for all so
   the threshold is chosen by measurement. `--refusals-only` skips the retrieval comparison and the rest.
5. With `--answers N`: the first N answerable questions through the whole `ask` (LLM included): token-F1 and
   contains-match of the answer and of the evidence sentences against the gold answer, how often the lead answer
   contains it, the false-support rate (a model answer shown as checked that neither contains the gold answer
   nor reaches token-F1 0.1 with it), the grounding states, time to first token and generation time.
Results: markdown tables on stdout, everything in bench/results/eval-<set>.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.embeddings import ROOT, read_jsonl
from core.settings import Settings, load_settings

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

RESULTS = ROOT / "bench" / "results"
KS = (1, 5, 10)
DEPTH = 10  # chunks retrieved per question for hit@10
SWEEP = [round(x, 3) for x in np.arange(0.84, 0.971, 0.01)]


@dataclass
class EvalSet:
    name: str
    passages: dict[str, tuple[str, str]]  # id -> (title, text)
    questions: list[dict[str, Any]]  # answerable, with gold_ids (or gold_docs)
    refuse: list[dict[str, Any]]  # must be answered "not found"
    documents: Path | None = None  # the set's real files, when its gold names documents (`gold_docs`)


def load_set(set_dir: Path, limit: int | None) -> EvalSet:
    """A set whose gold is passages is rebuilt from corpus.jsonl; one whose gold is documents (docugami) is
    ingested from its real PDFs in raw/, so the whole PDF path is measured."""
    corpus = read_jsonl(set_dir / "corpus.jsonl")
    questions = [q for q in read_jsonl(set_dir / "questions.jsonl") if q.get("gold_ids") or q.get("gold_docs")]
    ood_file = set_dir / "raw" / "ood_questions.jsonl"
    refuse = [q | {"origin": f"{set_dir.name} (own)"} for q in read_jsonl(ood_file)] if ood_file.is_file() else []
    passages = {str(p["id"]): (str(p.get("title") or ""), str(p["text"])) for p in corpus}
    by_document = bool(questions) and not questions[0].get("gold_ids")
    documents = next((d for d in (set_dir / "raw").rglob("docs") if d.is_dir()), None) if by_document else None
    return EvalSet(set_dir.name, passages, questions[:limit] if limit else questions, refuse, documents)


def out_of_scope_from(set_dirs: list[Path], per_set: int) -> list[dict[str, Any]]:
    """Other sets' questions as must-refuse ones: a fixed sample (seed 0) of each, tagged with its origin."""
    import random

    out: list[dict[str, Any]] = []
    for set_dir in set_dirs:
        questions = read_jsonl(set_dir / "questions.jsonl")
        picked = random.Random(0).sample(questions, min(per_set, len(questions)))
        out += [{"question": q["question"], "origin": set_dir.name} for q in picked]
    return out


def gold_of(q: dict[str, Any]) -> set[str]:
    """Passage ids, or document file names for a set whose gold is documents."""
    return {str(g) for g in (q.get("gold_ids") or q.get("gold_docs") or [])}


def file_name(passage_id: str) -> str:
    return re.sub(r"[^\w.-]", "_", passage_id)[:100] + ".md"


def write_corpus(es: EvalSet, folder: Path) -> dict[str, str]:
    """One Markdown file per passage; returns file name -> passage id. Unchanged files keep their mtime."""
    folder.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    if es.documents is not None:  # the real files: a chunk counts by the document it comes from
        return {p.name: p.name for p in sorted(es.documents.iterdir()) if p.is_file()}
    for pid, (title, text) in es.passages.items():
        name = file_name(pid)
        if name in names:
            name = f"{len(names)}-{name}"
        names[name] = pid
        body = f"# {title}\n\n{text}\n" if title else f"{text}\n"
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != body:
            path.write_text(body, encoding="utf-8")
    for stale in set(os.listdir(folder)) - set(names):
        (folder / stale).unlink()
    return names


def build_zhiku(settings: Settings, folder: Path) -> Any:
    from core.kb import open_kb
    from ingest.pipeline import ingest_paths

    kb = open_kb(settings)
    started = time.perf_counter()
    report = ingest_paths(kb, [str(folder)], settings.ingest, settings.embedding.batch_size)
    print(
        f"zhiku: {len(report.by_status('ingested'))} ingested, {len(report.by_status('skipped'))} unchanged, "
        f"{len(report.by_status('failed'))} failed, {report.chunks} chunks in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return kb


def build_naive(settings: Settings, folder: Path, persist: Path) -> Any:
    import chromadb
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import PyPDFLoader, TextLoader
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from bench.naive import ZhikuEmbeddings
    from core.embeddings import make_embedder

    embedding = ZhikuEmbeddings(make_embedder(settings.embedding), settings.embedding.batch_size)
    client = chromadb.config.Settings(anonymized_telemetry=False)
    done = persist / "complete"
    if done.is_file():
        return Chroma(persist_directory=str(persist), embedding_function=embedding, client_settings=client)
    started = time.perf_counter()

    def load(path: Path) -> list[Any]:
        return (PyPDFLoader(str(path)) if path.suffix == ".pdf" else TextLoader(str(path), encoding="utf-8")).load()

    docs = [d for p in sorted(folder.iterdir()) for d in load(p)]
    chunks = RecursiveCharacterTextSplitter().split_documents(docs)
    store = Chroma.from_documents(chunks, embedding, persist_directory=str(persist), client_settings=client)
    done.write_text(str(len(chunks)))
    print(f"naive: {len(chunks)} chunks in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return store


def passage_of(source: str, names: dict[str, str]) -> str:
    """The corpus passage a file written by `write_corpus` holds ("" for any other file)."""
    return names.get(Path(source).name, "")


def passages_of(src: Any, names: dict[str, str]) -> set[str]:
    """The passage a chunk was cut from, and the identical passages stored once with it (`also_in`)."""
    return {passage_of(p, names) for p in (src.source, *src.also_in)}


def rank_of(chunk_passages: list[str] | list[set[str]], gold: set[str]) -> int | None:
    """Rank of the first chunk belonging to a gold passage; a chunk may belong to several (identical copies)."""
    for i, pids in enumerate(chunk_passages, 1):
        if (pids & gold) if isinstance(pids, set) else pids in gold:
            return i
    return None


def summarise_ranks(ranks: list[int | None]) -> dict[str, float]:
    n = max(1, len(ranks))
    out = {f"hit@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in KS}
    out["mrr@10"] = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return out


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    arr = np.asarray(values)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95))}


def zhiku_retrievers(settings: Settings, kb: Any) -> dict[str, Any]:
    from app.engine.rerank import make_reranker
    from app.engine.retrieval import Retriever

    variants = {
        "zhiku vector": {"mode": "vector", "rerank": "none"},
        "zhiku keyword (BM25)": {"mode": "keyword", "rerank": "none"},
        "zhiku hybrid (RRF)": {"mode": "hybrid", "fusion": "rrf", "rerank": "none"},
        "zhiku hybrid (RRF) + coverage": {"mode": "hybrid", "fusion": "rrf", "rerank": "coverage"},
        "zhiku hybrid (weighted)": {"mode": "hybrid", "fusion": "weighted", "rerank": "none"},
        # the weight and the coverage rerank around the default, so its sensitivity is measured, not assumed
        "zhiku hybrid (weighted 0.5)": {"mode": "hybrid", "fusion": "weighted", "vector_weight": 0.5, "rerank": "none"},
        "zhiku hybrid (weighted 0.7)": {"mode": "hybrid", "fusion": "weighted", "vector_weight": 0.7, "rerank": "none"},
        "zhiku hybrid (weighted) + coverage 0.1": {
            "mode": "hybrid",
            "fusion": "weighted",
            "rerank": "coverage",
            "coverage_weight": 0.1,
        },
    }
    out = {}
    for name, change in variants.items():
        rs = settings.retrieval.model_copy(update=change)
        out[name] = Retriever(kb, rs, make_reranker(rs))
    return out


def run_retrieval(es: EvalSet, settings: Settings, kb: Any, naive: Any, names: dict[str, str]) -> dict[str, Any]:
    results: dict[str, Any] = {}

    for label, retriever in zhiku_retrievers(settings, kb).items():
        ranks, stages, totals = [], [], []
        for q in es.questions:
            found = retriever.search(q["question"], DEPTH)
            ranks.append(rank_of([passages_of(s, names) for s in found.sources], gold_of(q)))
            stages.append(found.stages_ms)
            totals.append(found.ms)
        stage_names = sorted({k for s in stages for k in s})
        results[label] = {
            **summarise_ranks(ranks),
            "ranks": ranks,
            "latency_ms": {"total": percentiles(totals)}
            | {k: percentiles([s.get(k, 0.0) for s in stages]) for k in stage_names},
        }
    if naive is not None:
        ranks, totals = [], []
        for q in es.questions:
            t0 = time.perf_counter()
            docs = naive.similarity_search(q["question"], k=DEPTH)
            totals.append((time.perf_counter() - t0) * 1000)
            ranks.append(rank_of([passage_of(d.metadata["source"], names) for d in docs], gold_of(q)))
        results["naive LangChain (vector, 4000/200)"] = {
            **summarise_ranks(ranks),
            "ranks": ranks,
            "latency_ms": {"total": percentiles(totals)},
        }
    return results


def run_refusals(es: EvalSet, settings: Settings, kb: Any) -> dict[str, Any]:
    """The relevance signal (`app.engine.retrieval.relevance`) on answerable and must-refuse questions, swept."""
    from app.engine.rerank import make_reranker
    from app.engine.retrieval import Retriever, relevance
    from core.lang import detect_language

    retriever = Retriever(kb, settings.retrieval, make_reranker(settings.retrieval))
    rs = settings.retrieval

    def best(question: str) -> tuple[float, float]:
        """(relevance minus the floor for the question's language, the best passage's share of its words)."""
        found = retriever.search(question, rs.top_k)
        score = relevance(found.query, found.sources, rs.relevance_coverage_weight, rs.cross_language_bonus)
        return score - rs.floor(found.query.language), max((src.coverage for src in found.sources), default=0.0)

    answerable_pairs = [best(q["question"]) for q in es.questions]
    refuse_pairs = [best(q["question"]) for q in es.refuse]
    answerable, refuse = [r for r, _ in answerable_pairs], [r for r, _ in refuse_pairs]
    language = Counter(detect_language(q["question"]) for q in es.questions).most_common(1)[0][0]
    base = rs.floor(language)  # the sweep moves one floor, in the set's main language's terms

    def mean_coverage(pairs: list[tuple[float, float]]) -> float | None:
        return statistics.fmean(c for _, c in pairs) if pairs else None

    def share(margins: list[float], shift: float = 0.0) -> float | None:
        return sum(m < shift for m in margins) / len(margins) if margins else None

    by_origin: dict[str, list[float]] = {}
    for q, margin in zip(es.refuse, refuse, strict=True):
        by_origin.setdefault(q.get("origin", "?"), []).append(margin)
    sweep = [
        {"min_relevance": t, "refused": share(refuse, t - base), "false_refusals": share(answerable, t - base)}
        for t in SWEEP
    ]
    return {
        "min_relevance": rs.min_relevance,
        "refused": share(refuse),
        "refused_by_origin": {origin: share(margins) for origin, margins in by_origin.items()},
        "false_refusals": share(answerable),
        "sweep_language": language,
        "sweep": sweep,
        "best_coverage_mean": {"answerable": mean_coverage(answerable_pairs), "refuse": mean_coverage(refuse_pairs)},
        "margins": {"answerable": answerable, "refuse": refuse},  # relevance minus the question's floor
    }


FALSE_SUPPORT_F1 = 0.1  # a shown model answer sharing less than this token-F1 with the gold answer "overlaps" it not


def token_f1(prediction: str, gold: str) -> float:
    from core.tokens import words

    pred, ref = Counter(words(prediction)), Counter(words(gold))
    same = sum((pred & ref).values())
    if not same:
        return 0.0
    precision, recall = same / sum(pred.values()), same / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def contains(prediction: str, answers: list[str]) -> bool:
    squeeze: Callable[[str], str] = lambda t: re.sub(r"\s+", "", t).lower()  # noqa: E731
    return any(squeeze(a) and squeeze(a) in squeeze(prediction) for a in answers)


def run_answers(es: EvalSet, settings: Settings, kb: Any, n: int) -> dict[str, Any]:
    from app.engine.answer import AskOptions
    from app.engine.service import AnswerService

    service = AnswerService(settings, kb)
    rows = []
    for q in es.questions[:n]:
        answer = service.ask(q["question"], options=AskOptions(use_cache=False))
        gold = [str(a) for a in (q.get("answers") or [q.get("answer", "")]) if a]
        evidence = " ".join(e.text for e in answer.evidence)
        verified = " ".join(answer.supported)
        verified_f1 = max((token_f1(verified, g) for g in gold), default=0.0)
        overlaps = contains(verified, gold) or verified_f1 >= FALSE_SUPPORT_F1
        rows.append(
            {
                "id": q.get("id"),
                "f1": max((token_f1(answer.answer, g) for g in gold), default=0.0),
                "contains": contains(answer.answer, gold),
                "evidence_f1": max((token_f1(evidence, g) for g in gold), default=0.0),
                "evidence_contains": contains(evidence, gold),
                "lead_contains": contains(" ".join(e.text for e in answer.lead), gold),
                # A model answer shown as checked ("supported") that neither holds nor overlaps the gold answer.
                "false_support": bool(answer.supported) and not overlaps,
                "grounded": answer.grounded.value,
                "first_token_ms": answer.timings.get("first_token_ms", 0.0),
                "generate_ms": answer.timings["generate_ms"],
                "retrieve_ms": answer.timings["retrieve_ms"],
            }
        )
    mean: Callable[[str], float] = lambda key: statistics.fmean(float(r[key]) for r in rows) if rows else 0.0  # noqa: E731
    return {
        "questions": len(rows),
        "token_f1": mean("f1"),
        "contains": mean("contains"),
        "evidence_token_f1": mean("evidence_f1"),
        "evidence_contains": mean("evidence_contains"),
        "lead_contains": mean("lead_contains"),
        "false_support": mean("false_support"),
        "grounded": dict(Counter(r["grounded"] for r in rows)),
        "first_token_ms": percentiles([r["first_token_ms"] for r in rows if r["first_token_ms"]]),
        "generate_ms": percentiles([r["generate_ms"] for r in rows]),
        "rows": rows,
    }


def silver_gold(ground_truth: str, passages: dict[str, tuple[str, str]]) -> set[str]:
    """Passages holding most of a dialogue's reference answer (the multi-turn file names no passage)."""
    from core.tokens import words

    want = set(words(ground_truth))
    recall = {pid: len(want & set(words(f"{t} {x}"))) / max(1, len(want)) for pid, (t, x) in passages.items()}
    top = max(recall.values(), default=0.0)
    return {pid for pid, r in recall.items() if r >= 0.8 * top and r > 0}


def run_multiturn(es: EvalSet, settings: Settings, kb: Any, dialogues: list[dict[str, Any]], names: dict[str, str]):
    """Follow-up questions retrieved four ways: alone, by the rule, rewritten by the LLM, and by the set's own
    reference rewrite (the ceiling). Scored by hit@5 of the passage holding the reference answer."""
    from app.engine.answer import AskOptions
    from app.engine.memory import Turn, rewrite_query
    from app.engine.service import AnswerService

    service = AnswerService(settings, kb)
    rule_chars = settings.memory.followup_max_chars
    strategies: dict[str, Callable[[str, list[Turn], dict[str, Any]], str]] = {
        "question alone": lambda q, h, d: q,
        "rule before issue 18 (previous question + short follow-up)": lambda q, h, d: (
            f"{h[-1].question} {q}" if h and len(q.strip()) <= rule_chars else q
        ),
        "rule (the topic's subject + follow-up; a short question alone when it stands alone)": lambda q, h, d: (
            service.retrieve(q, h, AskOptions(use_cache=False)).query
        ),
        f"LLM rewrite ({settings.llm.model_path})": lambda q, h, d: rewrite_query(q, h, 10_000, service._llm_rewrite),
        "reference rewrite (ceiling)": lambda q, h, d: d["expected_query_rewrite"],
    }
    out: dict[str, Any] = {}
    for label, strategy in strategies.items():
        ranks, queries, seconds = [], [], []
        for d in dialogues:
            msgs = d["history"]
            history = [Turn(msgs[i]["content"], msgs[i + 1]["content"]) for i in range(0, len(msgs) - 1, 2)]
            started = time.perf_counter()
            query = strategy(d["question"], history, d)
            seconds.append(time.perf_counter() - started)
            found = service.retriever.search(query, DEPTH)
            chunk_passages = [passages_of(s, names) for s in found.sources]
            ranks.append(rank_of(chunk_passages, silver_gold(d["ground_truth"], es.passages)))
            queries.append(query)
        f1 = statistics.fmean(token_f1(q, d["expected_query_rewrite"]) for q, d in zip(queries, dialogues, strict=True))
        out[label] = {**summarise_ranks(ranks), "rewrite_f1": f1, "rewrite_s_p50": percentiles(seconds)["p50"],
                      "queries": queries}  # fmt: skip
    return out


def markdown(es: EvalSet, report: dict[str, Any]) -> str:
    lines = [
        f"### {es.name}: {len(es.questions)} questions, {len(es.passages)} passages, {report['chunks']} chunks",
        "",
        "| retriever | hit@1 | hit@5 | hit@10 | MRR@10 | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in report["retrieval"].items():
        lat = r["latency_ms"]["total"]
        cells = [f"{r[f'hit@{k}']:.3f}" for k in KS] + [f"{r['mrr@10']:.3f}", f"{lat['p50']:.0f}", f"{lat['p95']:.0f}"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    hybrid = report["retrieval"].get("zhiku hybrid (weighted)", {}).get("latency_ms", {})
    if hybrid:
        stages = ", ".join(f"{k} {v['p50']:.1f}/{v['p95']:.1f}" for k, v in hybrid.items() if k != "total")
        lines += ["", f"Hybrid (weighted) latency per stage, p50/p95 ms: {stages}."]
    if ref := report.get("refusals"):
        pct: Callable[[float | None], str] = lambda v: "–" if v is None else f"{v:.1%}"  # noqa: E731
        origins = ", ".join(f"{o}: {pct(v)}" for o, v in ref["refused_by_origin"].items()) or "none"
        lines += [
            "",
            f"Refusals at min_relevance {ref['min_relevance']}: {pct(ref['refused'])} of {len(es.refuse)} out-of-scope "
            f"questions refused ({origins}), {pct(ref['false_refusals'])} of answerable ones wrongly refused. The "
            f"best passage holds {pct(ref['best_coverage_mean']['answerable'])} of an answerable question's words on "
            f"average, {pct(ref['best_coverage_mean']['refuse'])} of an out-of-scope one's.",
            "",
            f"| min_relevance ({ref['sweep_language']}) | refused (out of scope) | false refusals |",
            "|---|---|---|",
        ]
        lines += [f"| {s['min_relevance']} | {pct(s['refused'])} | {pct(s['false_refusals'])} |" for s in ref["sweep"]]
    if multi := report.get("multiturn"):
        lines += [
            "",
            f"Follow-up questions ({report['multiturn_dialogues']} dialogues), hit of the passage holding the "
            "reference answer:",
            "",
            "| follow-up handling | hit@1 | hit@5 | hit@10 | token-F1 vs reference rewrite | rewrite time p50 |",
            "|---|---|---|---|---|---|",
        ]
        for label, r in multi.items():
            lines.append(
                f"| {label} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | {r['hit@10']:.3f} | {r['rewrite_f1']:.3f} "
                f"| {r['rewrite_s_p50'] * 1000:.0f} ms |"
            )
    if ans := report.get("answers"):
        lines += [
            "",
            f"Answers ({ans['questions']} questions, {report['llm']}): token-F1 {ans['token_f1']:.3f}, "
            f"contains {ans['contains']:.1%}; evidence sentences token-F1 {ans['evidence_token_f1']:.3f}, "
            f"contains {ans['evidence_contains']:.1%}; lead contains {ans['lead_contains']:.1%}; false support "
            f"{ans['false_support']:.1%}; grounded {ans['grounded']}; time to first token "
            f"p50 {ans['first_token_ms']['p50']:.0f} ms, p95 {ans['first_token_ms']['p95']:.0f} ms; "
            f"generation p50 {ans['generate_ms']['p50']:.0f} ms.",
        ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, required=True, help="a QA set folder, e.g. ../shared/data/qa/domainrag")
    ap.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    ap.add_argument("--limit", type=int, help="only the first N questions")
    ap.add_argument("--answers", type=int, default=0, help="also run the LLM on the first N questions")
    ap.add_argument("--skip-naive", action="store_true", help="leave the LangChain baseline out")
    ap.add_argument("--skip-multiturn", action="store_true", help="leave the follow-up question comparison out")
    ap.add_argument("--ood-from", type=Path, nargs="+", default=[], help="other sets whose questions must be refused")
    ap.add_argument("--ood-per-set", type=int, default=40, help="questions taken from each --ood-from set")
    ap.add_argument("--refusals-only", action="store_true", help="only the refusal figures (no retrieval, no LLM)")
    return ap.parse_args(argv)


def open_set(
    set_dir: Path, limit: int | None, config: str | None = None
) -> tuple[EvalSet, Settings, dict[str, str], Any]:
    """The set, its settings, file name -> passage id, and its knowledge base, ingested on first use (a
    later run reuses it): `bench.eval` and `bench.fusion` read the same knowledge base."""
    es = load_set(set_dir, limit)
    settings = load_settings(config, data_dir=work_dir(es) / "zhiku", kb=es.name)
    names = write_corpus(es, work_dir(es) / "corpus")
    return es, settings, names, build_zhiku(settings, documents_of(es))


def work_dir(es: EvalSet) -> Path:
    """Where a set's knowledge bases and written corpus live between runs."""
    return RESULTS / "eval" / es.name


def documents_of(es: EvalSet) -> Path:
    """The folder both pipelines ingest: the set's own documents, or its passages written out as files."""
    return es.documents or work_dir(es) / "corpus"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.set / "corpus.jsonl").is_file():
        print(f"no QA set at {args.set} (expected corpus.jsonl and questions.jsonl there)", file=sys.stderr)
        return 2
    es, settings, names, kb = open_set(args.set, args.limit, args.config)
    es.refuse += out_of_scope_from([d for d in args.ood_from if d.resolve() != args.set.resolve()], args.ood_per_set)
    naive = None
    if not (args.skip_naive or args.refusals_only):
        naive = build_naive(settings, documents_of(es), work_dir(es) / "naive")
    report: dict[str, Any] = {
        "set": es.name,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.eval", *(argv if argv is not None else sys.argv[1:])]),
        "embedding": kb.embedder.name,
        "llm": settings.llm.model_path,
        "retrieval_settings": settings.retrieval.model_dump(),
        "chunks": kb.count(),
        "load_average": os.getloadavg(),
    }
    report["retrieval"] = {} if args.refusals_only else run_retrieval(es, settings, kb, naive, names)
    report["refusals"] = run_refusals(es, settings, kb)
    dialogues_file = args.set / "raw" / "eval_multiturn.jsonl"
    if dialogues_file.is_file() and not args.skip_multiturn and not args.refusals_only:
        dialogues = read_jsonl(dialogues_file)
        report["multiturn_dialogues"] = len(dialogues)
        report["multiturn"] = run_multiturn(es, settings, kb, dialogues, names)
    if args.answers and not args.refusals_only:
        report["answers"] = run_answers(es, settings, kb, args.answers)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"eval-{es.name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(markdown(es, report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
