"""Handing the memory a long fleet run freed back to the system (glibc's ``malloc_trim``).

What a run keeps per target is a small record (tested in ``tests/integration/
test_fleet_memory.py``), yet the client's RSS grew by about 3 KB per target: glibc keeps
freed heap memory. asyncio reads each socket into a 256 KiB buffer; once one such block
has been mapped and freed, glibc raises its mmap threshold and serves the next ones from
the heap, where the connections' short-lived allocations scatter among them and the freed
space is never returned. Measured over 2,400 tenant targets (concurrency 16), from the 300th
to the last: RSS 42.6 -> 49.4 MB; with a trim every 256 targets (about 1 ms each) 41.8 ->
43.1 MB, as flat as with ``MALLOC_MMAP_THRESHOLD_=131072`` (which pins the threshold).
Elsewhere (musl, macOS, Windows) there is nothing to call and this does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from functools import cache

__all__ = ["TRIM_EVERY", "release_free_memory"]

TRIM_EVERY = 256
"""Finished targets between two trims of a fleet run."""


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The symbols of the running process, C library included.
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:  # a C library other than glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    function: Callable[[int], int] = trim
    return function


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system; ``False`` where the C library has no
    ``malloc_trim``. Only memory already freed is released: nothing live moves."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
