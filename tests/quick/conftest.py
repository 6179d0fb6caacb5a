"""The quick tier (`make test-quick`): the engine, the loaders and the CLIs in-process, with small fakes where a
real model would load. Everything else is real: Chroma on disk, SQLite, jieba, the real pipeline and parsers.

The fakes are put in through the same registries the settings choose components from (`embedding.provider`,
`llm.backend`), only for the duration of a test; `make test` runs the real models in `tests/`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core.embeddings import PROVIDERS
from core.embeddings.base import Provider, normalise
from core.settings import Settings, load_settings
from core.tokens import words
from tests.conftest import TEST_CONFIG

DIM = 256


class FakeEmbedder:
    """A FAKE embedder for the quick tier: each word (jieba, as keyword search cuts it) hashed into one of 256
    dimensions. Texts sharing words are close, others are not: enough to test what the engine does with
    vectors, nothing about how well a real model ranks (tests/test_embeddings.py does that)."""

    name = "fake:hashed-words"
    dim = DIM

    def _embed(self, text: str) -> np.ndarray:
        vector = np.zeros(DIM, dtype=np.float32)
        for word in words(text):
            vector[int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % DIM] += 1.0
        vector[0] += 1e-3  # no zero vector: an empty text still has a direction
        return vector

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return normalise(np.stack([self._embed(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._embed(text))


FAKE_PROVIDER = Provider(model_name=lambda settings: FakeEmbedder.name, load=lambda settings: FakeEmbedder())


class FakeLLM:
    """A FAKE LLM for the quick tier: it answers with the sentence of the first numbered passage in its prompt
    that shares most words with the question, citing it [1] (so its answer passes the check), or with `reply`
    when one is set (to test a draft that must not be shown)."""

    style = "completion"
    name = "fake-llm"

    def __init__(self, reply: str | None = None) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def _answer(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if self.reply is not None:
            return self.reply
        passage = re.search(r"^\[1\] \(.*?\)\n(.*?)(?:\n\n\[2\]|\n\n\S*(?:Question|问题)|\Z)", prompt, re.S | re.M)
        question = re.findall(r"(?:Question|问题)[:：]\s*(.+)", prompt)
        if not passage or not question:
            return ""
        asked = set(words(question[-1]))
        said = [" ".join(s.split()) for s in re.split(r"(?<=[。.!?！？])\s*", passage.group(1)) if s.strip()]
        best = max(said, key=lambda s: len(asked & set(words(s))))
        return f"{best} [1]"

    def stream_completion(self, prompt: str, temperature: float | None = None) -> Iterator[str]:
        yield from re.findall(r"\S+\s*", self._answer(prompt))

    def stream_chat(self, messages: list[dict[str, str]], temperature: float | None = None) -> Iterator[str]:
        yield from self.stream_completion(messages[-1]["content"], temperature)

    def complete(self, prompt: str, max_tokens: int) -> str:
        return self._answer(prompt)

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + len(re.findall(r"[\u4e00-\u9fff]", text))


@pytest.fixture
def fake_models() -> Iterator[FakeLLM]:
    """The configured embedding provider and LLM backend are the fakes for this test (no model loads)."""
    from app.engine.llm import BACKENDS

    llm = FakeLLM()
    with (
        PROVIDERS.replaced("e5", FAKE_PROVIDER),
        PROVIDERS.replaced("use", FAKE_PROVIDER),  # answer.across_meaning's model
        BACKENDS.replaced("llama-cpp", lambda settings, models: llm),
    ):
        yield llm


# The fake's scores are lower than e5's: the in-scope questions of these tests score 0.39-0.71, off-topic 0.15-0.28.
FAKE_FLOOR = 0.3


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_models: FakeLLM) -> Path:
    """A data dir for the CLIs run in-process (`tests/quick/test_cli.py`), files parsed in this process."""
    monkeypatch.setenv("ZHIKU_INGEST__WORKERS", "1")
    monkeypatch.setenv("ZHIKU_RETRIEVAL__MIN_RELEVANCE", str(FAKE_FLOOR))
    return tmp_path / "data"


@pytest.fixture
def settings(tmp_path: Path, fake_models: FakeLLM) -> Settings:
    """The test profile in a fresh data dir, with the fakes in place; files are parsed in this process (a worker
    process costs seconds to start)."""
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    settings.retrieval.min_relevance = {"zh": FAKE_FLOOR, "en": FAKE_FLOOR}
    settings.ingest.workers = 1
    return settings


MANUAL = """# 主轴
主轴最大扭矩为 60 N·m，最高转速为 12000 rpm。
主轴润滑油每 2000 小时更换一次。

# 报警
报警 AL-105 表示主轴过载，应立即停机检查负载。
报警 AL-210 表示润滑油压力不足。
"""
PUMP = """# Pump maintenance
The impeller clearance must be 0.3 mm.
Tighten the impeller nut to 45 N·m.
"""


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """Two small documents, Chinese and English."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "spindle.md").write_text(MANUAL, encoding="utf-8")
    (folder / "pump.md").write_text(PUMP, encoding="utf-8")
    return folder
