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
* ``renamed_from`` (tables, columns, enums, indexes, constraints) is a hint of the model's:
  the object's previous name, so the diff renames instead of dropping and adding. It takes no
  part in equality; introspected values never carry it.
* Views and functions compare by what the server stores: a view's query as
  ``pg_get_viewdef`` prints it, a function's ``pg_proc`` fields (not its CREATE text).
"""

from __future__ import annotations

import functools
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
    "Function",
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
    "View",
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


def _by_qname_v(items: Iterable[View]) -> tuple[View, ...]:
    return tuple(sorted(items, key=lambda c: (c.schema, c.name)))


def _by_identity_f(items: Iterable[Function]) -> tuple[Function, ...]:
    return tuple(sorted(items, key=lambda c: (c.schema, c.name, c.identity_args or "")))


def _sorted_qnames(items: Iterable[QualifiedName]) -> tuple[QualifiedName, ...]:
    return tuple(sorted(set(items)))


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
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""


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
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""


@frozen
class CheckConstraint:
    """A ``CHECK`` table constraint; ``expression`` is the boolean expression alone."""

    name: str
    expression: str
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""


@frozen
class ForeignKey:
    """A ``FOREIGN KEY`` constraint from ``columns`` to ``referenced_columns``."""

    name: str
    columns: tuple[str, ...]
    referenced_table: QualifiedName
    referenced_columns: tuple[str, ...]
    on_delete: ForeignKeyAction = "no action"
    on_update: ForeignKeyAction = "no action"
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""


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
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""


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
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""

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
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""

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
class View:
    """A view; ``definition`` is its query.

    In a model the query is the user's text; the canonical stage and introspection give the
    server's spelling (``pg_get_viewdef`` under ``search_path = pg_catalog``), which the diff
    compares.
    """

    schema: str
    name: str
    definition: str
    depends_on: tuple[QualifiedName, ...] = attrs.field(
        default=(), converter=_sorted_qnames, eq=False
    )
    """The relations and functions the view uses, when known (never part of equality)."""
    resolved: bool = attrs.field(default=True, eq=False)
    """False for a model view the server could not build yet (it uses objects the plan
    creates): its definition is the user's text and the diff treats it as changed."""
    position: int = attrs.field(default=0, eq=False)
    """Declaration order in the model, used to order views whose dependencies are unknown."""

    @property
    def qualified_name(self) -> QualifiedName:
        """The view's schema-qualified name."""
        return QualifiedName(self.schema, self.name)


@frozen
class Function:
    """A function (``prokind = 'f'``), identified by schema, name and argument types.

    ``definition`` is everything after the name in ``CREATE FUNCTION name ...``: the user's
    text in a model, the server's (from ``pg_get_functiondef``) when introspected. The other
    fields are what the server stores; the diff compares those, not ``definition``. In a model
    before the canonical stage, or when the server could not build the function yet (a type
    it uses is created by the plan), ``identity_args`` is ``None``.
    """

    schema: str
    name: str
    identity_args: str | None = None
    """``pg_get_function_identity_arguments``: ``integer, integer``."""
    arguments: str = ""
    """``pg_get_function_arguments``: names, modes and defaults too."""
    result: str = ""
    """``pg_get_function_result``: ``integer``, ``SETOF public.users``, ``TABLE(...)``."""
    language: str = ""
    source: str = ""
    """``prosrc``: the body as written."""
    sql_body: str | None = None
    """The parsed body of a ``BEGIN ATOMIC`` / ``RETURN`` function."""
    volatility: str = "v"
    strict: bool = False
    security_definer: bool = False
    leakproof: bool = False
    parallel: str = "u"
    cost: float = 100.0
    rows: float = 0.0
    config: tuple[str, ...] = ()
    definition: str = attrs.field(default="", eq=False)
    position: int = attrs.field(default=0, eq=False)
    """Declaration order in the model."""

    @property
    def qualified_name(self) -> QualifiedName:
        """The function's schema-qualified name (without its arguments)."""
        return QualifiedName(self.schema, self.name)

    @property
    def signature(self) -> str:
        """``schema.name(argument types)``, for messages."""
        args = "..." if self.identity_args is None else self.identity_args
        return f"{self.schema}.{self.name}({args})"


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
    views: tuple[View, ...] = attrs.field(default=(), converter=_by_qname_v)
    functions: tuple[Function, ...] = attrs.field(default=(), converter=_by_identity_f)

    @functools.cached_property
    def _tables_by_name(self) -> dict[tuple[str, str], Table]:
        # Built on the first lookup: the diff looks tables up by name once per table, which a
        # scan would make quadratic in the size of the schema.
        return {(t.schema, t.name): t for t in self.tables}

    def table(self, schema: str, name: str) -> Table | None:
        """The table ``schema.name``, or ``None``."""
        return self._tables_by_name.get((schema, name))

    def enum(self, schema: str, name: str) -> Enum | None:
        """The enum ``schema.name``, or ``None``."""
        for enum in self.enums:
            if enum.schema == schema and enum.name == name:
                return enum
        return None


Schema = Catalog
"""The name API.md uses for a built model (``db.model``): the same value as :class:`Catalog`."""
