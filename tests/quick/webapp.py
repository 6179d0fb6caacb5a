"""The real web application (FastAPI with both pages mounted, `app.web.server.create_app`) driven in-process by
FastAPI's TestClient, over the quick tier's fake models. The fake embedder here also counts the questions it
embeds, so a test can tell that a refused input was refused before any work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

from fastapi.testclient import TestClient

from core.embeddings.base import Provider
from core.settings import Settings, load_settings
from tests.conftest import TEST_CONFIG
from tests.quick.conftest import FAKE_FLOOR, FakeEmbedder

KEY = "quick-key-7c1d"


class CountingEmbedder(FakeEmbedder):
    """The quick tier's FAKE embedder, recording the length of every question it embeds."""

    asked: ClassVar[list[int]] = []

    def embed_query(self, text: str):  # type: ignore[no-untyped-def]
        CountingEmbedder.asked.append(len(text))
        return super().embed_query(text)


COUNTING_PROVIDER = Provider(model_name=lambda settings: FakeEmbedder.name, load=lambda settings: CountingEmbedder())


def web_settings(data_dir: Path) -> Settings:
    """The test profile in `data_dir`, as the quick tier's `settings` fixture makes it."""
    settings = load_settings(TEST_CONFIG, data_dir=str(data_dir))
    settings.retrieval.min_relevance = {"zh": FAKE_FLOOR, "en": FAKE_FLOOR}
    settings.ingest.workers = 1
    return settings


@contextmanager
def served(settings: Settings, host: str = "localhost") -> Iterator[TestClient]:
    """The application `python -m app serve` runs, its requests addressed to `host` (the Host header)."""
    from app.web.server import create_app

    with TestClient(create_app(settings), base_url=f"http://{host}") as client:
        yield client


def is_error(response, status: int) -> str:  # type: ignore[no-untyped-def]
    """The response is `status` in the one error shape; its message."""
    body = response.json()
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type"}, str(body)[:300]
    return body["error"]["message"]
