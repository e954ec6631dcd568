"""The collector's pause (``linkgress_async._gc``): what a large pause leaves alive goes
straight to the oldest generation, within the bounds that keep the application's collector
its own."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from linkgress_async import _gc
from linkgress_async._gc import PROMOTE_AT_YOUNG, PROMOTIONS_PER_FULL_COLLECTION, paused_gc


@pytest.fixture(autouse=True)
def collector() -> Iterator[None]:
    """An enabled collector, nothing frozen, a full collection just made (which resets the
    count of promotions), and no collection starting on its own meanwhile: where an object
    is, and how many promotions were made, are the pauses' doing."""
    was_enabled = gc.isenabled()
    thresholds = gc.get_threshold()
    gc.enable()
    gc.collect()
    gc.set_threshold(1_000_000_000, *thresholds[1:])
    assert gc.get_freeze_count() == 0
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if gc.get_freeze_count():
            gc.unfreeze()
        if not was_enabled:
            gc.disable()


def generation_of(marker: object) -> int | None:
    """The generation holding ``marker`` (``None``: frozen or untracked)."""
    for generation in range(3):
        if any(value is marker for value in gc.get_objects(generation=generation)):
            return generation
    return None


def paused_with_young(count: int) -> list[list[int]]:
    """A pause that leaves ``count`` new tracked objects alive; they are returned."""
    with paused_gc():
        kept = [[] for _ in range(count)]
        assert not gc.isenabled()
    assert gc.isenabled()
    return kept  # type: ignore[return-value]


def test_a_large_pause_promotes_what_it_leaves_to_the_oldest_generation() -> None:
    kept = paused_with_young(PROMOTE_AT_YOUNG + 100)
    assert gc.get_count()[0] < 100
    assert generation_of(kept[0]) == 2
    assert gc.get_freeze_count() == 0


def test_a_small_pause_leaves_young_objects_young() -> None:
    kept = paused_with_young(PROMOTE_AT_YOUNG // 10)
    assert generation_of(kept[0]) == 0


def test_objects_the_application_froze_stay_frozen_and_nothing_is_promoted() -> None:
    frozen = [[1]]
    gc.freeze()
    count = gc.get_freeze_count()
    kept = paused_with_young(PROMOTE_AT_YOUNG + 100)
    assert gc.get_freeze_count() == count
    assert generation_of(frozen) is None
    assert generation_of(kept[0]) == 0


def test_a_collector_turned_off_stays_off_and_nothing_is_promoted() -> None:
    gc.disable()
    with paused_gc():
        kept = [[] for _ in range(PROMOTE_AT_YOUNG + 100)]
    assert not gc.isenabled()
    assert generation_of(kept[0]) == 0


def test_a_collector_run_only_by_hand_is_left_alone() -> None:
    gc.set_threshold(0)
    before = gc.get_stats()[-1]["collections"]
    kept = paused_with_young(PROMOTE_AT_YOUNG + 100)
    assert generation_of(kept[0]) == 0
    assert gc.get_stats()[-1]["collections"] == before


def full_collections() -> int:
    return int(gc.get_stats()[-1]["collections"])


class _Node:
    """An object that can be part of a cycle and be watched by a weak reference."""

    me: object = None


def cyclic_garbage() -> weakref.ref[_Node]:
    """A new cycle nothing else refers to, and a weak reference telling whether it is freed."""
    node = _Node()
    node.me = node
    return weakref.ref(node)


def test_every_so_many_promotions_a_pause_ends_with_a_full_collection() -> None:
    before = full_collections()
    kept = [
        paused_with_young(PROMOTE_AT_YOUNG + 100) for _ in range(PROMOTIONS_PER_FULL_COLLECTION - 1)
    ]
    # A cycle of garbage young when a pause ends moves with the rest, uncollected...
    garbage = cyclic_garbage()
    kept.append(paused_with_young(PROMOTE_AT_YOUNG + 100))
    assert garbage() is not None
    assert generation_of(kept[-1][0]) == 2
    assert full_collections() == before
    assert _gc._promotions == PROMOTIONS_PER_FULL_COLLECTION
    # ...until the full collection the moved objects never counted toward, which the next
    # large pause runs: the cycle is freed, and what is alive ends in the oldest generation.
    collected = paused_with_young(PROMOTE_AT_YOUNG + 100)
    assert full_collections() == before + 1
    assert garbage() is None
    assert generation_of(collected[0]) == 2
    # Counting starts again.
    again = paused_with_young(PROMOTE_AT_YOUNG + 100)
    assert generation_of(again[0]) == 2
    assert full_collections() == before + 1
    assert _gc._promotions == 1


def test_the_full_collection_runs_finalizers_that_pause_the_collector_themselves() -> None:
    paused_in_finalizer: list[bool] = []

    class PausesWhenFreed:
        me: object = None

        def __del__(self) -> None:
            with paused_gc():
                paused_in_finalizer.append(not gc.isenabled())

    for _ in range(PROMOTIONS_PER_FULL_COLLECTION):
        paused_with_young(PROMOTE_AT_YOUNG + 100)
    garbage = PausesWhenFreed()
    garbage.me = garbage
    del garbage
    # The pause whose end runs the full collection: the finalizer must not wait for it (with
    # the collection run under the pauses' lock, this hangs).
    paused_with_young(PROMOTE_AT_YOUNG + 100)
    assert paused_in_finalizer == [True]
    assert gc.isenabled()
