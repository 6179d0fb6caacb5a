from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import DEFAULT_CONFIG, load_settings
from tests.conftest import TEST_CONFIG


def test_project_config_loads_with_every_section():
    s = load_settings(DEFAULT_CONFIG)
    assert s.kb == "default"
    assert s.llm.model_path == "packaged:gemma3-270m"
    assert s.server.port == 7860 and s.server.host == "127.0.0.1"


def test_yaml_values_are_read(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data_dir: /srv/x\nllm:\n  max_tokens: 77\n", encoding="utf-8")
    s = load_settings(cfg)
    assert s.data_dir == Path("/srv/x")
    assert s.llm.max_tokens == 77
    assert s.llm.n_ctx == 4096  # untouched keys keep their defaults


def test_environment_overrides_yaml_and_cli_overrides_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ZHIKU_DATA_DIR", "/from/env")
    monkeypatch.setenv("ZHIKU_LLM__MODEL_PATH", "/models/qwen.gguf")
    s = load_settings(TEST_CONFIG)
    assert s.data_dir == Path("/from/env")
    assert s.llm.model_path == "/models/qwen.gguf"
    assert s.llm.max_tokens == 48  # nested env override keeps the other YAML keys
    assert load_settings(TEST_CONFIG, data_dir="/from/cli").data_dir == Path("/from/cli")


def test_invalid_or_missing_config_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("embedding:\n  provider: word2vec\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid configuration"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml")


def test_a_prompt_budget_larger_than_the_context_window_is_refused_at_start(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("llm:\n  n_ctx: 2048\n  context_tokens: 1500\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"exceed llm\.n_ctx \(2048\)"):
        load_settings(cfg)
    cfg.write_text("llm:\n  n_ctx: 4096\n  context_tokens: 1500\n", encoding="utf-8")
    assert load_settings(cfg).llm.context_tokens == 1500


def test_the_relevance_floor_is_per_language_and_a_single_number_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    s = load_settings(DEFAULT_CONFIG).retrieval
    assert s.floor("zh") > s.floor("en")  # e5 scores Chinese pairs higher
    cfg = tmp_path / "c.yaml"
    cfg.write_text("retrieval:\n  min_relevance: 0.5\n", encoding="utf-8")
    assert (load_settings(cfg).retrieval.floor("zh"), load_settings(cfg).retrieval.floor("en")) == (0.5, 0.5)
    cfg.write_text("retrieval:\n  min_relevance:\n    en: 0.7\n", encoding="utf-8")
    partial = load_settings(cfg).retrieval
    assert partial.floor("en") == 0.7 and partial.floor("zh") == s.floor("zh")
    monkeypatch.setenv("ZHIKU_RETRIEVAL__MIN_RELEVANCE", "-1")
    assert load_settings(cfg).retrieval.floor("zh") == -1.0
    cfg.write_text("retrieval:\n  min_relevance:\n    zh: 7\n", encoding="utf-8")
    monkeypatch.delenv("ZHIKU_RETRIEVAL__MIN_RELEVANCE")
    with pytest.raises(ConfigError, match="min_relevance"):
        load_settings(cfg)
