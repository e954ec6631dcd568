"""What ``ensure_created`` and ``ensure_deleted`` apply of a plan, and in which order.

Pure and synchronous, split from :mod:`linkgress_async.manager`.
"""

from __future__ import annotations

from collections.abc import Sequence

from linkgress_async.catalog import Catalog, QualifiedName, Table
from linkgress_async.diff.routines import routine_creations
from linkgress_async.ops import (
    AttachPartition,
    CreateCheckConstraint,
    CreateCompositeType,
    CreateDomain,
    CreateEnum,
    CreateExtension,
    CreateForeignKey,
    CreateIndex,
    CreateSchema,
    CreateSequence,
    CreateStatistics,
    CreateTable,
    DisownSequence,
    MigrationOperation,
    SetDatabaseSetting,
    SetSequenceOwner,
)
from linkgress_async.plan.lifecycle_attached import attached_to_creations

__all__ = ["children_first", "creation_operations", "released_sequences"]


def creation_operations(operations: Sequence[MigrationOperation]) -> list[MigrationOperation]:
    """What ensure_created applies: missing objects, and the keys, indexes and NOT VALID
    checks of new tables (new partitions attached to their parents, new sequences given
    their owners), and what completes a new object (see
    :mod:`linkgress_async.plan.lifecycle_attached`)."""
    new_tables = {
        (op.schema_name, op.table_name) for op in operations if isinstance(op, CreateTable)
    }
    new_sequences = {
        (op.schema_name, op.sequence_name) for op in operations if isinstance(op, CreateSequence)
    }
    routines = {id(op) for op in routine_creations(operations)}
    creations = [
        op
        for op in operations
        if isinstance(
            op,
            CreateSchema
            | CreateExtension
            | CreateEnum
            | CreateDomain
            | CreateCompositeType
            | CreateSequence
            | CreateTable,
        )
        or (
            isinstance(op, CreateForeignKey | CreateIndex | CreateCheckConstraint | AttachPartition)
            and (op.schema_name, op.table_name) in new_tables
        )
        or (
            isinstance(op, SetSequenceOwner) and (op.schema_name, op.sequence_name) in new_sequences
        )
        or id(op) in routines
        # A declared database setting the database lacks; one it holds otherwise is changed
        # by migrate() only.
        or (isinstance(op, SetDatabaseSetting) and op.previous is None)
        or (
            isinstance(op, CreateStatistics)
            and (op.statistics.table.schema, op.statistics.table.name) in new_tables
        )
    ]
    chosen = {id(op) for op in creations}
    chosen.update(id(op) for op in attached_to_creations(operations, creations))
    return [op for op in operations if id(op) in chosen]


def children_first(tables: Sequence[Table]) -> list[Table]:
    """``tables`` with partitions and inheriting tables before their parents: dropping a
    parent takes them along, so their own drop must come first."""
    by_name = {t.qualified_name: t for t in tables}

    def depth(table: Table, seen: frozenset[QualifiedName] = frozenset()) -> int:
        parents = (table.partition_of,) if table.partition_of is not None else table.inherits
        known = [by_name[p] for p in parents if p in by_name and p not in seen]
        return 1 + max((depth(p, seen | {table.qualified_name}) for p in known), default=-1)

    return sorted(tables, key=lambda t: -depth(t))


def released_sequences(model: Catalog, current: Catalog) -> list[DisownSequence]:
    """``OWNED BY NONE`` for the model's live sequences that a column owns: dropping the
    column's table would take the sequence along before its own drop."""
    live = {s.qualified_name: s for s in current.sequences}
    released: list[DisownSequence] = []
    for sequence in model.sequences:
        found = live.get(sequence.qualified_name)
        if found is not None and found.owned_by is not None:
            released.append(DisownSequence(found.name, found.schema, found.owned_by))
    return released
