"""Possible renames in a plan without hints: a drop and an add of the same shape.

Pure. The manager asks about each candidate only in an interactive session (it never guesses
on its own); an accepted candidate becomes a ``renamed_from`` hint on the target, and the plan
is diffed again, so the result is exactly what the same hint in the model would give.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import attrs
from attrs import frozen

from linkgress_async.catalog import Catalog, Column, Table, storage_type
from linkgress_async.ops import AddColumn, CreateTable, DropColumn, DropTable, MigrationOperation

__all__ = ["RenameCandidate", "rename_candidates", "with_renames"]


@frozen
class RenameCandidate:
    """A table or column that may have been renamed from ``old_name`` to ``new_name``.

    For a column, ``table_name`` is its table; for a table, it is ``old_name``.
    """

    kind: Literal["table", "column"]
    schema_name: str
    table_name: str
    old_name: str
    new_name: str

    def question(self) -> str:
        """The question put to the user."""
        where = "" if self.schema_name == "public" else f"{self.schema_name}."
        if self.kind == "table":
            return f"Did you rename table '{where}{self.old_name}' to '{self.new_name}'?"
        return (
            f"Did you rename column '{where}{self.table_name}.{self.old_name}' "
            f"to '{self.new_name}'?"
        )


def _column_shape(columns: Iterable[Column]) -> tuple[tuple[str, str], ...]:
    return tuple((c.name, storage_type(c.data_type)) for c in columns)


def _pair_up(
    drops: Sequence[tuple[str, object]], adds: Sequence[tuple[str, object]]
) -> list[tuple[str, str]]:
    """(dropped, added) names whose shapes are equal, each name used at most once."""
    pairs: list[tuple[str, str]] = []
    used: set[str] = set()
    for old, old_shape in drops:
        for new, new_shape in adds:
            if new not in used and old_shape == new_shape:
                pairs.append((old, new))
                used.add(new)
                break
    return pairs


def rename_candidates(operations: Sequence[MigrationOperation]) -> list[RenameCandidate]:
    """Drops and adds in ``operations`` that may be renames.

    Tables: a dropped and a created table in one schema with the same columns (names and
    types, in order). Columns: a dropped and an added column of one table with the same type.
    """
    candidates: list[RenameCandidate] = []
    # A table dropped to be created again (its partitioning changes) is no rename.
    dropped_tables = [
        op for op in operations if isinstance(op, DropTable) and op.table and not op.recreated
    ]
    created_tables = [op for op in operations if isinstance(op, CreateTable)]
    for schema in sorted({op.schema_name for op in dropped_tables}):
        drops: list[tuple[str, object]] = [
            (op.table_name, _column_shape(op.table.columns))
            for op in dropped_tables
            if op.schema_name == schema and op.table is not None
        ]
        adds: list[tuple[str, object]] = [
            (op.table_name, _column_shape(op.table.columns))
            for op in created_tables
            if op.schema_name == schema
        ]
        candidates.extend(
            RenameCandidate("table", schema, old, old, new) for old, new in _pair_up(drops, adds)
        )
    dropped_columns = [op for op in operations if isinstance(op, DropColumn) and op.column]
    added_columns = [op for op in operations if isinstance(op, AddColumn)]
    tables = sorted({(op.schema_name, op.table_name) for op in dropped_columns})
    for schema, table in tables:
        # A column dropped and added under one name is a type change, not a rename.
        added_here = {
            op.column_name: op.column
            for op in added_columns
            if (op.schema_name, op.table_name) == (schema, table)
        }
        dropped_here = {
            op.column_name: op.column
            for op in dropped_columns
            if (op.schema_name, op.table_name) == (schema, table) and op.column is not None
        }
        column_drops: list[tuple[str, object]] = [
            (name, storage_type(column.data_type))
            for name, column in dropped_here.items()
            if name not in added_here
        ]
        column_adds: list[tuple[str, object]] = [
            (name, storage_type(column.data_type))
            for name, column in added_here.items()
            if name not in dropped_here
        ]
        candidates.extend(
            RenameCandidate("column", schema, table, old, new)
            for old, new in _pair_up(column_drops, column_adds)
        )
    return candidates


def with_renames(target: Catalog, accepted: Iterable[RenameCandidate]) -> Catalog:
    """``target`` with a ``renamed_from`` hint for each accepted candidate."""
    accepted = list(accepted)
    tables: dict[tuple[str, str], Table] = {(t.schema, t.name): t for t in target.tables}
    renamed_tables: dict[tuple[str, str], str] = {}
    for candidate in accepted:
        if candidate.kind == "table":
            key = (candidate.schema_name, candidate.new_name)
            if key in tables:
                tables[key] = attrs.evolve(tables[key], renamed_from=candidate.old_name)
                renamed_tables[(candidate.schema_name, candidate.old_name)] = candidate.new_name
    for candidate in accepted:
        if candidate.kind != "column":
            continue
        name = renamed_tables.get(
            (candidate.schema_name, candidate.table_name), candidate.table_name
        )
        key = (candidate.schema_name, name)
        table = tables.get(key)
        if table is None:
            continue
        columns = tuple(
            attrs.evolve(c, renamed_from=candidate.old_name) if c.name == candidate.new_name else c
            for c in table.columns
        )
        tables[key] = attrs.evolve(table, columns=columns)
    return attrs.evolve(target, tables=list(tables.values()))
