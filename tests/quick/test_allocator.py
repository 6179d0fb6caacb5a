"""`serve` sets glibc's allocator for a long run (core/allocator.py; issue 19, docs/benchmarks.md "Soak").

Each case runs in a fresh interpreter, since mallopt changes the process for good: once as glibc starts it (the
control, which shows this glibc behaves as the fix assumes) and once tuned as config.yaml sets it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.allocator import _libc
from core.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
PROBE = r"""
import ctypes, json, os, sys, tempfile, threading
from core.allocator import tune

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.fopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = Info
set_ = tune(int(sys.argv[1]), int(sys.argv[2]))

# A large block freed (glibc then raises its mmap threshold unless it was set), then a 1 MiB buffer.
libc.free(libc.malloc(8 << 20))
before = libc.mallinfo2().hblkhd
buffer = libc.malloc(1 << 20)
mapped = libc.mallinfo2().hblkhd - before >= 1 << 20
libc.free(buffer)

# Eight threads allocating at the same time.
gate = threading.Barrier(8)
def work():
    gate.wait()
    block = libc.malloc(4096)
    gate.wait()
    libc.free(block)
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
path = os.path.join(tempfile.mkdtemp(), "malloc_info.xml")
out = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, out)
libc.fclose(out)
print(json.dumps({"set": set_, "mapped": mapped, "arenas": open(path).read().count("<heap nr=")}))
"""

pytestmark = pytest.mark.skipif(_libc() is None, reason="glibc's mallopt only")


def probe(arena_max: int, mmap_threshold_kb: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(arena_max), str(mmap_threshold_kb)], cwd=ROOT, capture_output=True,
        text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},  # no MALLOC_* from the caller's environment
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict = json.loads(done.stdout)
    return result


def test_as_glibc_starts_large_buffers_come_from_arenas_and_each_thread_gets_one():
    control = probe(0, 0)
    assert control["set"] == []
    assert not control["mapped"]  # carved from an arena once a larger block was freed: the soak's growth
    assert control["arenas"] > 2


def test_tuned_as_configured_buffers_are_mapped_and_arenas_few():
    server = load_settings().server  # config.yaml, as `serve` reads it
    tuned = probe(server.malloc_arena_max, server.malloc_mmap_threshold_kb)
    assert tuned["set"] == ["arena_max=2", "mmap_threshold=256 KiB"]
    assert tuned["mapped"]
    assert tuned["arenas"] <= 2


def test_serve_tunes_before_it_starts(monkeypatch: pytest.MonkeyPatch):
    import app.web.server
    import core.allocator
    from app.cli import run_serve

    calls: list[tuple] = []
    monkeypatch.setattr(core.allocator, "tune", lambda *a: calls.append(("tune", *a)) or [])
    monkeypatch.setattr(app.web.server, "serve", lambda *a, **k: calls.append(("serve",)))
    args = argparse.Namespace(config=None, data_dir=None, kb=None, host=None, port=None)
    assert run_serve(args) == 0
    assert calls == [("tune", 2, 256), ("serve",)]
