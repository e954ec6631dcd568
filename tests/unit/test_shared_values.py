"""The pool that makes equal columns and index keys one object (catalog.shared)."""

from __future__ import annotations

import uuid

from linkgress_async.catalog import Catalog, Column, Index, IndexElement, Table
from linkgress_async.catalog.shared import shared_column, shared_element, with_shared_values


def test_equal_columns_become_one_object() -> None:
    # The pool lives as long as the process: a name no other test uses keeps this one
    # independent of the order tests run in.
    name = f"created_at_{uuid.uuid4().hex}"
    first = shared_column(Column(name, "timestamp with time zone", default="now()"))
    again = Column(name, "timestamp with time zone", default="now()")
    assert again is not first
    assert shared_column(again) is first
    other = Column(name, "timestamp with time zone")
    assert shared_column(other) is other


def test_a_rename_hint_is_neither_shared_nor_passed_on() -> None:
    plain = shared_column(Column("title", "text"))
    hinted = Column("title", "text", renamed_from="headline")
    assert hinted == plain  # the hint is not part of equality...
    assert shared_column(hinted) is hinted  # ...so a hinted column keeps its own object
    assert shared_column(Column("title", "text")) is plain
    assert plain.renamed_from is None


def test_raw_index_keys_are_not_shared() -> None:
    parsed = shared_element(IndexElement(column="title", descending=True))
    raw = IndexElement(column="title", descending=True, raw=True)
    assert shared_element(raw) is raw
    assert shared_element(IndexElement(column="title", descending=True)) is parsed


def _table(name: str) -> Table:
    return Table(
        "public",
        name,
        (Column("id", "bigint", nullable=False), Column("note", "text")),
        indexes=(Index(f"{name}_note", (IndexElement(column="note"),)),),
    )


def test_a_catalog_shares_its_values_and_stays_equal() -> None:
    catalog = Catalog(schemas=["public"], tables=[_table("a"), _table("b")])
    shared = with_shared_values(catalog)
    assert shared == catalog
    a, b = shared.tables
    assert a.columns[0] is b.columns[0] is shared_column(Column("id", "bigint", nullable=False))
    assert a.indexes[0].elements[0] is b.indexes[0].elements[0]
    # Sharing again changes nothing and keeps every table object.
    again = with_shared_values(shared)
    assert all(x is y for x, y in zip(again.tables, shared.tables, strict=True))
