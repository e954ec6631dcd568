"""Tables and what hangs off them: triggers, row-level security policies, partitioning."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Literal, Protocol, TypeVar

import attrs
from attrs import frozen

from linkgress_async.catalog.columns import Column
from linkgress_async.catalog.constraints import (
    CheckConstraint,
    ExclusionConstraint,
    ForeignKey,
    PrimaryKey,
    UniqueConstraint,
)
from linkgress_async.catalog.indexes import Index
from linkgress_async.catalog.names import QualifiedName

__all__ = ["Policy", "PolicyCommand", "Table", "Trigger", "TriggerEnabled"]

TriggerEnabled = Literal["origin", "disabled", "replica", "always"]
PolicyCommand = Literal["all", "select", "insert", "update", "delete"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def _by_name(items: Iterable[_N]) -> tuple[_N, ...]:
    found = tuple(items)
    # Most tables have none or one of each kind: nothing to sort.
    return found if len(found) < 2 else tuple(sorted(found, key=lambda item: item.name))


@frozen
class Trigger:
    """A trigger on a table (or view), calling ``function`` with ``arguments``.

    ``events`` are in PostgreSQL's order (insert, delete, update, truncate);
    ``update_columns`` are the columns of ``UPDATE OF``; ``when`` is the ``WHEN`` condition
    in the server's spelling; ``old_table``/``new_table`` the ``REFERENCING`` transition
    relation names. A ``constraint`` trigger may be deferrable. ``enabled`` is
    ``ALTER TABLE ... ENABLE/DISABLE [REPLICA|ALWAYS] TRIGGER``: ``origin`` is the default.
    """

    name: str
    function: QualifiedName
    timing: Literal["before", "after", "instead of"]
    events: tuple[Literal["insert", "delete", "update", "truncate"], ...]
    level: Literal["row", "statement"] = "statement"
    arguments: tuple[str, ...] = ()
    update_columns: tuple[str, ...] = ()
    when: str | None = None
    old_table: str | None = None
    new_table: str | None = None
    constraint: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    enabled: TriggerEnabled = "origin"
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""


@frozen
class Policy:
    """A row-level security policy (``CREATE POLICY``).

    ``roles`` are sorted role names (``public`` for PUBLIC); ``using`` and ``with_check`` are
    expressions in the server's spelling.
    """

    name: str
    command: PolicyCommand = "all"
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""


def _sorted_uniques(items: Iterable[UniqueConstraint]) -> tuple[UniqueConstraint, ...]:
    return _by_name(items)


def _sorted_checks(items: Iterable[CheckConstraint]) -> tuple[CheckConstraint, ...]:
    return _by_name(items)


def _sorted_foreign_keys(items: Iterable[ForeignKey]) -> tuple[ForeignKey, ...]:
    return _by_name(items)


def _sorted_exclusions(items: Iterable[ExclusionConstraint]) -> tuple[ExclusionConstraint, ...]:
    return _by_name(items)


def _sorted_indexes(items: Iterable[Index]) -> tuple[Index, ...]:
    return _by_name(items)


def _sorted_triggers(items: Iterable[Trigger]) -> tuple[Trigger, ...]:
    return _by_name(items)


def _sorted_policies(items: Iterable[Policy]) -> tuple[Policy, ...]:
    return _by_name(items)


def _sorted_options(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(items))


def _options(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(items)


_HINTABLE_FIELDS = (
    "columns",
    "uniques",
    "checks",
    "foreign_keys",
    "indexes",
    "exclusions",
    "triggers",
    "policies",
)


@frozen
class Table:
    """A table with its columns, keys, constraints, indexes, triggers and policies.

        Columns keep their declared order; everything named is sorted by name, so that equal
        tables compare equal whatever order they were declared or read in.

        Partitioning: a partitioned table has ``partition_by`` (``pg_get_partkeydef``:
        ``RANGE (payment_date)``); a partition has ``partition_of`` (its parent) and
        ``partition_bound`` (``pg_get_expr`` of ``relpartbound``: ``FOR VALUES FROM (...) TO
        (...)`` or ``DEFAULT``). A partition lists all its columns in its own order (which may
        differ from its parent's), and only what it declares itself: its parent's checks, the
        foreign keys and indexes PostgreSQL clones onto it, and an identity it has from its
        parent are the parent's declarations. ``inherits`` lists the parents of classic
        inheritance, in order; such a child lists only its local columns and checks (what it
        inherits is its parents'). ``options`` are its storage parameters (``fillfactor=70``,
        its TOAST table's as ``toast.autovacuum_enabled=false``), in the order they were set
    (``pg_dump`` prints them so), compared as a set.
    """

    schema: str
    name: str
    columns: tuple[Column, ...] = ()
    primary_key: PrimaryKey | None = None
    uniques: tuple[UniqueConstraint, ...] = attrs.field(default=(), converter=_sorted_uniques)
    checks: tuple[CheckConstraint, ...] = attrs.field(default=(), converter=_sorted_checks)
    foreign_keys: tuple[ForeignKey, ...] = attrs.field(default=(), converter=_sorted_foreign_keys)
    indexes: tuple[Index, ...] = attrs.field(default=(), converter=_sorted_indexes)
    renamed_from: str | None = attrs.field(default=None, eq=False)
    """A rename hint from the model: the old name (never part of equality)."""
    exclusions: tuple[ExclusionConstraint, ...] = attrs.field(
        default=(), converter=_sorted_exclusions
    )
    triggers: tuple[Trigger, ...] = attrs.field(default=(), converter=_sorted_triggers)
    policies: tuple[Policy, ...] = attrs.field(default=(), converter=_sorted_policies)
    rls_enabled: bool = False
    rls_forced: bool = False
    unlogged: bool = False
    options: tuple[str, ...] = attrs.field(default=(), converter=_options, eq=_sorted_options)
    partition_by: str | None = None
    partition_of: QualifiedName | None = None
    partition_bound: str | None = None
    inherits: tuple[QualifiedName, ...] = ()
    index_copies: tuple[Index, ...] = attrs.field(default=(), converter=_sorted_indexes, eq=False)
    """A partition's indexes that are copies of its parent's (attached to them): the parent's
    declarations, so never part of equality; read so that the diff knows what a detached
    partition keeps as its own, under which names."""
    primary_key_copy: PrimaryKey | None = attrs.field(default=None, eq=False)
    """A partition's copy of its parent's primary key (see ``index_copies``)."""
    unique_copies: tuple[UniqueConstraint, ...] = attrs.field(
        default=(), converter=_sorted_uniques, eq=False
    )
    """A partition's copies of its parent's unique constraints (see ``index_copies``)."""

    @functools.cached_property
    def qualified_name(self) -> QualifiedName:
        """The table's schema-qualified name."""
        return QualifiedName(self.schema, self.name)

    @functools.cached_property
    def hinted_fields(self) -> frozenset[str]:
        """The fields (of ``_HINTABLE_FIELDS``) whose items carry a ``renamed_from`` hint: the
        rename stage asks it of every model table at every diff, and a table is immutable."""
        return frozenset(
            field
            for field in _HINTABLE_FIELDS
            if any(item.renamed_from is not None for item in getattr(self, field))
        )

    @functools.cached_property
    def _columns_by_name(self) -> dict[str, Column]:
        return {column.name: column for column in self.columns}

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or ``None``."""
        return self._columns_by_name.get(name)
