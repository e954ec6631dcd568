"""Pause the cyclic garbage collector during the CPU-bound stages of a plan.

Assembling a catalog from rows, spelling the model and diffing allocate hundreds of thousands
of small objects (catalog values, operations) that contain no reference cycles. Each burst of
allocations triggers collections that walk every tracked object in the process, which measured
as ~40% of ``analyze()``'s CPU time at 1,000 tables. The pause covers only those synchronous
stages, never an ``await``, so other tasks of the application are not left without the
collector while a plan waits on the network. Reference counting still frees everything as
usual; the collector runs again as soon as the last pause ends.

What a pause leaves alive (a catalog just read: ~24,000 tracked objects per 1,000 tables) is
young to the collector, which would walk it at once and again a few collections later: at
10,000 tables ~190 ms of a warm ``analyze()``'s 1.8 s (a few ms at 1,000). When a pause ends
with that many young objects, they go to the oldest generation at once (``gc.freeze()`` then
``gc.unfreeze()``: no walk). The application's own young objects of the moment go too. Objects
moved so do not count toward the collector's trigger of a full collection, and a catalog dies
young (the next analysis replaces it), so that trigger may not come for a long time; any cycle
of garbage among the moved objects would wait for it. So every
:data:`PROMOTIONS_PER_FULL_COLLECTION` moves, the pause ends with a full collection instead
(~350 ms at 10,000 tables, ~40 at 1,000; at 10,000 tables that is once in 8 analyses). Nothing
is moved or collected while the application has frozen objects of its own (``gc.unfreeze()``
would release them), has turned the collector off, or runs it only by hand (threshold 0).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PROMOTE_AT_YOUNG", "PROMOTIONS_PER_FULL_COLLECTION", "paused_gc"]

# Young objects (tracked allocations less deallocations since the last young collection) a
# pause must leave for a promotion: a few hundred tables' catalog. Below it the walks cost
# little, and the application's young objects are left to the collector's usual course.
PROMOTE_AT_YOUNG = 10_000
PROMOTIONS_PER_FULL_COLLECTION = 32

_lock = threading.Lock()
_depth = 0
_was_enabled = False
_full_collections_seen = -1
_promotions = 0


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block; nested and concurrent pauses are counted."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        collect = False
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                if gc.get_count()[0] >= PROMOTE_AT_YOUNG:
                    collect = _settle_young()
                gc.enable()
        if collect:
            # Outside the lock: a collection runs finalizers and weak reference callbacks,
            # which must be free to pause the collector themselves.
            gc.collect()


def _settle_young() -> bool:
    """Move a large pause's young objects to the oldest generation; or say that the full
    collection they never counted toward is due (every
    :data:`PROMOTIONS_PER_FULL_COLLECTION` moves; it leaves them there too)."""
    global _full_collections_seen, _promotions
    if gc.get_freeze_count() or gc.get_threshold()[0] == 0:
        # Objects the application froze (unfreezing would release them), or a collector it
        # runs only by hand: its own policy, left alone.
        return False
    full_collections = gc.get_stats()[-1]["collections"]
    if full_collections != _full_collections_seen:
        _full_collections_seen = full_collections
        _promotions = 0
    if _promotions >= PROMOTIONS_PER_FULL_COLLECTION:
        return True
    _promotions += 1
    gc.freeze()
    gc.unfreeze()
    return False
