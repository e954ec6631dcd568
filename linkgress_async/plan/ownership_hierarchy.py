"""Ownership for tables in a hierarchy and for sequences owned by a column.

Pure and synchronous; :func:`linkgress_async.plan.ownership.split_unmanaged` calls these once it
knows which undeclared tables and sequences it keeps. A kept table must survive what the rest
of the plan does to the tables it inherits from:

* dropping a parent drops its partitions and (``CASCADE``) its classic children, so the
  parent of a kept table is kept too;
* dropping a column from a parent drops it from the tables that inherit it: from a classic
  parent the drop becomes ``ALTER TABLE ONLY``, so the kept children keep the column and its
  values; a partition cannot differ from its parent, so the drop says which kept partitions
  lose the column.

A kept sequence keeps its owner: releasing it (``OWNED BY NONE``) is part of dropping it,
unless the plan drops the owning column, which would take the sequence along.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from linkgress_async.catalog import QualifiedName, Table
from linkgress_async.ops import (
    DisownSequence,
    DropColumn,
    DropSequence,
    DropTable,
    MigrationOperation,
)

__all__ = ["keep_hierarchies", "keep_owned_sequences"]


def _parents(table: Table) -> tuple[QualifiedName, ...]:
    return (table.partition_of,) if table.partition_of is not None else table.inherits


def keep_hierarchies(
    operations: Sequence[MigrationOperation], kept_tables: list[Table]
) -> tuple[list[MigrationOperation], list[tuple[DropTable, QualifiedName]]]:
    """``operations`` without what would take a kept table along, and the drops of parents
    withheld for that, each with the kept table it is withheld for (``kept_tables`` grows
    with those parents)."""
    withheld: list[tuple[DropTable, QualifiedName]] = []
    if not any(_parents(t) for t in kept_tables):
        return list(operations), withheld
    remaining = list(operations)
    kept = {t.qualified_name: t for t in kept_tables}
    grew = True
    while grew:
        grew = False
        parents = {p: child for child, t in kept.items() for p in _parents(t)}
        for op in list(remaining):
            if not isinstance(op, DropTable) or op.recreated or op.table is None:
                continue
            name = QualifiedName(op.schema_name, op.table_name)
            child = parents.get(name)
            if child is None:
                continue
            remaining.remove(op)
            kept[name] = op.table
            kept_tables.append(op.table)
            withheld.append((op, child))
            grew = True
    spared = [_sparing(op, kept) if isinstance(op, DropColumn) else op for op in remaining]
    return spared, withheld


def _sparing(op: DropColumn, kept: dict[QualifiedName, Table]) -> DropColumn:
    """``op`` made to spare the kept tables that inherit its column."""
    if op.only:
        return op
    parent = QualifiedName(op.schema_name, op.table_name)
    losing = [
        name
        for name, table in kept.items()
        if parent in _parents(table) and table.column(op.column_name) is None
    ]
    partitions = [
        name
        for name, table in kept.items()
        if table.partition_of == parent and table.column(op.column_name) is not None
    ]
    if partitions:
        heirs = tuple(dict.fromkeys((*op.inheritors, *sorted(partitions))))
        return attrs.evolve(op, inheritors=heirs)
    if losing:
        return attrs.evolve(op, only=True, inheritors=())
    return op


def keep_owned_sequences(
    operations: Sequence[MigrationOperation], withheld: Sequence[MigrationOperation]
) -> list[MigrationOperation]:
    """``operations`` without releasing the kept sequences from their owners, unless the
    plan drops the owner (the release then keeps the sequence from going along)."""
    kept = {(op.schema_name, op.sequence_name) for op in withheld if isinstance(op, DropSequence)}
    if not kept:
        return list(operations)
    dropped_tables = {
        QualifiedName(op.schema_name, op.table_name)
        for op in operations
        if isinstance(op, DropTable)
    }
    dropped_columns = {
        (QualifiedName(op.schema_name, op.table_name), op.column_name)
        for op in operations
        if isinstance(op, DropColumn)
    }

    def needed(op: DisownSequence) -> bool:
        if (op.schema_name, op.sequence_name) not in kept:
            return True
        table, _column = op.previous
        return table in dropped_tables or op.previous in dropped_columns

    return [op for op in operations if not isinstance(op, DisownSequence) or needed(op)]
