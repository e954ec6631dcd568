"""One object per distinct column and index key, shared by the model and the live catalogs.

A thousand-table schema holds a dozen distinct columns (ids, timestamps, flags) and index
keys repeated table after table. When the model's spelling and each catalog read from the
database hold the very same objects, comparing two tables compares those by identity
(Python's tuple comparison does that in C) instead of calling the generated ``__eq__`` for
each of them, which was the largest single cost of comparing an up-to-date database with its
model. Values are immutable and equal when shared, so sharing one changes nothing but speed.
"""

from __future__ import annotations

from typing import Final, TypeVar

import attrs

from linkgress_async.catalog.catalog import Catalog
from linkgress_async.catalog.columns import Column
from linkgress_async.catalog.indexes import Index, IndexElement
from linkgress_async.catalog.tables import Table

__all__ = ["shared_column", "shared_element", "with_shared_values"]

_Value = TypeVar("_Value", Column, IndexElement)

# The pool forgets everything when it reaches this size: a process reading many different
# databases keeps a bounded set, and what it forgets is only shared no longer.
_POOL_LIMIT: Final = 65_536
_pool: dict[Column | IndexElement, Column | IndexElement] = {}


def _shared(value: _Value) -> _Value:
    found = _pool.get(value)
    if found is not None:
        # Equal values of one class (the generated __eq__ compares classes first).
        return found  # type: ignore[return-value]
    if len(_pool) >= _POOL_LIMIT:
        _pool.clear()
    _pool[value] = value
    return value


def shared_column(column: Column) -> Column:
    """The pool's column equal to ``column``, which becomes it if there is none yet."""
    # A rename hint is not part of equality: a hinted column keeps its hint, and no other
    # column may gain it.
    return column if column.renamed_from is not None else _shared(column)


def shared_element(element: IndexElement) -> IndexElement:
    """The pool's index key equal to ``element``, which becomes it if there is none yet."""
    # Nor is ``raw`` (a model key still to be parsed by the server).
    return element if element.raw else _shared(element)


def with_shared_values(catalog: Catalog) -> Catalog:
    """``catalog`` with its tables' columns and index keys taken from the pool (a table
    whose values all are already is kept as it is)."""
    # Most models repeat a few objects: each distinct object is looked up once.
    seen: dict[int, Column | IndexElement] = {}

    def column(value: Column) -> Column:
        known = seen.get(id(value))
        if known is None:
            known = seen[id(value)] = shared_column(value)
        return known  # type: ignore[return-value]

    def element(value: IndexElement) -> IndexElement:
        known = seen.get(id(value))
        if known is None:
            known = seen[id(value)] = shared_element(value)
        return known  # type: ignore[return-value]

    def index(value: Index) -> Index:
        elements = tuple(element(e) for e in value.elements)
        return value if _same(elements, value.elements) else attrs.evolve(value, elements=elements)

    def table(value: Table) -> Table:
        columns = tuple(column(c) for c in value.columns)
        indexes = tuple(index(i) for i in value.indexes)
        if _same(columns, value.columns) and _same(indexes, value.indexes):
            return value
        return attrs.evolve(value, columns=columns, indexes=indexes)

    return attrs.evolve(catalog, tables=[table(t) for t in catalog.tables])


def _same(new: tuple[object, ...], old: tuple[object, ...]) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))
