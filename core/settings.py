"""Typed settings: `config.yaml`, overridden by `ZHIKU_*` environment variables, overridden by CLI flags.

Every knob lives in `config.yaml` with a comment; this module only gives it a type and a default so a
partial YAML (a user's own profile, a test's) still loads. Nested keys are overridden from the
environment with a double underscore: `ZHIKU_LLM__MODEL_PATH=/models/qwen.gguf`.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from core.datadir import DataDir
from core.errors import ConfigError
from core.lang import Language

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config.yaml"
PROMPT_OVERHEAD = 256  # tokens of instructions, question and passage labels around the passages and the history
_config_path: ContextVar[Path] = ContextVar("zhiku_config_path", default=DEFAULT_CONFIG)


class EmbeddingSettings(BaseModel):
    provider: Literal["e5", "use", "sentence-transformers"] = "e5"
    model: str = "packaged"
    batch_size: int = Field(32, ge=1)
    threads: int = Field(0, ge=0)


class LLMSettings(BaseModel):
    backend: Literal["llama-cpp", "openai"] = "llama-cpp"
    model_path: str = "packaged:gemma3-270m"
    base_url: str = ""
    model: str = ""
    api_key: str = Field("", repr=False)
    request_timeout_s: float = Field(120.0, gt=0)
    prompt_style: Literal["auto", "chat", "completion"] = "auto"
    n_ctx: int = Field(4096, ge=512)
    n_threads: int = Field(0, ge=0)
    n_threads_batch: int = Field(0, ge=0)
    max_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0.0)
    repeat_penalty: float = Field(1.1, ge=0.0)
    context_tokens: int = Field(700, ge=50)
    context_focus: bool = False
    fetch_timeout_s: float = Field(20.0, gt=0)

    def temperature_for(self, override: float | None) -> float:
        """A question's own temperature (the page's setting) wins over the configured one."""
        return self.temperature if override is None else override


class WatchFolder(BaseModel):
    """A folder the service keeps in step with a knowledge base (`ingest.watch`, ingest/watch.py)."""

    dir: str
    kb: str = ""  # "" = the configured `kb`
    poll_s: float = Field(0.0, ge=0)  # > 0: look every poll_s seconds instead of inotify (SMB/NFS shares)
    tags: list[str] = []


class IngestSettings(BaseModel):
    chunk_size: int = Field(400, ge=50)
    chunk_overlap: int = Field(60, ge=0)
    extensions: list[str] = [
        ".pdf", ".docx", ".xlsx", ".csv", ".pptx", ".md", ".markdown", ".txt", ".html", ".htm", ".png", ".jpg", ".jpeg"
    ]  # fmt: skip
    ocr: Literal["auto", "always", "never"] = "auto"
    ocr_min_chars: int = Field(20, ge=0)
    ocr_dpi: int = Field(200, ge=50, le=600)
    respace_min_share: float = Field(0.01, ge=0.0, le=1.0)
    # Ruled tables in PDFs as rows (ingest/loaders/pdf_tables.py), bounded per document.
    pdf_tables: bool = True
    pdf_tables_max_s: float = Field(60.0, ge=0)
    pdf_tables_max_cells: int = Field(200_000, ge=0)
    passwords: dict[str, str] = {}
    max_file_mb: float = Field(200.0, gt=0)
    max_unpacked_mb: float = Field(500.0, gt=0)
    workers: int = Field(0, ge=0)
    parse_while_embedding: bool = False
    near_duplicate_threshold: float = Field(0.98, ge=0.0, le=1.0)
    # What one file may cost to parse (ingest/volume.py); a file over a limit fails alone, naming it.
    max_chars: int = Field(10_000_000, ge=1)
    max_chunks: int = Field(50_000, ge=1)
    max_parse_s: float = Field(1800.0, gt=0)
    max_parse_mb: float = Field(4096.0, ge=0)
    # Web pages, whatever their extension (ingest/loaders/html.py, markup.py): a text file whose tags are this
    # share of it is read as a page, main text only; pages larger than html_max_mb are refused before parsing.
    html_min_share: float = Field(0.2, ge=0.0, le=1.0)
    html_max_mb: float = Field(20.0, gt=0)
    # Watched folders (ingest/watch.py): a pass starts once no change came for watch_debounce_ms, or
    # watch_max_wait_s after the first change waiting; `serve` watches the folders listed in `watch`.
    watch: list[WatchFolder] = []
    watch_debounce_ms: int = Field(2000, ge=0)
    watch_max_wait_s: float = Field(60.0, gt=0)
    writer_wait_s: float = Field(600.0, ge=0)

    def password_for(self, path: Path) -> str | None:
        """The first pattern (file name or glob, matched against the name and the full path) that fits wins."""
        for pattern, password in self.passwords.items():
            if fnmatch(path.name, pattern) or fnmatch(str(path), pattern):
                return password
        return None


_MIN_RELEVANCE: dict[Language, float] = {"zh": 0.92, "en": 0.88}


class RetrievalSettings(BaseModel):
    top_k: int = Field(5, ge=1)
    mode: Literal["hybrid", "vector", "keyword"] = "hybrid"
    candidates: int = Field(30, ge=1)
    fusion: Literal["weighted", "rrf"] = "weighted"
    vector_weight: float = Field(0.6, ge=0.0, le=1.0)
    rrf_k: int = Field(60, ge=1)
    rerank: Literal["none", "coverage", "cross-encoder"] = "none"
    coverage_weight: float = Field(0.005, ge=0.0)
    reranker_model: str = ""
    group: Literal["section", "none"] = "section"
    section_bonus: float = Field(0.02, ge=0.0)
    subject_weight: float = Field(0.4, ge=0.0)
    subject_max_chunks: int = Field(5_000, ge=1)
    min_relevance: dict[Language, float] = Field(default_factory=lambda: dict(_MIN_RELEVANCE))
    relevance_coverage_weight: float = Field(0.1, ge=0.0)
    min_coverage: float = Field(0.4, ge=0.0, le=1.0)
    cross_language_bonus: float = Field(0.05, ge=0.0)

    @field_validator("min_relevance", mode="before")
    @classmethod
    def _one_floor_for_all(cls, value: Any) -> Any:
        """A single number (an older config, an environment override) is the floor for every language."""
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            return {"zh": float(value), "en": float(value)}
        if isinstance(value, dict):
            merged = _MIN_RELEVANCE | value
            if any(not -1.0 <= float(v) <= 2.0 for v in merged.values()):
                raise ValueError("min_relevance values must lie between -1 and 2")
            return merged
        return value

    def floor(self, language: Language) -> float:
        """The relevance floor for a question in `language` (as `core.lang.detect_language` says)."""
        return self.min_relevance[language]


class AnswerSettings(BaseModel):
    evidence_only: bool = False
    evidence_sentences: int = Field(3, ge=1)
    across_meaning: Literal["use", "kb"] = "use"
    grounding_min_share: float = Field(0.6, ge=0.0, le=1.0)
    show_draft: bool = False


class CacheSettings(BaseModel):
    enabled: bool = True
    min_similarity: float = Field(0.97, ge=0.0, le=1.0)
    max_entries: int = Field(1000, ge=1)


class MemorySettings(BaseModel):
    max_turns: int = Field(6, ge=0)
    max_history_tokens: int = Field(1024, ge=0)
    followup_max_chars: int = Field(24, ge=0)
    rewrite: Literal["rule", "llm"] = "rule"
    answers_in_prompt: bool = False


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    sample_kb: str = "examples"
    ui_language: Literal["zh", "en"] = "zh"
    page_image_width: int = Field(900, ge=200, le=3000)
    example_questions: int = Field(3, ge=0, le=10)
    # The doors (docs/decisions/security.md): Host allowlist, Origin check, refusing an open network service.
    allowed_hosts: list[str] = Field(default_factory=list)
    check_origin: bool = True
    trusted_origins: list[str] = Field(default_factory=list)
    allow_open_network: bool = False
    forwarded_allow_ips: list[str] = Field(default_factory=list)
    # glibc's allocator in `serve` (core/allocator.py); 0 = glibc's own default.
    malloc_arena_max: int = Field(2, ge=0)
    malloc_mmap_threshold_kb: int = Field(256, ge=0)


class AuthSettings(BaseModel):
    enabled: bool = False
    users: dict[str, str] = Field(default_factory=dict, repr=False)  # name -> hash (`python -m app hash-password`)
    # Wrong passwords and API keys, per client: locked out after max_failures, for lockout_s doubling to max_lockout_s.
    max_failures: int = Field(5, ge=1)
    lockout_s: float = Field(30.0, gt=0)
    max_lockout_s: float = Field(900.0, gt=0)


class VectorStoreSettings(BaseModel):
    mode: Literal["embedded", "http"] = "embedded"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    ssl: bool = False
    token: str = Field("", repr=False)


class VerifiedSettings(BaseModel):
    enabled: bool = True
    min_similarity: float = Field(0.85, ge=0.0, le=1.0)
    candidates: int = Field(5, ge=1)
    suggest_similar: bool = True  # offer the closest verified question the rules keep apart (not a code's)
    synonyms: list[list[str]] = Field(default_factory=list)
    general_frequency: int = Field(3000, ge=0)  # 0: no word may be added on one side only
    max_not_found: int = Field(10_000, ge=1)
    report_size: int = Field(20, ge=1)
    editors: list[str] = Field(default_factory=list)  # with sign-in on: who may verify in the page; [] = all


class ApiSettings(BaseModel):
    keys: list[str] = Field(default_factory=list, repr=False)
    cors_origins: list[str] = Field(default_factory=list)
    max_upload_files: int = Field(20, ge=1)


class LimitSettings(BaseModel):
    """What one request may carry, by any door; over a limit is refused (413) before any work is done."""

    question_chars: int = Field(2000, ge=1)
    list_items: int = Field(200, ge=1)
    item_chars: int = Field(500, ge=1)
    messages: int = Field(100, ge=1)
    conversation_chars: int = Field(100_000, ge=1)
    body_mb: float = Field(2.0, gt=0)
    upload_mb: float = Field(1000.0, gt=0)
    answer_chars: int = Field(20_000, ge=1)  # a verified answer, or an answer sent with feedback
    reason_chars: int = Field(2000, ge=1)  # a 👎's reason
    import_mb: float = Field(10.0, gt=0)  # a verified-answers file (CSV or XLSX)
    import_rows: int = Field(5000, ge=1)  # rows in one such file
    pdf_password_chars: int = Field(256, ge=1)  # a password typed on the page for an encrypted PDF


class Settings(BaseSettings):
    """The whole configuration; see `config.yaml` for what each key does."""

    model_config = SettingsConfigDict(
        env_prefix="ZHIKU_", env_nested_delimiter="__", extra="forbid", nested_model_default_partial_update=True
    )

    data_dir: Path = Path("data")
    kb: str = "default"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    embedding: EmbeddingSettings = EmbeddingSettings()
    vectorstore: VectorStoreSettings = VectorStoreSettings()
    llm: LLMSettings = LLMSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    cache: CacheSettings = CacheSettings()
    memory: MemorySettings = MemorySettings()
    server: ServerSettings = ServerSettings()
    auth: AuthSettings = AuthSettings()
    api: ApiSettings = ApiSettings()
    limits: LimitSettings = LimitSettings()
    verified: VerifiedSettings = VerifiedSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_source = YamlConfigSettingsSource(settings_cls, yaml_file=_config_path.get(), yaml_file_encoding="utf-8")
        return init_settings, env_settings, yaml_source

    @model_validator(mode="after")
    def _prompt_fits_the_window(self) -> Settings:
        """Caught at start-up, not as a llama.cpp error on the first long question."""
        need = self.llm.context_tokens + self.memory.max_history_tokens + self.llm.max_tokens + PROMPT_OVERHEAD
        if need > self.llm.n_ctx:
            raise ValueError(
                f"llm.context_tokens ({self.llm.context_tokens}) + memory.max_history_tokens "
                f"({self.memory.max_history_tokens}) + llm.max_tokens ({self.llm.max_tokens}) + ~{PROMPT_OVERHEAD} "
                f"for instructions and the question exceed llm.n_ctx ({self.llm.n_ctx}): raise n_ctx or lower one"
            )
        return self

    @property
    def dirs(self) -> DataDir:
        """Where each piece of state lives in `data_dir`."""
        return DataDir(self.data_dir)


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings from `config` (else env `ZHIKU_CONFIG`, else the project's `config.yaml`); `overrides` win.

    Overrides whose value is None are ignored, so CLI flags that were not given fall through.
    """
    path = Path(config or os.environ.get("ZHIKU_CONFIG") or DEFAULT_CONFIG)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    token = _config_path.set(path)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration in {path}: {without_values(exc)}") from None
    except ValueError as exc:
        raise ConfigError(f"invalid configuration in {path}: {exc}") from exc
    finally:
        _config_path.reset(token)


def without_values(exc: ValidationError) -> str:
    """Each error's key and reason, never the value given: it may be a password hash, a key or a token."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
