"""glibc's allocator set for a process that runs for days (`serve`; issue 19, docs/benchmarks.md "Soak").

Left as glibc starts it, the server's memory grew under the soak's mixed load while the memory it actually used
stayed flat: glibc gives each thread that allocates at the same time as another its own arena (up to 8 per
core), and after the first large block is freed it raises its mmap threshold (up to 32 MiB), so the multi-MiB
buffers of an ingestion (parsing, embedding batches) are carved from those arenas instead of being mapped and
unmapped. Freed, they leave holes among long-lived objects that `malloc_trim` cannot hand back, in every arena;
each new peak of concurrent work grows them further. A fixed mmap threshold (it also turns the raising off)
sends those buffers to mmap, returned whole when freed, and fewer arenas leave fewer partly used heaps.

`mallopt` is glibc's; elsewhere (musl, macOS) `tune` changes nothing and says so. It acts on allocations and
arenas made after it, so `serve` calls it first.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # <malloc.h>
M_ARENA_MAX = -8


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def tune(arena_max: int, mmap_threshold_kb: int) -> list[str]:
    """Sets what is not 0 (0: glibc's own default, and its MALLOC_* variables, stay); returns what was set."""
    libc = _libc()
    if libc is None:
        return []
    done = []
    if arena_max and libc.mallopt(M_ARENA_MAX, arena_max) == 1:
        done.append(f"arena_max={arena_max}")
    if mmap_threshold_kb and libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold_kb * 1024) == 1:
        done.append(f"mmap_threshold={mmap_threshold_kb} KiB")
    return done
