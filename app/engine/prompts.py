"""Prompt templates are files in `prompts/` (one per style and language), never strings in code."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from app.engine.memory import Turn
from core.documents import Source


@lru_cache(maxsize=32)
def load_template(prompts_dir: Path, name: str, lang: str) -> str:
    return (prompts_dir / f"{name}.{lang}.txt").read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def fingerprint(prompts_dir: Path) -> str:
    """Changes when any template changes, so answers cached under the old prompts are not reused."""
    digest = hashlib.sha256()
    for path in sorted(prompts_dir.glob("*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


MIN_PASSAGE_TOKENS = 24  # a shorter tail of a passage says too little to be worth its citation number


def format_context(sources: list[Source], max_tokens: int, count: Callable[[str], int]) -> str:
    """Numbered passages, best first, within a budget of prompt tokens as the model counts them (`count`).

    Tokens, not characters: reading the prompt is what the first token waits for, and a Chinese character
    costs a model more than an English letter. The passage that crosses the budget is cut to fit."""
    parts, left = [], max_tokens
    for i, src in enumerate(sources, 1):
        block = f"[{i}] ({src.label()})\n{src.text}"
        need = count(block)
        if need > left:
            block = block[: len(block) * left // need] if left >= MIN_PASSAGE_TOKENS else ""
        if not block:
            break
        parts.append(block)
        left -= min(need, left)
    return "\n\n".join(parts)


def format_history(history: list[Turn], prompts_dir: Path, lang: str) -> str:
    line = load_template(prompts_dir, "history_turn", lang)
    return "".join(line.format(question=t.question, answer=t.answer) for t in history)


def completion_prompt(prompts_dir: Path, lang: str, question: str, context: str, history: list[Turn]) -> str:
    history_text = format_history(history, prompts_dir, lang)
    template = load_template(prompts_dir, "completion", lang)
    return template.format(context=context, question=question, history=history_text).rstrip()


def chat_messages(
    prompts_dir: Path, lang: str, question: str, context: str, history: list[Turn]
) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": load_template(prompts_dir, "chat_system", lang).strip()}]
    for turn in history:
        messages += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": turn.answer}]
    user = load_template(prompts_dir, "chat_user", lang).format(context=context, question=question)
    messages.append({"role": "user", "content": user})
    return messages
