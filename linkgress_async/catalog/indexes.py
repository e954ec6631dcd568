"""Indexes (other than those behind primary keys and unique or exclusion constraints)."""

from __future__ import annotations

import attrs
from attrs import frozen

__all__ = ["Index", "IndexElement", "unordered"]


def unordered(options: tuple[str, ...]) -> tuple[str, ...]:
    """How storage parameters compare: as a set. Their order means nothing to PostgreSQL,
    but it keeps them as written and ``pg_dump`` prints them so; values keep that order."""
    return tuple(sorted(options))


@frozen
class IndexElement:
    """One key of an index: a column name or an SQL expression, with its key options.

    Options hold only what differs from PostgreSQL's defaults, as ``pg_get_indexdef``
    prints them: ``collation`` when not the column's (``"C"``, ``public.mycoll``),
    ``opclass`` when not the type's default (``text_pattern_ops``,
    ``public.vector_cosine_ops``: schema-qualified outside ``pg_catalog``) and its
    ``opclass_options`` (``siglen=32``, in the server's order, compared as a set),
    ``descending``, and ``nulls_first`` only when it is
    not the direction's default (``None``: NULLS LAST ascending, NULLS FIRST descending).
    """

    column: str | None = None
    expression: str | None = None
    collation: str | None = None
    opclass: str | None = None
    opclass_options: tuple[str, ...] = attrs.field(default=(), eq=unordered)
    descending: bool = False
    nulls_first: bool | None = None
    raw: bool = attrs.field(default=False, eq=False)
    """A key the model gave as raw SQL (``sql("created_at DESC")``): an expression, or a
    column with its options, as written; the canonical stage has the server parse it into
    the fields above. Never part of equality; introspected values never carry it."""

    def __attrs_post_init__(self) -> None:
        if (self.column is None) == (self.expression is None):
            raise ValueError("an index element is exactly one of a column or an expression")


@frozen
class Index:
    """An index that is not the implementation of a primary key or unique constraint.

    ``options`` are its storage parameters (``fillfactor=70``) in the order the server keeps
    them, compared as a set (see :func:`unordered`).
    """

    name: str
    elements: tuple[IndexElement, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""
    nulls_not_distinct: bool = False
    options: tuple[str, ...] = attrs.field(default=(), eq=unordered)
    written_where: str | None = attrs.field(default=None, eq=False)
    """The model's own ``where`` when the canonical stage put the server's spelling in its
    place (never part of equality; see ``CheckConstraint.written``)."""
    valid: bool = True
    """``False`` for an index the server does not use (``pg_index.indisvalid``): left by a
    failed ``CREATE INDEX CONCURRENTLY``, or a partitioned table's index that a partition
    lacks. It differs from the model's, so the plan builds it again."""
