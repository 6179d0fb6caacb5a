"""Choose `ingest.chunk_size` / `ingest.chunk_overlap` by measured retrieval (evaluation only, not the product).

The QA sets' passages are already cut, so documents are rebuilt first: the passages of one document are joined
in their order into one text (each passage's character span remembered), and that text is split with Zhiku's own
splitter, `ingest.splitter.make_splitter(chunk_size, chunk_overlap)`. Zhiku splits each PDF page on its own, so a
set whose passages are PDF pages (rag5's PDFs) keeps one unit per page; everything else is one unit per document.

A chunk counts for a gold passage when they share at least half of the shorter of the two:
`overlap >= 0.5 * min(len(chunk), len(passage))`. So a small chunk lying mostly inside a long gold passage counts,
and so does a big chunk that holds most of a short gold passage; a chunk that only grazes a passage's edge does not.
k counts chunks, as the user and the LLM see them (`retrieval.top_k` chunks, best first). Per question:
- hit@1/5/10 and MRR@10: rank of the first chunk that counts for any gold passage;
- recall@5: distinct gold passages covered by the top 5 (several chunks of one passage count once);
- ctx hit: a chunk that counts lies wholly inside the first 2,400 characters of the top 5 (the prompt's budget
  when this was measured, `llm.context_chars`; now `llm.context_tokens`), so huge chunks cannot win by hit@5 alone;
- answer hit@5 (questions whose answer occurs verbatim in a gold passage): a top-5 chunk that counts also holds
  the answer, which the overlap rule cannot see and small chunks may cut away.
Differences against today's default (400/60) are paired: bootstrap over questions, resampled within each set.
Retrievers: the default embedder (e5) with brute-force cosine; Okapi BM25 over jieba words (k1 1.5, b 0.75); and
their reciprocal rank fusion (k = 60) because Zhiku's retrieval will be hybrid. Cost: chunks and characters embedded.

Sets: emanual_smarttv (en, the whole manual as one document, `title\\ntext` per section), rag5_sdu_regulations
(zh, PDF pages one by one, DOCX chunks joined per file; questions without gold are dropped) and domainrag (zh,
sampled: only the 121 labelled documents `docN-pK`, 222 passages, ~105k characters, with the 203 questions whose
gold lies in them; the 1,778 retrieved hash-id passages, partly exact copies of labelled ones, and the 94
structured_table questions whose gold are among them, are left out to keep e5's ~1,100 Chinese chars/s affordable).

Embeddings are cached per distinct text in bench/results/chunking_cache.pkl (git-ignored), so a re-run or a text
shared by two configurations is embedded once. Exact command (from the repo root; prints markdown tables, writes
bench/results/chunking.json):

    nice -n 10 .venv/bin/python -m bench.chunking --sets emanual_smarttv rag5_sdu_regulations domainrag

Tiny trial (~22k characters to embed): `--sets rag5_sdu_regulations --docs 40 --sizes 400 --overlaps 0.15`.
Decision and figures: docs/decisions/chunking.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import math
import os
import pickle
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jieba
import numpy as np

from bench.embeddings import KS, ROOT, read_jsonl
from core.embeddings import Embedder, make_embedder
from core.settings import EmbeddingSettings, IngestSettings, RetrievalSettings
from ingest.splitter import make_splitter

RESULTS = ROOT / "bench" / "results" / "chunking.json"
CACHE = ROOT / "bench" / "results" / "chunking_cache.pkl"
SIZES = (200, 300, 400, 600, 800, 1000)
OVERLAPS = (0.0, 0.15)  # fraction of chunk_size; 0.15 x 400 = 60, today's default
MIN_SHARE = 0.5  # a chunk counts for a passage when they share >= half of the shorter one
DEPTH = 100  # candidates each retriever hands to the fusion
RRF_K = 60
BATCH = 32
JOINER = "\n"  # between the passages of one document: a line break, as between paragraphs
BOOTSTRAP = 2000
CONTEXT_CHARS = 2400  # the prompt budget when this was measured (then llm.context_chars, now llm.context_tokens)


@dataclass(frozen=True)
class Unit:
    """A text Zhiku would split on its own (a page of a PDF, or a whole file), with its passages' spans."""

    text: str
    spans: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    gold: frozenset[str]
    answers: tuple[str, ...] = ()  # whitespace-free answers found verbatim in a gold passage (extractive sets)


@dataclass(frozen=True)
class QASet:
    name: str
    units: list[Unit]
    questions: list[Question]
    how: str


@dataclass(frozen=True)
class Chunk:
    text: str
    passages: frozenset[str]  # gold candidates this chunk counts for (see MIN_SHARE)


@dataclass
class EmbeddingCache:
    """Vectors by (kind, text) for one model; pickled so re-runs and repeated chunk texts are embedded once."""

    model: str
    vectors: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    chars_embedded: int = 0
    seconds: float = 0.0
    dirty: bool = False

    @classmethod
    def load(cls, path: Path, model: str) -> EmbeddingCache:
        if path.is_file():
            with path.open("rb") as f:
                data = pickle.load(f)
            if data.get("model") == model:
                return cls(model, data["vectors"])
        return cls(model)

    def save(self, path: Path) -> None:
        """Atomic replace: an interrupted run must not leave a broken cache behind."""
        if not self.dirty:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump({"model": self.model, "vectors": self.vectors}, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        self.dirty = False

    def documents(self, emb: Embedder, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if ("passage", t) not in self.vectors))
        start = time.perf_counter()
        for i in range(0, len(missing), BATCH):
            batch = missing[i : i + BATCH]
            for text, vec in zip(batch, emb.embed_documents(batch), strict=True):
                self.vectors["passage", text] = vec
        if missing:
            self._count(sum(map(len, missing)), time.perf_counter() - start)
        return np.vstack([self.vectors["passage", t] for t in texts])

    def queries(self, emb: Embedder, texts: list[str]) -> np.ndarray:
        for text in texts:
            if ("query", text) not in self.vectors:
                self.vectors["query", text] = emb.embed_query(text)
                self.dirty = True
        return np.vstack([self.vectors["query", t] for t in texts])

    def _count(self, chars: int, seconds: float) -> None:
        self.chars_embedded += chars
        self.seconds += seconds
        self.dirty = True


# --- rebuilding documents ----------------------------------------------------------------------------------------


def join_passages(passages: list[tuple[str, str]], header: str = "") -> Unit:
    """Concatenates (id, text) in order and records each passage's span; `header` belongs to no passage."""
    text, spans = header, {}
    for pid, ptext in passages:
        if text:
            text += JOINER
        spans[pid] = (len(text), len(text) + len(ptext))
        text += ptext
    return Unit(text, spans)


def emanual_units(corpus: list[dict[str, Any]]) -> list[Unit]:
    """One manual: its sections in order, each written as heading line + body, as in the PDF it came from."""
    return [join_passages([(p["id"], f"{p['title']}\n{p['text']}") for p in corpus])]


def rag5_units(corpus: list[dict[str, Any]]) -> list[Unit]:
    """PDF pages are split one by one (as `ingest.splitter.split_pages` does); a DOCX is one text."""
    units, docx = [], defaultdict(list)
    for p in corpus:
        if p.get("page") is not None:
            units.append(join_passages([(p["id"], p["text"])]))
        else:
            docx[p["doc"]].append((p["chunk"], p["id"], p["text"]))
    for parts in docx.values():
        units.append(join_passages([(pid, text) for _, pid, text in sorted(parts)]))
    return units


LABELLED = re.compile(r"(doc\d+)-p(-?\d+)")


def domainrag_units(corpus: list[dict[str, Any]]) -> list[Unit]:
    """The labelled web pages only (`docN-pK`, passages in K order, page title on the first line)."""
    docs: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
    for p in corpus:
        m = LABELLED.fullmatch(p["id"])
        if m:
            docs[m.group(1)].append((int(m.group(2)), p["id"], p["text"], p["title"]))
    units = []
    for parts in docs.values():
        parts.sort()
        units.append(join_passages([(pid, text) for _, pid, text, _ in parts], header=parts[0][3]))
    return units


BUILDERS: dict[str, tuple[Callable[[list[dict[str, Any]]], list[Unit]], str]] = {
    "emanual_smarttv": (emanual_units, "whole manual as one document, sections as `title\\ntext`"),
    "rag5_sdu_regulations": (rag5_units, "PDF pages split one by one, DOCX chunks joined per file"),
    "domainrag": (domainrag_units, "labelled docN-pK web pages only; retrieved hash-id passages left out"),
}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def verbatim_answers(q: dict[str, Any], passages: dict[str, str]) -> tuple[str, ...]:
    """Answers that occur in a gold passage: they let a check ask whether the chunk itself holds the answer."""
    answers = [a for a in q.get("answers") or [q.get("answer")] if isinstance(a, str) and squeeze(a)]
    return tuple(squeeze(a) for a in answers if any(squeeze(a) in squeeze(passages[g]) for g in q["gold_ids"]))


def load_set(data: Path, name: str, docs: int | None, limit: int | None) -> QASet:
    """Questions are kept only when every gold passage is in the rebuilt units (none for an empty gold list)."""
    build, how = BUILDERS[name]
    corpus = read_jsonl(data / name / "corpus.jsonl")
    units = build(corpus)[:docs]
    known = {pid for u in units for pid in u.spans}
    passages = {p["id"]: p["text"] for p in corpus}
    questions = [
        Question(q["id"], q["question"], frozenset(q["gold_ids"]), verbatim_answers(q, passages))
        for q in read_jsonl(data / name / "questions.jsonl")
        if q["gold_ids"] and known.issuperset(q["gold_ids"])
    ][:limit]
    if not questions:
        raise SystemExit(f"{name}: no question has all its gold passages in the units kept (see --docs)")
    return QASet(name, units, questions, how)


# --- chunking and labelling --------------------------------------------------------------------------------------


def locate(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Chunks come back as strings; each starts after the previous one's start (overlap may reach back)."""
    spans, cursor = [], 0
    for piece in pieces:
        start = text.find(piece, cursor)
        if start < 0:
            start = text.find(piece)
        if start < 0:
            raise ValueError(f"chunk not found in its document: {piece[:60]!r}")
        spans.append((start, start + len(piece)))
        cursor = start + 1
    return spans


def counts_for(chunk: tuple[int, int], passage: tuple[int, int]) -> bool:
    overlap = min(chunk[1], passage[1]) - max(chunk[0], passage[0])
    return overlap > 0 and overlap >= MIN_SHARE * min(chunk[1] - chunk[0], passage[1] - passage[0])


def chunk_units(units: list[Unit], size: int, overlap: int) -> list[Chunk]:
    splitter = make_splitter(size, overlap)
    chunks = []
    for unit in units:
        pieces = splitter.split_text(unit.text)
        for piece, span in zip(pieces, locate(unit.text, pieces), strict=True):
            hits = frozenset(pid for pid, p in unit.spans.items() if counts_for(span, p))
            chunks.append(Chunk(piece, hits))
    return chunks


# --- retrieval ---------------------------------------------------------------------------------------------------

jieba.setLogLevel(logging.WARNING)
WORD = re.compile(r"\w")


@cache
def tokenize(text: str) -> tuple[str, ...]:
    """jieba words, lower-cased, punctuation and spaces dropped: one tokenizer for Chinese and English."""
    return tuple(t for t in jieba.lcut(text.lower()) if WORD.search(t))


class BM25:
    """Okapi BM25 (k1 1.5, b 0.75, Lucene's idf, never negative) over token tuples; ranks as rank-bm25 does."""

    def __init__(self, docs: list[tuple[str, ...]], k1: float = 1.5, b: float = 0.75) -> None:
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        self.n = len(docs)
        self.norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1.0))
        self.k1 = k1
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                postings[term].append((i, tf))
        self.postings = {
            t: (np.array([i for i, _ in p]), np.array([tf for _, tf in p], float)) for t, p in postings.items()
        }
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in postings.items()}

    def scores(self, query: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.n)
        for term in query:
            if term in self.postings:
                ids, tf = self.postings[term]
                out[ids] += self.idf[term] * tf * (self.k1 + 1) / (tf + self.norm[ids])
        return out


def top(scores: np.ndarray, depth: int = DEPTH, positive: bool = False) -> list[int]:
    order = np.argsort(-scores, kind="stable")[:depth]
    return [int(i) for i in order if not positive or scores[i] > 0]


def rrf(rankings: list[list[int]], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion; ties keep the first ranking's order (dense first)."""
    score: dict[int, float] = defaultdict(float)
    for ranking in rankings:
        for rank, i in enumerate(ranking, 1):
            score[i] += 1 / (k + rank)
    return sorted(score, key=lambda i: -score[i])


# --- metrics -----------------------------------------------------------------------------------------------------


def judge(ranking: list[int], chunks: list[Chunk], q: Question, top_k: int, budget: int) -> dict[str, Any]:
    """First hit rank (None past 10), distinct gold in the top 5, whether a hit fits the prompt budget, and
    (extractive questions only) whether a top-5 hit holds the answer itself, which small chunks may cut away."""
    gold = q.gold
    first = next((r for r, i in enumerate(ranking[: max(KS)], 1) if chunks[i].passages & gold), None)
    found = set().union(*(chunks[i].passages & gold for i in ranking[:5]))
    used, ctx = 0, False
    for i in ranking[:top_k]:
        used += len(chunks[i].text)
        if used > budget:
            break
        ctx = ctx or bool(chunks[i].passages & gold)
    answer = None
    if q.answers:
        held = (squeeze(chunks[i].text) for i in ranking[:5] if chunks[i].passages & gold)
        answer = any(a in text for text in held for a in q.answers)
    return {"rank": first, "recall5": len(found) / len(gold), "ctx": ctx, "answer5": answer}


def summarise(judged: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(judged)
    ranks = [j["rank"] for j in judged]
    out = {f"hit@{k}": round(sum(r is not None and r <= k for r in ranks) / n, 3) for k in KS}
    out["mrr@10"] = round(sum(1 / r for r in ranks if r) / n, 3)
    out["recall@5"] = round(sum(j["recall5"] for j in judged) / n, 3)
    out["ctx_hit"] = round(sum(j["ctx"] for j in judged) / n, 3)
    extractive = [j["answer5"] for j in judged if j["answer5"] is not None]
    out["answer_n"] = len(extractive)
    out["answer_hit@5"] = round(sum(extractive) / len(extractive), 3) if extractive else None
    return out


def hits_at(ranks: list[int | None], k: int) -> np.ndarray:
    return np.array([r is not None and r <= k for r in ranks], dtype=float)


def paired_ci(groups: list[tuple[np.ndarray, np.ndarray]], seed: int = 0) -> tuple[float, float, float]:
    """Mean over sets of the per-set paired difference b - a, with a 95% bootstrap interval (questions resampled
    within each set): the question sets are small, so this says which gaps are noise."""
    rng = np.random.default_rng(seed)
    diffs = [b - a for a, b in groups]
    boots = np.mean([[d[rng.integers(0, len(d), len(d))].mean() for _ in range(BOOTSTRAP)] for d in diffs], axis=0)
    point = float(np.mean([d.mean() for d in diffs]))
    return round(point, 3), round(float(np.percentile(boots, 2.5)), 3), round(float(np.percentile(boots, 97.5)), 3)


# --- running -----------------------------------------------------------------------------------------------------


def evaluate(
    qa: QASet, chunks: list[Chunk], vecs: np.ndarray, qvecs: np.ndarray, top_k: int, budget: int
) -> dict[str, Any]:
    bm25 = BM25([tokenize(c.text) for c in chunks])
    per: dict[str, list[dict[str, Any]]] = {"e5": [], "bm25": [], "hybrid": []}
    for q, qv in zip(qa.questions, qvecs, strict=True):
        dense = top(vecs @ qv)
        sparse = top(bm25.scores(tokenize(q.text)), positive=True)
        for name, ranking in (("e5", dense), ("bm25", sparse), ("hybrid", rrf([dense, sparse]))):
            per[name].append(judge(ranking, chunks, q, top_k, budget))
    return {
        "metrics": {name: summarise(js) for name, js in per.items()},
        "ranks": {name: [j["rank"] for j in js] for name, js in per.items()},
        "ctx": {name: [j["ctx"] for j in js] for name, js in per.items()},
    }


def run_set(
    emb: Embedder, cache: EmbeddingCache, qa: QASet, grid: list[tuple[int, int]], top_k: int, budget: int
) -> list[dict[str, Any]]:
    qvecs = cache.queries(emb, [q.text for q in qa.questions])
    rows = []
    for size, overlap in grid:
        start = time.perf_counter()
        chunks = chunk_units(qa.units, size, overlap)
        vecs = cache.documents(emb, [c.text for c in chunks])
        cache.save(CACHE)
        row = {"set": qa.name, "size": size, "overlap": overlap, "chunks": len(chunks)}
        row["chars"] = sum(len(c.text) for c in chunks)
        row |= evaluate(qa, chunks, vecs, qvecs, top_k, budget)
        row["seconds"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        hyb = row["metrics"]["hybrid"]
        print(f"{qa.name} {size}/{overlap}: {len(chunks)} chunks, {row['seconds']} s, hybrid {hyb}", file=sys.stderr)
    return rows


def per_question(row: dict[str, Any], what: str) -> np.ndarray:
    """Hybrid outcome per question (1/0), the unit the bootstrap resamples."""
    if what == "ctx":
        return np.array(row["ctx"]["hybrid"], dtype=float)
    return hits_at(row["ranks"]["hybrid"], int(what.removeprefix("hit@")))


def add_deltas(rows: list[dict[str, Any]], base: tuple[int, int], sets: list[str]) -> list[dict[str, Any]]:
    """Paired differences against the current default, per set and averaged over the sets."""
    by_key = {(r["set"], r["size"], r["overlap"]): r for r in rows}
    summary = []
    for size, overlap in dict.fromkeys((r["size"], r["overlap"]) for r in rows):
        entry: dict[str, Any] = {"size": size, "overlap": overlap}
        entry["chars"] = sum(by_key[s, size, overlap]["chars"] for s in sets)
        entry["chunks"] = sum(by_key[s, size, overlap]["chunks"] for s in sets)
        for retriever in ("e5", "bm25", "hybrid"):
            for metric in ("hit@1", "hit@5", "mrr@10", "ctx_hit"):
                entry[f"{retriever} {metric}"] = round(
                    float(np.mean([by_key[s, size, overlap]["metrics"][retriever][metric] for s in sets])), 3
                )
        for what in ("hit@5", "ctx"):
            pairs = [(per_question(by_key[s, *base], what), per_question(by_key[s, size, overlap], what)) for s in sets]
            for s, pair in zip(sets, pairs, strict=True):
                by_key[s, size, overlap][f"delta_hybrid_{what}"] = paired_ci([pair])
            entry[f"delta_hybrid_{what}"] = paired_ci(pairs)
        summary.append(entry)
    return summary


def fmt(m: dict[str, Any]) -> str:
    return f"{m['hit@1']:.3f} / {m['hit@5']:.3f} / {m['hit@10']:.3f} · {m['mrr@10']:.3f}"


def fmt_answer(m: dict[str, Any]) -> str:
    return "—" if m["answer_hit@5"] is None else f"{m['answer_hit@5']:.3f} ({m['answer_n']})"


def fmt_ci(d: tuple[float, float, float] | None) -> str:
    return "" if d is None else f"{d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}]"


def markdown(rows: list[dict[str, Any]], sets: dict[str, QASet], summary: list[dict[str, Any]]) -> str:
    head = "| set (questions) | size / overlap | chunks | chars embedded | e5 hit@1 / @5 / @10 · MRR@10 | "
    head += "BM25 hit@1 / @5 / @10 · MRR@10 | hybrid hit@1 / @5 / @10 · MRR@10 | hybrid recall@5 | hybrid ctx hit | "
    head += "hybrid answer hit@5 (n) | Δ hybrid hit@5 vs default [95% CI] |"
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        m = r["metrics"]
        lines.append(
            f"| {r['set']} ({len(sets[r['set']].questions)}) | {r['size']} / {r['overlap']} | {r['chunks']} | "
            f"{r['chars']} | {fmt(m['e5'])} | {fmt(m['bm25'])} | {fmt(m['hybrid'])} | {m['hybrid']['recall@5']:.3f} | "
            f"{m['hybrid']['ctx_hit']:.3f} | {fmt_answer(m['hybrid'])} | {fmt_ci(r.get('delta_hybrid_hit@5'))} |"
        )
    lines += ["", "Mean over the sets (each set weighs the same):", ""]
    lines.append(
        "| size / overlap | chunks | chars embedded | e5 hit@1 / @5 · MRR@10 | BM25 hit@1 / @5 · MRR@10 | "
        "hybrid hit@1 / @5 · MRR@10 | hybrid ctx hit | Δ hybrid hit@5 vs default [95% CI] | Δ ctx hit [95% CI] |"
    )
    lines.append("|" + "---|" * 9)
    for e in summary:
        cells = [
            f"{e[f'{r} hit@1']:.3f} / {e[f'{r} hit@5']:.3f} · {e[f'{r} mrr@10']:.3f}" for r in ("e5", "bm25", "hybrid")
        ]
        lines.append(
            f"| {e['size']} / {e['overlap']} | {e['chunks']} | {e['chars']} | {' | '.join(cells)} | "
            f"{e['hybrid ctx_hit']:.3f} | {fmt_ci(e['delta_hybrid_hit@5'])} | {fmt_ci(e['delta_hybrid_ctx'])} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=list(BUILDERS), choices=list(BUILDERS))
    ap.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    ap.add_argument("--overlaps", nargs="+", type=float, default=list(OVERLAPS), help="fractions of chunk_size")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "qa")
    ap.add_argument("--docs", type=int, default=None, help="first N rebuilt units of each set (trial runs)")
    ap.add_argument("--limit", type=int, default=None, help="first N questions of each set (default: all)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    missing = [s for s in args.sets if not (args.data / s / "corpus.jsonl").is_file()]
    if missing:
        print(f"QA data not found: {', '.join(str(args.data / s) for s in missing)} (see --data)", file=sys.stderr)
        return 2
    grid = [(size, round(size * frac)) for size in args.sizes for frac in args.overlaps]
    default = IngestSettings()
    base = (default.chunk_size, default.chunk_overlap)
    top_k, budget = RetrievalSettings().top_k, CONTEXT_CHARS

    load_before, t0, cpu0 = os.getloadavg(), time.perf_counter(), time.process_time()
    emb = make_embedder(EmbeddingSettings())
    cache = EmbeddingCache.load(CACHE, emb.name)
    sets = {name: load_set(args.data, name, args.docs, args.limit) for name in args.sets}
    rows = [row for qa in sets.values() for row in run_set(emb, cache, qa, grid, top_k, budget)]
    cache.save(CACHE)
    summary = add_deltas(rows, base, args.sets) if base in grid else []
    total_s = time.perf_counter() - t0

    result = {
        "command": "python -m bench.chunking " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": datetime.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "loadavg_before_after": [load_before, os.getloadavg()],
        "total_s": round(total_s, 1),
        "cpu_s": round(time.process_time() - cpu0, 1),  # all threads; wall x cores when the machine is free
        "embedder": emb.name,
        "newly_embedded": {"chars": cache.chars_embedded, "seconds": round(cache.seconds, 1)},
        "rule": f"chunk counts for a passage when overlap >= {MIN_SHARE} x min(len(chunk), len(passage))",
        "default": base,
        "top_k": top_k,
        "context_chars": budget,
        "sets": {
            n: {
                "how": qa.how,
                "units": len(qa.units),
                "passages": sum(len(u.spans) for u in qa.units),
                "chars": sum(len(u.text) for u in qa.units),
                "questions": len(qa.questions),
            }
            for n, qa in sets.items()
        },
        "summary": summary,
        "results": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(markdown(rows, sets, summary))
    rate = cache.chars_embedded / cache.seconds if cache.seconds else 0
    print(
        f"\ntotal {total_s:.1f} s; newly embedded {cache.chars_embedded} chars in {cache.seconds:.0f} s "
        f"({rate:.0f} chars/s); 1-min load {load_before[0]:.2f}/{os.getloadavg()[0]:.2f}; JSON in "
        f"{RESULTS.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
