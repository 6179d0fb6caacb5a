"""Starting the real web service for tests: in a thread (gradio_client tests) or as `python -m app serve`."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import uvicorn

from app.web.server import create_app
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, timeout_s: float = 120.0, alive: Callable[[], bool] = lambda: True) -> None:
    """Until `url` answers 200: Zhiku's /health, a Chroma heartbeat, a model server's /models."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s" + ("" if alive() else " (the process exited)"))


def wait_healthy(url: str, timeout_s: float = 120.0, alive: Callable[[], bool] = lambda: True) -> None:
    wait_until_up(f"{url}/health", timeout_s, alive)


@contextmanager
def service_in_thread(settings: Settings) -> Iterator[str]:
    """The same application `python -m app serve` runs, served by uvicorn on 127.0.0.1 in this process."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, alive=thread.is_alive)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def serve_process(env: dict[str, str], port: int, args: Sequence[str] = ()) -> Iterator[str]:
    """`python -m app serve` as a user starts it, with `env` (and `args`: "--config", ...), on 127.0.0.1:`port`,
    until healthy; stopped after (killed when a page client a failed test left open holds the shutdown)."""
    with serving(env, port, args=args) as (url, _):
        yield url


@contextmanager
def serving(
    env: dict[str, str], port: int, preexec_fn: Callable[[], None] | None = None, output: IO[str] | None = None,
    timeout_s: float = 120.0, args: Sequence[str] = (),
) -> Iterator[tuple[str, subprocess.Popen[str]]]:  # fmt: skip
    """`serve_process`, also handing over the process (its pid, to watch or limit it); `preexec_fn` runs in the
    child before `serve` starts (a resource limit); `output` takes what it prints (a pipe nobody reads while it
    runs would stop a long-running server once full)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", *args, "--port", str(port)], cwd=ROOT, env=env, text=True,
        stdout=output or subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=preexec_fn,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, timeout_s, alive=lambda: process.poll() is None)
        yield url, process
    finally:
        process.terminate()
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=60)
