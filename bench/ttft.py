"""Time to first token of the default LLM alone: how long it takes to read a prompt (evaluation only).

Builds the real completion prompt (`prompts/completion.<lang>.txt`) around five 400-character passages, cut by
`app.engine.prompts.format_context` to each budget of prompt tokens (`llm.context_tokens`, counted by the model's
tokenizer), then times a one-token completion with the prompt read by all CPU threads (`llm.n_threads_batch`),
and a second prompt that shares everything but the question (what llama.cpp's prefix cache saves). The model
loads, and reads the instructions once (as it has after the first question of a session), before the clock
starts. With `--one-thread` the default budget is timed with one thread too.

    nice -n 5 .venv/bin/python -m bench.ttft
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from app.engine import prompts
from app.engine.llm.packaged import resolve_model_path
from bench.embeddings import ROOT
from core.documents import Source
from core.settings import load_settings

PASSAGES = {
    "zh": "学生证补办一般安排在每周一至周五上午办理，需携带本人身份证和一张一寸彩色照片。",
    "en": "Replace the impeller seal every 2,000 operating hours; tighten the nut to 60 N·m after refitting. ",
}
QUESTIONS = {"zh": ("学生证在哪里补办？", "学生证多久能办好？"), "en": ("When is the seal replaced?", "What torque?")}
REPEATS = 3


def time_first_token(llm: object, prompt: str) -> float:
    started = time.perf_counter()
    llm.create_completion(prompt, max_tokens=1)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def sources(lang: str) -> list[Source]:
    text = (PASSAGES[lang] * 10)[:400]
    return [Source(f"manual-{i}.pdf", i, text, 0.9) for i in range(1, 6)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ttft", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    ap.add_argument("--budgets", type=int, nargs="+", default=[350, 700, 1400, 2100])
    ap.add_argument("--one-thread", action="store_true", help="also time the default budget read by one thread")
    args = ap.parse_args(argv)
    settings = load_settings(args.config)
    from llama_cpp import Llama

    path = resolve_model_path(settings.llm.model_path, settings.dirs.models)
    print(f"model {path.name}, {os.cpu_count()} CPUs, median of {REPEATS}")
    print("| lang | threads | context_tokens | prompt tokens | passages (chars) | first token s | same prefix s |")
    print("|---|---|---|---|---|---|---|")
    threads = [os.cpu_count() or 1] + ([1] if args.one_thread else [])
    for n in threads:
        llm = Llama(model_path=str(path), n_ctx=settings.llm.n_ctx, n_threads=1, n_threads_batch=n, verbose=False)

        def count(text: str, llm: Llama = llm) -> int:
            return len(llm.tokenize(text.encode("utf-8"), add_bos=False))

        for lang in ("zh", "en"):
            template = prompts.load_template(settings.prompts_dir, "completion", lang)
            head = template.split("{context}")[0]
            time_first_token(llm, head)  # the instructions, read once per session and reused from the cache
            budgets = args.budgets if n == threads[0] else [settings.llm.context_tokens]
            for budget in budgets:
                context = prompts.format_context(sources(lang), budget, count)
                first, again = [], []
                for q1, q2 in [QUESTIONS[lang]] * REPEATS:
                    time_first_token(llm, head)  # back to the shared prefix alone
                    first.append(time_first_token(llm, template.format(context=context, question=q1, history="")))
                    again.append(time_first_token(llm, template.format(context=context, question=q2, history="")))
                tokens = len(llm.tokenize(template.format(context=context, question=q1, history="").encode()))
                chars = sum(len(p.split("\n", 1)[1]) for p in context.split("\n\n"))
                print(
                    f"| {lang} | {n} | {budget} | {tokens} | {context.count(chr(10) + chr(10)) + 1} ({chars}) "
                    f"| {statistics.median(first):.2f} | {statistics.median(again):.2f} |"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
