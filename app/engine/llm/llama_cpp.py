"""The local LLM through llama-cpp-python. Any GGUF works; the prompt style follows the model.

A GGUF that carries a chat template is driven through chat completion (its template formats the turns);
one without (Gemma 3 270M base) gets a plain completion prompt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.engine.llm.base import Style
from app.engine.llm.fair_lock import FairLock
from app.engine.llm.packaged import resolve_model_path
from core.errors import ModelNotFoundError
from core.settings import LLMSettings

# A base model that starts a new question has finished its answer; one that starts a line with "[" is copying
# an excerpt, header and all ("[1] (manual.pdf · p.3)"), which is no answer: the evidence stands in for it.
COMPLETION_STOPS = ["\nQuestion:", "\n问题：", "\n[", "\n\n\n", "<end_of_turn>", "<eos>"]


def closing_parts(parts: Iterator[Any]) -> Iterator[Any]:
    """llama.cpp's stream, ended in step with ours: when the answer is closed half-way (its client went away,
    `cancel.py`), llama.cpp's own generator is closed here, under the model's lock, before the lock is released,
    so the next answer finds the model idle."""
    try:
        yield from parts
    finally:
        close = getattr(parts, "close", None)
        if close is not None:
            close()


def default_threads() -> int:
    """About one thread per physical core: llama.cpp's threads spin at every step, so one more thread than
    the cores that are free stalls them all (seen here: 5 s answers took minutes beside another busy process).
    """
    return max(1, min(8, (os.cpu_count() or 2) // 2))


class LocalLLM:
    """One llama.cpp model per process; a fair lock makes concurrent requests take turns in arrival order
    instead of interleaving its state."""

    def __init__(self, settings: LLMSettings, models_dir: Path) -> None:
        from llama_cpp import Llama

        self.settings = settings
        self.path = resolve_model_path(settings.model_path, models_dir)
        self._lock = FairLock()
        try:
            self._llama: Any = Llama(
                model_path=str(self.path),
                n_ctx=settings.n_ctx,
                n_threads=settings.n_threads or default_threads(),
                n_threads_batch=settings.n_threads_batch or os.cpu_count() or 1,
                verbose=False,
            )
        except ValueError as exc:
            raise ModelNotFoundError(f"cannot load GGUF model {self.path}: {exc}") from exc
        has_template = bool(self._llama.metadata.get("tokenizer.chat_template"))
        style = settings.prompt_style
        self.style: Style = ("chat" if has_template else "completion") if style == "auto" else style

    @property
    def name(self) -> str:
        return self.path.name

    def _sampling(self, temperature: float | None) -> dict[str, Any]:
        s = self.settings
        return {
            "max_tokens": s.max_tokens,
            "temperature": s.temperature_for(temperature),
            "repeat_penalty": s.repeat_penalty,
        }

    def stream_completion(self, prompt: str, temperature: float | None = None) -> Iterator[str]:
        sampling = self._sampling(temperature)
        with self._lock, self._releasing():
            parts = self._llama.create_completion(prompt, stream=True, stop=COMPLETION_STOPS, **sampling)
            for part in closing_parts(parts):
                yield part["choices"][0]["text"]

    @contextmanager
    def _releasing(self) -> Iterator[None]:
        """llama-cpp-python keeps each completion's sampler chain until the next replaces it, and a replaced one
        is freed only by Python's full garbage collection, which runs rarely (it refers to itself through its
        cleanup callback): about 3 MiB of native memory per answer with Gemma 3's vocabulary, found by
        bench/soak.py as a server growing 3 MiB per answer. Freed here once the completion is over, under the
        model's lock; the next completion builds its own."""
        try:
            yield
        finally:
            sampler = getattr(self._llama, "_sampler", None)
            if sampler is not None:
                sampler.close()
                self._llama._sampler = None

    def complete(self, prompt: str, max_tokens: int) -> str:
        """One short, greedy completion (query rewriting), in whichever style the model takes."""
        with self._lock, self._releasing():
            if self.style == "chat":
                out = self._llama.create_chat_completion(
                    messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=0.0
                )
                return str(out["choices"][0]["message"]["content"] or "")
            out = self._llama.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, stop=["\n"])
            return str(out["choices"][0]["text"])

    def count_tokens(self, text: str) -> int:
        """The model's own tokenizer (no lock: it reads only the vocabulary)."""
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False))

    def stream_chat(self, messages: list[dict[str, str]], temperature: float | None = None) -> Iterator[str]:
        sampling = self._sampling(temperature)
        with self._lock, self._releasing():
            for part in closing_parts(self._llama.create_chat_completion(messages=messages, stream=True, **sampling)):
                delta = part["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta
