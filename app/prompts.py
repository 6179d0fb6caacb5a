"""Prompt templates are files in `prompts/` (one per style and language), never strings in code."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from app.memory import Turn
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


def format_context(sources: list[Source], max_chars: int) -> str:
    """Numbered passages, best first, cut to the budget so small context windows never overflow."""
    parts, used = [], 0
    for i, src in enumerate(sources, 1):
        text = src.text[: max(0, max_chars - used)]
        if not text:
            break
        parts.append(f"[{i}] ({src.label()})\n{text}")
        used += len(text)
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
