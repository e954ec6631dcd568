"""Compare the same two tables once per plan, however many stages ask.

Spelling the model, the table diff and the security diff each ask whether a live table
equals the model's; on an up-to-date database of 1,000 tables those comparisons were a
quarter of a warm ``analyze()``'s client time. Tables are immutable, so within one plan the
answer for two given objects cannot change.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from linkgress_async.catalog.tables import Table

__all__ = ["remembered_comparisons", "same_table"]

# (id of a, id of b) -> (a, b, a == b): the objects are kept, so their ids stay theirs.
_Answers = dict[tuple[int, int], tuple[Table, Table, bool]]
_answers: ContextVar[_Answers | None] = ContextVar("linkgress_table_comparisons", default=None)


@contextmanager
def remembered_comparisons() -> Iterator[None]:
    """Within the block, :func:`same_table` answers each pair of tables once."""
    answers: _Answers = {}
    token = _answers.set(answers)
    try:
        yield
    finally:
        _answers.reset(token)
        # Tasks and timer callbacks started in the block hold copies of its context, so the
        # dict outlives the block as long as they do; emptied, it no longer keeps the plan's
        # two catalogs alive with it.
        answers.clear()


def same_table(a: Table | None, b: Table | None) -> bool:
    """Whether ``a`` equals ``b`` (two missing tables are equal, a missing one never)."""
    if a is None or b is None:
        return a is b
    answers = _answers.get()
    if answers is None:
        return a == b
    key = (id(a), id(b))
    known = answers.get(key)
    if known is None:
        known = answers[key] = (a, b, a == b)
    return known[2]
