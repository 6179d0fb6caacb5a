"""Ingest every file under ../shared/data/pdfs in one run and report, per file, what became of it.

The bar (issue 3): each file either ingests or fails with one specific line, and every other file in the
folder still ingests. The run goes through the real CLI, so what is measured is what a user gets.
The USE embedder keeps the run short (the parsers are what is tested); passwords for the encrypted samples
are the ones published with them (../shared/data/README.md).

    .venv/bin/python -m bench.robustness [--folder ../shared/data/pdfs] [--provider use]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {
    "*005-libreoffice-writer-password*": "openpassword",
    "password-example.pdf": "test",
    "password.pdf": "password",
    "encryption__rc4-128.pdf": "foo",
    "encryption__aes-128.pdf": "foo",
    "encryption__aes-256-r6.pdf": "usersecret",
}


def write_config(folder: Path, provider: str) -> Path:
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["embedding"]["provider"] = provider
    config["ingest"]["passwords"] = PASSWORDS
    config["ingest"]["extensions"] = [".pdf"]
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run(folder: Path, provider: str) -> tuple[list[dict], float, subprocess.CompletedProcess]:
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), provider)
        env = {**os.environ, "ZHIKU_DATA_DIR": str(Path(tmp) / "data")}
        started = time.perf_counter()
        cmd = [sys.executable, "-m", "ingest", "--config", str(config), str(folder)]
        result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        listing = subprocess.run(
            [sys.executable, "-m", "ingest", "list", "--json", "--config", str(config)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
    rows = [json.loads(line) for line in listing.stdout.splitlines() if line.strip()]
    return rows, seconds, result


def table(rows: list[dict], folder: Path) -> str:
    lines = ["| file | result | pages | chunks |", "|---|---|---|---|"]
    for row in rows:
        name = os.path.relpath(row["path"], folder)
        result = "ingested" if row["status"] == "ingested" else f"failed: {row['error']}"
        lines.append(f"| {name} | {result} | {row['pages']} | {row['chunks']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=ROOT.parent / "shared" / "data" / "pdfs")
    parser.add_argument("--provider", default="use", help="embedding provider (default: use, the fastest)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "robustness.md")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"no such folder: {args.folder} (the shared data is not beside this checkout)", file=sys.stderr)
        return 2
    rows, seconds, result = run(args.folder.resolve(), args.provider)
    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    counts = Counter(row["status"] for row in rows)
    summary = (
        f"{len(rows)} PDFs: {counts['ingested']} ingested, {counts['failed']} failed, one line each "
        f"({len(failed_lines)} FAILED lines, {result.stderr.count('Traceback')} tracebacks); "
        f"exit code {result.returncode}; {seconds:.0f} s"
    )
    report = f"{summary}\n\n{table(rows, args.folder.resolve())}\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
