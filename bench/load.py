"""N users at once: concurrent conversations through the HTTP API (issue 6).

Starts `python -m app serve` on 127.0.0.1 with a fresh data dir (the sample knowledge base is ingested at start),
then N threads each hold a conversation of `--turns` questions through `POST /v1/chat/completions` (streamed,
real HTTP, the `openai` client), the later turns being follow-ups that carry the earlier ones. Reported: p50/p95
time until the sources show, time to first token and total latency per answer, errors, answers delivered to
the wrong conversation (each reply's `zhiku.query` must hold its own question and none of another
conversation's), and the server's peak RSS.
The in-process LLM serves one answer at a time (a fair queue), so with N users the waiting grows about N-fold:
that is what the figures show, and the wait is shared fairly rather than failing.

    .venv/bin/python -m bench.load --users 8 --turns 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

from tests.web import free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [  # (question, follow-up) about the sample knowledge base in examples/
    ("ZK-200主轴的最大转速是多少？", "润滑呢？"),
    ("What coolant concentration is recommended?", "and how often is it checked?"),
    ("CK6140车床每天保养要做什么？", "每周呢？"),
    ("What is the ZK-200 spindle's rated power?", "and its bearing preload?"),
    ("车间里操作机床前要穿戴什么？", "禁止做什么？"),
    ("How is the coolant tank cleaned?", "how often?"),
    ("CK6140导轨用什么润滑油？", "加多少？"),
    ("What is the warm-up procedure of the ZK-200 spindle?", "how long does it take?"),
]


def converse(client: openai.OpenAI, user: int, turns: int) -> list[dict]:
    """One user's conversation; each answer's timings and whether it was built from this user's questions."""
    asked: list[dict[str, str]] = []
    results = []
    for question in QUESTIONS[user % len(QUESTIONS)][:turns]:
        asked.append({"role": "user", "content": question})
        started, shown, first, text, final = time.perf_counter(), None, None, "", {}
        try:
            for chunk in client.chat.completions.create(model="zhiku", messages=asked, stream=True):
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if shown is None and (chunk.model_extra or {}).get("sources"):
                    shown = time.perf_counter() - started
                if delta and first is None:
                    first = time.perf_counter() - started
                text += delta or ""
                final = (chunk.model_extra or {}).get("zhiku", final)
            query = final.get("query", "")
            others = [q for i, pair in enumerate(QUESTIONS) if i != user % len(QUESTIONS) for q in pair]
            own = question in query and not any(other in query for other in others)
            elapsed = time.perf_counter() - started
            results.append({"sources_s": shown, "ttft_s": first, "total_s": elapsed, "error": None, "own": own})
        except Exception as exc:  # counted, not raised: the point is how many fail
            elapsed = time.perf_counter() - started
            results.append({"sources_s": None, "ttft_s": None, "total_s": elapsed, "error": repr(exc), "own": True})
        asked.append({"role": "assistant", "content": text})
    return results


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/load.json"))
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="zhiku-load-") as data:
        env = {**os.environ, "ZHIKU_DATA_DIR": data, "ZHIKU_CACHE__ENABLED": "false"}
        server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, timeout_s=600, alive=lambda: server.poll() is None)
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="none", timeout=1800, max_retries=0)
            converse(client, 0, 1)  # the model loads on the first answer: not part of the figures
            started = time.perf_counter()
            with ThreadPoolExecutor(args.users) as pool:
                per_user = list(pool.map(lambda u: converse(client, u, args.turns), range(args.users)))
            wall = time.perf_counter() - started
            rss = peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
    answers = [a for user in per_user for a in user]
    ok = [a for a in answers if a["error"] is None]
    ttft = [a["ttft_s"] for a in ok if a["ttft_s"] is not None]
    sources = [a["sources_s"] for a in ok if a["sources_s"] is not None]
    total = [a["total_s"] for a in ok]
    summary = {
        "users": args.users, "turns": args.turns, "answers": len(answers), "errors": len(answers) - len(ok),
        "wrong_conversation": sum(not a["own"] for a in answers), "wall_s": round(wall, 1),
        "sources_p50_s": round(pct(sources, 50), 2), "sources_p95_s": round(pct(sources, 95), 2),
        "ttft_p50_s": round(pct(ttft, 50), 2), "ttft_p95_s": round(pct(ttft, 95), 2),
        "total_p50_s": round(pct(total, 50), 2), "total_p95_s": round(pct(total, 95), 2),
        "server_peak_rss_mib": round(rss), "error_samples": [a["error"] for a in answers if a["error"]][:3],
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "answers": answers}, indent=2), encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
