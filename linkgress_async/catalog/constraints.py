"""Table constraints: primary keys, unique, check, foreign-key and exclusion constraints.

Flags that PostgreSQL can set on a constraint (``DEFERRABLE``, ``INITIALLY DEFERRED``,
``NOT VALID``, ``NO INHERIT``, ``NOT ENFORCED``, ``NULLS NOT DISTINCT``, temporal
``WITHOUT OVERLAPS``/``PERIOD``) are fields with PostgreSQL's defaults, so a constraint that
does not use them compares equal to one declared without them.
"""

from __future__ import annotations

from typing import Literal

import attrs
from attrs import frozen

from linkgress_async.catalog.indexes import unordered
from linkgress_async.catalog.names import QualifiedName

__all__ = [
    "FK_ACTIONS",
    "CheckConstraint",
    "ExclusionConstraint",
    "ForeignKey",
    "ForeignKeyAction",
    "ForeignKeyMatch",
    "PrimaryKey",
    "UniqueConstraint",
]

ForeignKeyAction = Literal["no action", "restrict", "cascade", "set null", "set default"]
ForeignKeyMatch = Literal["simple", "full", "partial"]

FK_ACTIONS: tuple[ForeignKeyAction, ...] = (
    "no action",
    "restrict",
    "cascade",
    "set null",
    "set default",
)


@frozen
class PrimaryKey:
    """A table's primary key constraint.

    ``without_overlaps`` (PostgreSQL 18) makes the last column a temporal key part.
    ``include`` are the ``INCLUDE`` columns of its index, ``options`` its index storage
    parameters (``fillfactor=70``) in the server's order, compared as a set.
    """

    name: str
    columns: tuple[str, ...]
    include: tuple[str, ...] = ()
    deferrable: bool = False
    initially_deferred: bool = False
    without_overlaps: bool = False
    options: tuple[str, ...] = attrs.field(default=(), eq=unordered)


@frozen
class UniqueConstraint:
    """A ``UNIQUE`` table constraint (see :class:`PrimaryKey` for the shared fields)."""

    name: str
    columns: tuple[str, ...]
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""
    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    without_overlaps: bool = False
    options: tuple[str, ...] = attrs.field(default=(), eq=unordered)


@frozen
class CheckConstraint:
    """A ``CHECK`` table constraint; ``expression`` is the boolean expression alone."""

    name: str
    expression: str
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""
    not_valid: bool = False
    no_inherit: bool = False
    enforced: bool = True
    written: str | None = attrs.field(default=None, eq=False)
    """The model's own ``expression`` when the canonical stage put the server's spelling in
    its place (never part of equality): what creating the check runs, since the server's
    printed text does not always parse back into the same expression."""


@frozen
class ForeignKey:
    """A ``FOREIGN KEY`` constraint from ``columns`` to ``referenced_columns``.

    ``period`` (PostgreSQL 18) makes the last column pair a temporal ``PERIOD`` reference.
    ``delete_set_columns`` is the column list of ``ON DELETE SET NULL (...)`` /
    ``SET DEFAULT (...)`` (PostgreSQL 15), empty when the action applies to every column.
    """

    name: str
    columns: tuple[str, ...]
    referenced_table: QualifiedName
    referenced_columns: tuple[str, ...]
    on_delete: ForeignKeyAction = "no action"
    on_update: ForeignKeyAction = "no action"
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""
    match: ForeignKeyMatch = "simple"
    deferrable: bool = False
    initially_deferred: bool = False
    not_valid: bool = False
    enforced: bool = True
    period: bool = False
    delete_set_columns: tuple[str, ...] = ()


@frozen
class ExclusionConstraint:
    """An ``EXCLUDE`` constraint.

    ``definition`` is everything from ``EXCLUDE`` on except the deferral clauses, as
    ``pg_get_constraintdef`` prints it: ``EXCLUDE USING gist (room WITH =, during WITH &&)``.
    """

    name: str
    definition: str
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""
    deferrable: bool = False
    initially_deferred: bool = False
    written: str | None = attrs.field(default=None, eq=False)
    """The model's own ``definition`` when the canonical stage put the server's spelling in
    its place (never part of equality; see :attr:`CheckConstraint.written`)."""
