"""Asking while it ingests (issue 20, item 4): how soon a question answered on one page of a document being ingested
finds that page, as a share of the whole ingestion's time.

A reader is started first, as a running service would be: `python -m app search --json -` (the real CLI, JSON Lines
on stdin, its model loaded by a first question on the empty knowledge base). Then `python -m ingest` (the real CLI)
ingests the file into the same temporary data dir, and the reader asks the question about every `--every` seconds
until the ingestion exits, then once more. Recorded per question: the time since the ingestion started, whether the
page is among the top `-k` passages and whether its passage says its document is still being embedded. The result:
the first time the page is found ÷ the ingestion's wall time (goal ≤ 0.25), and the ingestion's CPU seconds.

    nice -n 5 .venv/bin/python -m bench.early

prints a summary and writes bench/results/early.json. The machine may be shared: CPU seconds, not wall time,
compare runs of the ingestion itself (`bench.ingest` measures its speed).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "early.json"
PDF = ROOT.parent / "shared" / "data" / "pdfs" / "debian-docs" / "zh" / "maint-guide.zh-cn.pdf"
QUESTION = "lintian 输出中的 E: 和 W: 标记分别代表什么？"  # page 51: "E: 代表错误…  W: 代表警告…"
KB = "early"


def _common(data: Path, config: Path) -> list[str]:
    return ["--config", str(config), "--data-dir", str(data), "--kb", KB]


def ask(reader: subprocess.Popen[str], question: str) -> dict[str, Any]:
    assert reader.stdin is not None and reader.stdout is not None
    reader.stdin.write(question + "\n")
    reader.stdin.flush()
    line = reader.stdout.readline()
    if not line:
        raise RuntimeError("the reader exited")
    result: dict[str, Any] = json.loads(line)
    return result


def found_page(result: dict[str, Any], name: str, page: int, k: int) -> dict[str, Any] | None:
    for src in result["sources"][:k]:
        if Path(src["source"]).name == name and src["page"] == page:
            return dict(src)
    return None


def run(pdf: Path, question: str, page: int, k: int, every: float, config: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="zhiku-early-") as tmp:
        data = Path(tmp) / "data"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        reader_cmd = [sys.executable, "-m", "app", "search", *_common(data, config), "--json", "-k", str(k), "-"]
        reader = subprocess.Popen(
            reader_cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        try:
            ask(reader, question)  # loads the model, as a running service has
            ingest_cmd = [sys.executable, "-m", "ingest", *_common(data, config), str(pdf)]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            with (Path(tmp) / "ingest.log").open("w") as log:
                started = time.perf_counter()
                ingest = subprocess.Popen(ingest_cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
                ended: list[float] = []

                def wait() -> None:
                    ingest.wait()
                    ended.append(time.perf_counter())

                waiter = threading.Thread(target=wait)
                waiter.start()
                asks = []
                while True:
                    done = bool(ended)
                    at = time.perf_counter() - started
                    result = ask(reader, question)
                    hit = found_page(result, pdf.name, page, k)
                    ms = result["timings"]["retrieve_ms"]
                    asks.append({
                        "at_s": round(at, 2), "found": hit is not None, "rank": hit["rank"] if hit else None,
                        "embedding": bool(hit and hit.get("embedding")), "retrieve_ms": ms,
                    })  # fmt: skip
                    if done:
                        break
                    time.sleep(max(0.0, every - (time.perf_counter() - started - at)))
                waiter.join()
                after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the ingestion reaped, the reader not yet
        finally:
            if reader.stdin:
                reader.stdin.close()
            reader.wait(timeout=60)
        total = round(ended[0] - started, 2)
        cpu = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
        first = next((a["at_s"] for a in asks if a["found"]), None)
        return {
            "file": pdf.name, "question": question, "page": page, "k": k, "ingest_wall_s": total, "ingest_cpu_s": cpu,
            "first_found_s": first, "ratio": round(first / total, 3) if first is not None and total else None,
            "ingest_rc": ingest.returncode, "asks": asks,
        }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=PDF)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--page", type=int, default=51)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between questions")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = [run(args.file, args.question, args.page, args.k, args.every, args.config) for _ in range(args.runs)]
    for r in runs:
        print(
            f"{r['file']}: page {r['page']} first in the top {r['k']} at {r['first_found_s']} s of a "
            f"{r['ingest_wall_s']} s ingestion (ratio {r['ratio']}, goal <= 0.25); ingestion CPU {r['ingest_cpu_s']} s;"
            f" {len(r['asks'])} questions, median {sorted(a['retrieve_ms'] for a in r['asks'])[len(r['asks']) // 2]}"
            " ms to retrieve"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    RESULTS.write_text(json.dumps({"when": when, "runs": runs}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
