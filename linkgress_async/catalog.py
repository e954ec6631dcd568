"""Immutable values describing a database schema, shared by every stage of the pipeline.

The model builder produces a :class:`Catalog` from the user's declarations; introspection
produces one from ``pg_catalog``; the diff compares two of them. Values compare by content, so
two catalogs that describe the same database are equal.

Conventions (both producers follow them, so the diff can compare with ``==``):

* ``Column.data_type`` is PostgreSQL's own spelling of the type as ``format_type`` prints it
  with ``search_path = pg_catalog``: ``integer``, ``character varying(100)``,
  ``timestamp with time zone``, ``numeric(10,2)``, ``integer[]``, ``public.post_status``.
  Columns declared ``serial``/``bigserial``/``smallserial`` (an integer column whose default
  is ``nextval`` of a sequence owned by the column) are spelled ``serial``, ``bigserial``,
  ``smallserial`` with ``default=None``.
* Defaults and expressions are SQL text; the canonical stage rewrites model text into the
  server's spelling (``pg_get_expr`` with ``search_path = pg_catalog``) before comparing.
* Sequence and identity options are always complete: the model fills PostgreSQL's defaults.
* An identity's ``sequence_name`` is ``None`` when it is PostgreSQL's default name
  (``{table}_{column}_seq``).
* Foreign-key actions are lower-case words: ``no action``, ``restrict``, ``cascade``,
  ``set null``, ``set default``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import attrs
from attrs import frozen

__all__ = [
    "FK_ACTIONS",
    "SERIAL_STORAGE_TYPES",
    "Catalog",
    "CheckConstraint",
    "Column",
    "Enum",
    "ForeignKey",
    "ForeignKeyAction",
    "Identity",
    "Index",
    "IndexElement",
    "PrimaryKey",
    "QualifiedName",
    "Schema",
    "Sequence",
    "SequenceOptions",
    "Table",
    "UniqueConstraint",
    "storage_type",
]

ForeignKeyAction = Literal["no action", "restrict", "cascade", "set null", "set default"]
SERIAL_STORAGE_TYPES: dict[str, str] = {
    "smallserial": "smallint",
    "serial": "integer",
    "bigserial": "bigint",
}
"""The integer type a ``serial``-spelled column is stored as."""


def storage_type(data_type: str) -> str:
    """The type a column is stored as: ``serial`` is stored as ``integer``."""
    return SERIAL_STORAGE_TYPES.get(data_type, data_type)


FK_ACTIONS: tuple[ForeignKeyAction, ...] = (
    "no action",
    "restrict",
    "cascade",
    "set null",
    "set default",
)


def _by_name_u(items: Iterable[UniqueConstraint]) -> tuple[UniqueConstraint, ...]:
    return tuple(sorted(items, key=lambda c: c.name))


def _by_name_c(items: Iterable[CheckConstraint]) -> tuple[CheckConstraint, ...]:
    return tuple(sorted(items, key=lambda c: c.name))


def _by_name_f(items: Iterable[ForeignKey]) -> tuple[ForeignKey, ...]:
    return tuple(sorted(items, key=lambda c: c.name))


def _by_name_i(items: Iterable[Index]) -> tuple[Index, ...]:
    return tuple(sorted(items, key=lambda c: c.name))


def _by_qname_e(items: Iterable[Enum]) -> tuple[Enum, ...]:
    return tuple(sorted(items, key=lambda c: (c.schema, c.name)))


def _by_qname_s(items: Iterable[Sequence]) -> tuple[Sequence, ...]:
    return tuple(sorted(items, key=lambda c: (c.schema, c.name)))


def _by_qname_t(items: Iterable[Table]) -> tuple[Table, ...]:
    return tuple(sorted(items, key=lambda c: (c.schema, c.name)))


def _sorted_names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


@frozen(order=True)
class QualifiedName:
    """A schema-qualified object name, unquoted."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@frozen
class SequenceOptions:
    """The complete options of a sequence (or of an identity column's sequence)."""

    start_with: int
    increment_by: int
    min_value: int
    max_value: int
    cache: int = 1
    cycle: bool = False


@frozen
class Identity:
    """``GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY`` on a column."""

    always: bool
    options: SequenceOptions
    sequence_name: str | None = None


@frozen
class Column:
    """A table column."""

    name: str
    data_type: str
    nullable: bool = True
    default: str | None = None
    identity: Identity | None = None


@frozen
class PrimaryKey:
    """A table's primary key constraint."""

    name: str
    columns: tuple[str, ...]


@frozen
class UniqueConstraint:
    """A ``UNIQUE`` table constraint."""

    name: str
    columns: tuple[str, ...]


@frozen
class CheckConstraint:
    """A ``CHECK`` table constraint; ``expression`` is the boolean expression alone."""

    name: str
    expression: str


@frozen
class ForeignKey:
    """A ``FOREIGN KEY`` constraint from ``columns`` to ``referenced_columns``."""

    name: str
    columns: tuple[str, ...]
    referenced_table: QualifiedName
    referenced_columns: tuple[str, ...]
    on_delete: ForeignKeyAction = "no action"
    on_update: ForeignKeyAction = "no action"


@frozen
class IndexElement:
    """One key of an index: a column name, or an SQL expression."""

    column: str | None = None
    expression: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.column is None) == (self.expression is None):
            raise ValueError("an index element is exactly one of a column or an expression")


@frozen
class Index:
    """An index that is not the implementation of a primary key or unique constraint."""

    name: str
    elements: tuple[IndexElement, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()


@frozen
class Table:
    """A table with its columns, keys, constraints and indexes.

    Columns keep their declared order; constraints and indexes are sorted by name, so that
    equal tables compare equal whatever order they were declared or read in.
    """

    schema: str
    name: str
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = attrs.field(default=(), converter=_by_name_u)
    checks: tuple[CheckConstraint, ...] = attrs.field(default=(), converter=_by_name_c)
    foreign_keys: tuple[ForeignKey, ...] = attrs.field(default=(), converter=_by_name_f)
    indexes: tuple[Index, ...] = attrs.field(default=(), converter=_by_name_i)

    @property
    def qualified_name(self) -> QualifiedName:
        """The table's schema-qualified name."""
        return QualifiedName(self.schema, self.name)

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or ``None``."""
        for column in self.columns:
            if column.name == name:
                return column
        return None


@frozen
class Enum:
    """An enum type with its labels in sort order."""

    schema: str
    name: str
    values: tuple[str, ...]

    @property
    def qualified_name(self) -> QualifiedName:
        """The type's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class Sequence:
    """A standalone sequence (not one owned by a serial or identity column)."""

    schema: str
    name: str
    options: SequenceOptions
    data_type: str = "bigint"

    @property
    def qualified_name(self) -> QualifiedName:
        """The sequence's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class Catalog:
    """A whole schema: the namespaces it manages and the objects in them.

    ``schemas`` lists every namespace the catalog covers (for the model: declared and used
    schemas; for introspection: the schemas that were read).
    """

    schemas: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)
    enums: tuple[Enum, ...] = attrs.field(default=(), converter=_by_qname_e)
    sequences: tuple[Sequence, ...] = attrs.field(default=(), converter=_by_qname_s)
    tables: tuple[Table, ...] = attrs.field(default=(), converter=_by_qname_t)

    def table(self, schema: str, name: str) -> Table | None:
        """The table ``schema.name``, or ``None``."""
        for table in self.tables:
            if table.schema == schema and table.name == name:
                return table
        return None

    def enum(self, schema: str, name: str) -> Enum | None:
        """The enum ``schema.name``, or ``None``."""
        for enum in self.enums:
            if enum.schema == schema and enum.name == name:
                return enum
        return None


Schema = Catalog
"""The name API.md uses for a built model (``db.model``): the same value as :class:`Catalog`."""
