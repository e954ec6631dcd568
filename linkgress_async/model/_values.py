"""Catalog values that the tables of one build share: one object per distinct value."""

from __future__ import annotations

from attrs import define, field

from linkgress_async.catalog import Column, Generated, Identity, IndexElement

__all__ = ["BuildValues", "ColumnKey"]

ColumnKey = tuple[
    str,
    str,
    bool,
    str | None,
    Identity | None,
    str | None,
    str | None,
    Generated | None,
    str | None,
]


@define
class BuildValues:
    """The columns and index keys of one build, one object per distinct value, and the
    column names already checked.

    A large model repeats a dozen columns (ids, timestamps, flags) and index keys table after
    table, and making a frozen value costs a call per field: a lookup by the constructor's
    arguments is a fraction of that. Equal immutable values are shared anyway once the
    catalog is canonical (:mod:`linkgress_async.catalog.shared`), so this changes only speed.
    """

    names: set[str] = field(factory=set)
    """Column names found valid identifiers: each is checked once a build."""
    _columns: dict[ColumnKey, Column] = field(factory=dict)
    _elements: dict[tuple[str, str | None], IndexElement] = field(factory=dict)

    def column(self, key: ColumnKey) -> Column:
        """The build's column made of ``key`` (:class:`Column`'s arguments in field order,
        rename hint included, which equality ignores: a hinted column is not shared with an
        unhinted one)."""
        found = self._columns.get(key)
        if found is None:
            found = self._columns[key] = Column(*key)
        return found

    def element(self, column: str, opclass: str | None) -> IndexElement:
        """The build's index key on ``column`` with ``opclass``."""
        found = self._elements.get((column, opclass))
        if found is None:
            found = self._elements[column, opclass] = IndexElement(column, opclass=opclass)
        return found
