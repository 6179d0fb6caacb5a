"""What answering needs from a language model, whichever backend serves it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, Protocol

Style = Literal["chat", "completion"]  # chat: the model's template formats the turns; completion: a plain prompt


class LLM(Protocol):
    @property
    def style(self) -> Style: ...

    @property
    def name(self) -> str: ...

    def stream_chat(self, messages: list[dict[str, str]], temperature: float | None = None) -> Iterator[str]: ...

    def stream_completion(self, prompt: str, temperature: float | None = None) -> Iterator[str]: ...

    def complete(self, prompt: str, max_tokens: int) -> str: ...

    def count_tokens(self, text: str) -> int: ...
