"""Comparators for schemas, enums and standalone sequences."""

from __future__ import annotations

import attrs

from linkgress_async.catalog import Catalog, Enum, QualifiedName
from linkgress_async.diff.context import DiffContext
from linkgress_async.ops import (
    AddEnumValue,
    AlterSequence,
    CreateEnum,
    CreateSchema,
    CreateSequence,
    DisownSequence,
    DropEnum,
    DropSequence,
    EnumColumnUse,
    MigrationOperation,
    RebuildEnum,
    SetSequenceOwner,
)

__all__ = ["diff_enums", "diff_schemas", "diff_sequences"]


def diff_schemas(current: Catalog, target: Catalog) -> list[MigrationOperation]:
    """Create the schemas the target uses that do not exist yet.

    Schemas are never dropped by a migration: a schema the model stops using is no longer
    managed at all (``ensure_deleted`` drops the model's own schemas).
    """
    existing = set(current.schemas)
    return [CreateSchema(name) for name in target.schemas if name not in existing]


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    remaining = iter(long)
    return all(value in remaining for value in short)


def _value_additions(old: Enum, new: Enum) -> list[MigrationOperation]:
    """ADD VALUE operations that turn ``old`` into ``new`` (``old`` is a subsequence)."""
    present = list(old.values)
    operations: list[MigrationOperation] = []
    for position, value in enumerate(new.values):
        if value in present:
            continue
        following = next((v for v in new.values[position + 1 :] if v in present), None)
        preceding = next((v for v in reversed(new.values[:position]) if v in present), None)
        if following is not None:
            operations.append(AddEnumValue(new.name, value, new.schema, before=following))
            present.insert(present.index(following), value)
        else:
            operations.append(AddEnumValue(new.name, value, new.schema, after=preceding))
            present.append(value)
    return operations


def _enum_uses(
    current: Catalog, target: Catalog, enum: Enum, context: DiffContext
) -> tuple[EnumColumnUse, ...]:
    spelled = context.enum_spelling(enum.qualified_name)
    uses: list[EnumColumnUse] = []
    for table in current.tables:
        wanted = target.table(table.schema, table.name)
        if wanted is None:
            continue  # the table is dropped before the enum is rebuilt
        for column in table.columns:
            if column.data_type not in (spelled, spelled + "[]"):
                continue
            new_column = wanted.column(column.name)
            if new_column is None:
                continue  # dropped before the rebuild
            keeps_type = new_column.data_type == column.data_type
            if not keeps_type and not context.castable(column.data_type, new_column.data_type):
                continue  # replaced by drop + add around the rebuild
            # Restore the target's default only where the column keeps this type; otherwise
            # the column's own alteration sets it after the rebuild.
            uses.append(
                EnumColumnUse(
                    table.schema,
                    table.name,
                    column.name,
                    column.data_type.endswith("[]"),
                    new_column.default if keeps_type else None,
                    keeps_type,
                )
            )
    return tuple(uses)


def _uses_added_values(target: Catalog, old: Enum, new: Enum, context: DiffContext) -> bool:
    """Whether the target's defaults, checks or index predicates use a value being added.

    PostgreSQL refuses a value added by ``ALTER TYPE ... ADD VALUE`` until that transaction
    commits, so such an enum is rebuilt instead, which keeps the whole plan in one
    transaction. The target is in the server's spelling (``'v'::schema.enum``, with
    standard_conforming_strings on), so a use of the value is found by that exact text.
    """
    spelled = context.enum_spelling(new.qualified_name)
    literals = [
        "'" + value.replace("'", "''") + "'::" + spelled
        for value in new.values
        if value not in old.values
    ]
    for table in target.tables:
        texts = [c.default for c in table.columns]
        texts += [c.expression for c in table.checks]
        texts += [i.where for i in table.indexes]
        texts += [e.expression for i in table.indexes for e in i.elements]
        for text in texts:
            if text is not None and any(literal in text for literal in literals):
                return True
    return False


def diff_enums(
    current: Catalog, target: Catalog, context: DiffContext
) -> tuple[list[MigrationOperation], set[QualifiedName]]:
    """Enum operations, and the names of enums that are rebuilt."""
    existing = {e.qualified_name: e for e in current.enums}
    wanted = {e.qualified_name: e for e in target.enums}
    operations: list[MigrationOperation] = []
    rebuilt: set[QualifiedName] = set()
    for name, enum in wanted.items():
        old = existing.get(name)
        if old is None:
            operations.append(CreateEnum(enum.name, enum.values, enum.schema))
        elif old.values != enum.values:
            if _is_subsequence(old.values, enum.values) and not _uses_added_values(
                target, old, enum, context
            ):
                operations.extend(_value_additions(old, enum))
            else:
                uses = _enum_uses(current, target, old, context)
                operations.append(
                    RebuildEnum(enum.name, enum.schema, old.values, enum.values, uses)
                )
                rebuilt.add(name)
    for name, enum in existing.items():
        if name not in wanted:
            operations.append(DropEnum(enum.name, enum.schema, enum.values))
    return operations, rebuilt


def diff_sequences(current: Catalog, target: Catalog) -> list[MigrationOperation]:
    """Create, alter and drop standalone sequences, and change which column owns one.

    A sequence leaves its owning column (``OWNED BY NONE``) before anything is dropped, so
    that dropping the column cannot take along a sequence that stays or that the plan drops
    itself; it gets its new owner once the column exists.
    """
    existing = {s.qualified_name: s for s in current.sequences}
    wanted = {s.qualified_name: s for s in target.sequences}
    operations: list[MigrationOperation] = []
    for name, sequence in wanted.items():
        old = existing.get(name)
        schema, sequence_name = sequence.schema, sequence.name
        if old is None:
            operations.append(CreateSequence(sequence_name, schema, sequence))
        elif attrs.evolve(old, owned_by=None) != attrs.evolve(sequence, owned_by=None):
            operations.append(AlterSequence(sequence_name, schema, old, sequence))
        before = None if old is None else old.owned_by
        if before != sequence.owned_by:
            if before is not None:
                operations.append(DisownSequence(sequence_name, schema, before))
            if sequence.owned_by is not None:
                operations.append(SetSequenceOwner(sequence_name, schema, sequence.owned_by))
    for name, sequence in existing.items():
        if name not in wanted:
            if sequence.owned_by is not None:
                operations.append(DisownSequence(sequence.name, sequence.schema, sequence.owned_by))
            operations.append(DropSequence(sequence.name, sequence.schema, sequence))
    return operations
