"""Time to first token of the default LLM alone: how long it takes to read a full prompt (evaluation only).

Builds the real completion prompt (`prompts/completion.zh.txt`) around `llm.context_chars` characters of
Chinese passage text, then times a one-token completion with the prompt read by 1 and by all CPU threads
(`llm.n_threads_batch`), and a second prompt that shares everything but the question (what llama.cpp's prefix
cache saves). The model loads, and evaluates a two-character warm-up prompt, before the clock starts.

    nice -n 5 .venv/bin/python -m bench.ttft
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from app import prompts
from app.llm import resolve_model_path
from bench.embeddings import ROOT
from core.settings import load_settings

PASSAGE = "学生证补办一般安排在每周一至周五上午办理，需携带本人身份证和一张一寸彩色照片。"


def time_first_token(llm: object, prompt: str) -> float:
    started = time.perf_counter()
    llm.create_completion(prompt, max_tokens=1)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ttft", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    args = ap.parse_args(argv)
    settings = load_settings(args.config)
    from llama_cpp import Llama

    path = resolve_model_path(settings.llm.model_path, settings.models_dir)
    context = (PASSAGE * (settings.llm.context_chars // len(PASSAGE) + 1))[: settings.llm.context_chars]
    template = prompts.load_template(settings.prompts_dir, "completion", "zh")
    prompt = template.format(context=f"[1] (规定.pdf · p.1)\n{context}", question="学生证在哪里补办？", history="")
    variant = template.format(context=f"[1] (规定.pdf · p.1)\n{context}", question="学生证多久能办好？", history="")
    print(f"model {path.name}, {settings.llm.context_chars} characters of passages, {os.cpu_count()} CPUs")
    print("| threads reading the prompt | prompt tokens | first token s | same prefix, new question s |")
    print("|---|---|---|---|")
    for threads in sorted({1, os.cpu_count() or 1}):
        llm = Llama(model_path=str(path), n_ctx=settings.llm.n_ctx, n_threads=1, n_threads_batch=threads, verbose=False)
        time_first_token(llm, "你好")  # warm-up: the first evaluation after loading also pages the model in
        tokens = len(llm.tokenize(prompt.encode("utf-8")))
        first, again = time_first_token(llm, prompt), time_first_token(llm, variant)
        print(f"| {threads} | {tokens} | {first:.2f} | {again:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
