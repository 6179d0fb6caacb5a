"""No document and no question leaves the machine: ingest, ask and the served API run in processes where every
outgoing connection and every name lookup is checked (a Python audit hook, loaded through `sitecustomize` in
each process, parse workers included) and anything but the loopback address is refused and recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import ROOT, TEST_CONFIG, json_lines, run_cli
from tests.web import free_port, wait_healthy

GUARD = """
import os, sys

_LOG = os.environ["ZHIKU_GUARD_LOG"]
_LOCAL = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}


def _refuse(what):
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {what}\\n")
    raise PermissionError(f"blocked by the offline guard: {what}")


def _hook(event, args):
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and str(address[0]) not in _LOCAL:
            _refuse(f"connect {address!r}")
    elif event == "socket.getaddrinfo":
        host = args[0].decode() if isinstance(args[0], bytes) else str(args[0] or "")
        if host not in _LOCAL:
            _refuse(f"getaddrinfo {host!r}")


sys.addaudithook(_hook)
with open(_LOG + ".seen", "a", encoding="utf-8") as seen:
    seen.write(f"{os.getpid()} {' '.join(sys.orig_argv[1:3])}\\n")
"""


def guarded_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    folder, log = tmp_path / "guard", tmp_path / "guard.log"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log.touch()
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "ZHIKU_GUARD_LOG": str(log)}, log


def test_the_guard_itself_refuses_an_outside_connection(tmp_path: Path):
    env, log = guarded_env(tmp_path)
    probe = "import socket; socket.create_connection(('192.0.2.1', 80), timeout=1)"  # TEST-NET-1, never routed
    done = subprocess.run([sys.executable, "-c", probe], env={**os.environ, **env}, capture_output=True, text=True)
    assert done.returncode != 0 and "blocked by the offline guard" in done.stderr
    assert "192.0.2.1" in log.read_text(encoding="utf-8")


def test_ingest_ask_and_the_served_api_make_no_outside_connection(tmp_path: Path, docs_dir: Path):
    env, log = guarded_env(tmp_path)
    data = tmp_path / "data"
    ingested = run_cli("ingest", str(docs_dir), data_dir=data, env=env)
    assert ingested.returncode == 0, ingested.stderr
    asked = run_cli("app", "ask", "--json", "What must the impeller clearance be?", data_dir=data, env=env)
    assert asked.returncode == 0, asked.stderr
    assert json_lines(asked.stdout)[0]["sources"]

    port = free_port()
    full = {**os.environ, **env, "ZHIKU_DATA_DIR": str(data), "ZHIKU_CONFIG": str(TEST_CONFIG)}
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=full)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, alive=lambda: server.poll() is None)
        assert httpx.get(f"{url}/").status_code == 200  # the chat page renders
        reply = httpx.post(f"{url}/api/ask", json={"question": "冷却塔风机皮带多久检查一次？"}, timeout=300)
        assert reply.status_code == 200 and reply.json()["sources"]
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert log.read_text(encoding="utf-8") == ""
    guarded = (tmp_path / "guard.log.seen").read_text(encoding="utf-8")
    for command in ("-m ingest", "-m app"):  # the guard was really loaded in each of them
        assert command in guarded, guarded
