"""release_free_memory hands freed C heap pages back to the system where glibc runs."""

from __future__ import annotations

import ctypes
import platform
import resource

from linkgress_async.fleet.heap import release_free_memory


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def has_glibc_trim() -> bool:
    if platform.system() != "Linux":
        return False
    return hasattr(ctypes.CDLL(None), "malloc_trim")


def test_freed_heap_pages_go_back_to_the_system() -> None:
    if not has_glibc_trim():
        assert release_free_memory() is False
        return
    # A freed mapped block makes glibc serve later large blocks from the heap (its dynamic
    # mmap threshold), as it does asyncio's 256 KiB socket reads in a fleet run; the blocks
    # still in use between the freed ones stop the heap from shrinking by itself.
    release_free_memory()
    del_me = b"x" * (4 << 20)
    del del_me
    blocks = [b"y" * 200_000 for _ in range(200)]
    kept = blocks[1::2]
    del blocks
    before = rss_bytes()
    assert release_free_memory() is True
    released = before - rss_bytes()
    assert released > 10 << 20, f"only {released} bytes of the 20 MB freed were released"
    assert len(kept) == 100
