"""LLM backends behind one interface (`base.LLM`), chosen by `llm.backend` from a registry, as
`core/embeddings/` does for embedders.

A new backend is a module here with a class implementing `base.LLM` and a constructor taking
(LLMSettings, models folder), plus one line in `BACKENDS` below (docs/decisions/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from app.engine.llm.base import LLM, Style
from core.lazy import Lazy
from core.registry import Registry
from core.settings import LLMSettings

__all__ = ["BACKENDS", "LLM", "LazyLLM", "make_llm"]

Backend = Callable[[LLMSettings, Path], LLM]
BACKENDS: Registry[Backend] = Registry(
    "LLM backend",
    "llm.backend",
    {"llama-cpp": "app.engine.llm.llama_cpp:LocalLLM", "openai": "app.engine.llm.openai_compat:from_settings"},
)


def make_llm(settings: LLMSettings, models_dir: Path) -> LLM:
    """The model now (a missing file is an error here); `LazyLLM` for one loaded when first needed."""
    return BACKENDS.get(settings.backend)(settings, models_dir)


class LazyLLM:
    """One model for every knowledge base's answering service, loaded when the first answer needs it: each KB
    opened in the page must not load its own copy (memory), nor make a search pay for loading it."""

    def __init__(self, settings: LLMSettings, models_dir: Path) -> None:
        self._model = Lazy(lambda: make_llm(settings, models_dir))

    @property
    def style(self) -> Style:
        return self._model.get().style

    @property
    def name(self) -> str:
        return self._model.get().name

    def stream_chat(self, messages: list[dict[str, str]], temperature: float | None = None) -> Iterator[str]:
        return self._model.get().stream_chat(messages, temperature)

    def stream_completion(self, prompt: str, temperature: float | None = None) -> Iterator[str]:
        return self._model.get().stream_completion(prompt, temperature)

    def complete(self, prompt: str, max_tokens: int) -> str:
        return self._model.get().complete(prompt, max_tokens)

    def count_tokens(self, text: str) -> int:
        return self._model.get().count_tokens(text)
