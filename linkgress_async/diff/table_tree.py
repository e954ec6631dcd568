"""A catalog's tables as a hierarchy, and what a parent's column changes do to its heirs.

Pure and synchronous; :mod:`.hierarchy` builds on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    ForeignKey,
    QualifiedName,
    Table,
    storage_type,
)

__all__ = ["TableTree", "parents_of", "passed_down"]


def parents_of(table: Table) -> tuple[QualifiedName, ...]:
    return (table.partition_of,) if table.partition_of is not None else table.inherits


class TableTree:
    """One catalog's tables with their parents and children, and their full column sets."""

    def __init__(self, catalog: Catalog) -> None:
        self.tables = {t.qualified_name: t for t in catalog.tables}
        self.children: dict[QualifiedName, list[QualifiedName]] = {}
        for name, table in self.tables.items():
            for parent in parents_of(table):
                self.children.setdefault(parent, []).append(name)
        self._full: dict[QualifiedName, dict[str, Column]] = {}
        self._checks: dict[QualifiedName, dict[str, CheckConstraint]] = {}

    def full_columns(self, name: QualifiedName) -> dict[str, Column]:
        """Every column of the table, inherited ones included, by name."""
        found = self._full.get(name)
        if found is None:
            table = self.tables.get(name)
            found = {} if table is None else {c.name: c for c in table.columns}
            self._full[name] = found  # a cycle (never in a real catalog) ends here
            if table is not None:
                for parent in table.inherits:
                    for column_name, column in self.full_columns(parent).items():
                        found.setdefault(column_name, column)
        return found

    def inherited_checks(self, name: QualifiedName) -> dict[str, CheckConstraint]:
        """The checks the table's parents pass on to it, by name (theirs and their parents')."""
        found = self._checks.get(name)
        if found is None:
            found = self._checks[name] = {}
            table = self.tables.get(name)
            for parent in () if table is None else parents_of(table):
                parent_table = self.tables.get(parent)
                if parent_table is None:
                    continue
                for check in parent_table.checks:
                    if not check.no_inherit:
                        found.setdefault(check.name, check)
                for check_name, check in self.inherited_checks(parent).items():
                    found.setdefault(check_name, check)
        return found

    def partition_ancestors(self, name: QualifiedName) -> list[Table]:
        """A partition's parent, its parent's parent, and so on."""
        found: list[Table] = []
        table = self.tables.get(name)
        while table is not None and table.partition_of is not None:
            table = self.tables.get(table.partition_of)
            if table is not None:
                found.append(table)
        return found

    def ancestors_foreign_keys(self, name: QualifiedName) -> list[ForeignKey]:
        """The foreign keys of a partition's parents, which PostgreSQL clones onto it."""
        return [key for table in self.partition_ancestors(name) for key in table.foreign_keys]

    def depths(self) -> dict[QualifiedName, int]:
        depth: dict[QualifiedName, int] = {}

        def of(name: QualifiedName, seen: frozenset[QualifiedName]) -> int:
            if name in depth:
                return depth[name]
            table = self.tables.get(name)
            parents = [] if table is None else [p for p in parents_of(table) if p not in seen]
            value = 1 + max((of(p, seen | {name}) for p in parents), default=-1)
            depth[name] = value
            return value

        for name in self.tables:
            of(name, frozenset())
        return depth


def passed_down(
    columns: Iterable[Column],
    before: Mapping[str, Column],
    after: Mapping[str, Column],
    *,
    partition: bool,
) -> list[Column]:
    """A child's columns once its parent's columns go from ``before`` to ``after``.

    A partition has every column of its parent: added ones arrive at its end, dropped ones
    leave. A classic child lists only its own columns: those it shares with the parent take
    the parent's changes, and keep their values when the parent drops them.
    """
    result: list[Column] = []
    for column in columns:
        old, new = before.get(column.name), after.get(column.name)
        if old is None or old == new:
            result.append(column)
        elif new is None:
            if not partition:
                result.append(column)
        else:
            result.append(_changed(column, old, new, partition=partition))
    if partition:
        have = {c.name for c in result}
        for column_name, column in after.items():
            if column_name not in before and column_name not in have:
                # A partition's identity is its parent's (PostgreSQL 17+): not its own.
                default = None if _is_serial(column) else column.default
                data_type = storage_type(column.data_type)
                result.append(
                    attrs.evolve(column, data_type=data_type, identity=None, default=default)
                )
    return result


def _changed(child: Column, old: Column, new: Column, *, partition: bool) -> Column:
    """The child's column after the parent's column went from ``old`` to ``new``."""
    changed = child
    if storage_type(old.data_type) != storage_type(new.data_type):
        changed = attrs.evolve(changed, data_type=storage_type(new.data_type))
    if old.collation != new.collation:
        changed = attrs.evolve(changed, collation=new.collation)
    # A serial default names a sequence only the server knows: left as the child had it.
    if old.default != new.default and not _is_serial(new):
        changed = attrs.evolve(changed, default=new.default)
    if old.nullable != new.nullable:
        changed = attrs.evolve(changed, nullable=new.nullable)
    if old.generated != new.generated:
        changed = attrs.evolve(changed, generated=new.generated)
    if partition and new.identity is not None:
        changed = attrs.evolve(changed, identity=None)
    return changed


def _is_serial(column: Column) -> bool:
    return column.data_type != storage_type(column.data_type)
