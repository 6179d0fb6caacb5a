"""An answer by the in-process model leaves no memory behind (issue 19, found by bench/soak.py).

llama-cpp-python builds a new sampler chain for every completion and keeps the last one; its `LlamaSampler` holds
itself through a cleanup callback, so a replaced one is freed only by Python's full garbage collection, which runs
rarely. Its native part (with Gemma 3's 262k-token vocabulary, about 3 MiB) stayed allocated meanwhile: the
soak's server grew 348 MiB an hour, 3 MiB per answer, while evidence-only answers, uploads and deletes stayed
flat. The real packaged model; the collector is off during the count, so a release that waited for it shows.
"""

from __future__ import annotations

import gc
from pathlib import Path

from app.engine.llm import make_llm
from core.settings import load_settings
from tests.conftest import TEST_CONFIG

ANSWERS = 20


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_completions_do_not_keep_their_samplers_memory(tmp_path: Path):
    settings = load_settings(TEST_CONFIG, data_dir=str(tmp_path / "data"))
    llm = make_llm(settings.llm, settings.dirs.models)
    prompt = "ZK-200 主轴每 500 小时更换润滑脂。\n问题：ZK-200 主轴多久换一次润滑脂？\n回答："
    for _ in range(3):  # buffers the model allocates once
        "".join(llm.stream_completion(prompt, 0.0))
    gc.collect()
    gc.disable()
    try:
        before = rss_mib()
        for _ in range(ANSWERS):
            "".join(llm.stream_completion(prompt, 0.0))
        grown = rss_mib() - before
    finally:
        gc.enable()
    assert grown < 15, f"{grown:.0f} MiB more after {ANSWERS} answers (3 MiB each kept before)"
