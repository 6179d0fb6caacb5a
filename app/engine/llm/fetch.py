"""`fetch-model`: download a GGUF from the Hugging Face hub for users who have internet.

Without a network, huggingface_hub retries for half a minute before failing; a quick probe of the hub
first turns that into an immediate, plain error.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlparse

from core.errors import ZhikuError


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co")


def probe(endpoint: str, timeout_s: float) -> None:
    url = urlparse(endpoint)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as exc:
        raise ZhikuError(
            f"cannot reach the model hub at {endpoint} ({exc.strerror or exc}). This machine seems offline: "
            "download the GGUF elsewhere, copy it here and set llm.model_path in config.yaml to its path."
        ) from exc


def fetch_model(repo: str, filename: str, models_dir: Path, timeout_s: float) -> Path:
    probe(hub_endpoint(), min(timeout_s, 5.0))
    from huggingface_hub import hf_hub_download

    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", str(int(timeout_s)))
    try:
        path = hf_hub_download(repo_id=repo, filename=filename, local_dir=models_dir / repo.replace("/", "--"))
    except Exception as exc:
        raise ZhikuError(f"download of {repo}/{filename} failed: {exc}") from exc
    return Path(path)
