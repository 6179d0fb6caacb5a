"""Any OpenAI-compatible server as the LLM: llama.cpp's server, vLLM, Ollama, or a hosted endpoint.

The server applies its model's chat template, so `prompt_style: auto` means chat here; `completion` uses
`/v1/completions` for base models. Nothing is sent anywhere but `llm.base_url`, which the user configures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.engine.llm.base import Style
from core.errors import ConfigError, ModelNotFoundError
from core.lang import approx_tokens
from core.settings import LLMSettings


class OpenAICompatibleLLM:
    def __init__(self, settings: LLMSettings) -> None:
        import openai

        if not settings.base_url:
            raise ConfigError("llm.backend is openai but llm.base_url is empty (e.g. http://127.0.0.1:8080/v1)")
        self.settings = settings
        self.style: Style = "completion" if settings.prompt_style == "completion" else "chat"
        self._errors = (openai.APIConnectionError, openai.APIStatusError)
        self._client: Any = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",  # local servers accept any key; the client requires one
            timeout=settings.request_timeout_s,
            max_retries=0,
        )
        self.model = settings.model or "default"

    @property
    def name(self) -> str:
        return f"{self.model} @ {self.settings.base_url}"

    def _sampling(self, temperature: float | None = None) -> dict[str, Any]:
        s = self.settings
        return {"model": self.model, "max_tokens": s.max_tokens, "temperature": s.temperature_for(temperature)}

    def _unreachable(self, exc: Exception) -> ModelNotFoundError:
        return ModelNotFoundError(f"the LLM server at {self.settings.base_url} did not answer: {exc}")

    def stream_chat(self, messages: list[dict[str, str]], temperature: float | None = None) -> Iterator[str]:
        try:
            sampling = self._sampling(temperature)
            # `with`: an answer closed half-way (its client went away) closes the connection, and the server
            # stops generating, instead of streaming on to nobody until the connection is collected.
            with self._client.chat.completions.create(messages=messages, stream=True, **sampling) as stream:
                for part in stream:
                    if part.choices and (delta := part.choices[0].delta.content):
                        yield delta
        except self._errors as exc:
            raise self._unreachable(exc) from exc

    def stream_completion(self, prompt: str, temperature: float | None = None) -> Iterator[str]:
        try:
            with self._client.completions.create(prompt=prompt, stream=True, **self._sampling(temperature)) as stream:
                for part in stream:
                    if part.choices and part.choices[0].text:
                        yield part.choices[0].text
        except self._errors as exc:
            raise self._unreachable(exc) from exc

    def count_tokens(self, text: str) -> int:
        """An estimate: the server's tokenizer is not at hand, and a round trip per passage would cost more."""
        return approx_tokens(text)

    def complete(self, prompt: str, max_tokens: int) -> str:
        sampling = {**self._sampling(), "max_tokens": max_tokens, "temperature": 0.0}
        try:
            if self.style == "chat":
                out = self._client.chat.completions.create(messages=[{"role": "user", "content": prompt}], **sampling)
                return out.choices[0].message.content or ""
            return self._client.completions.create(prompt=prompt, **sampling).choices[0].text
        except self._errors as exc:
            raise self._unreachable(exc) from exc


def from_settings(settings: LLMSettings, models_dir: Path) -> OpenAICompatibleLLM:
    """The registry's constructor: a server holds its own models, so the models folder is not used."""
    return OpenAICompatibleLLM(settings)
