"""What ``ensure_created`` applies besides the creations themselves: the triggers, policies
and row-level security of the tables and views it creates, and the comments, grants and
owners of every object it creates.

An object the plan creates is new, so what the model declares on it is part of creating it.
The ``public`` schema is the one exception to "existing objects are left alone": every
database starts with it, so a model that states its owner, comment or privileges means them
from the start (a pulled model of a database whose ``public`` schema was changed, as
``pg_dump`` output often changes it).

Pure and synchronous: operations in, operations out.
"""

from __future__ import annotations

from collections.abc import Sequence

from linkgress_async.catalog import ObjectRef, Table
from linkgress_async.ops import (
    AlterOwner,
    AlterRowSecurity,
    AlterTriggerEnabled,
    CreateAggregate,
    CreateCompositeType,
    CreateDomain,
    CreateEnum,
    CreateExtension,
    CreateFunction,
    CreateIndex,
    CreateMaterializedView,
    CreatePolicy,
    CreateSchema,
    CreateSequence,
    CreateTable,
    CreateTrigger,
    CreateView,
    GrantPrivileges,
    MigrationOperation,
    RevokePrivileges,
    SetComment,
)

__all__ = ["attached_to_creations"]


_SERIALS = ("smallserial", "serial", "bigserial")


def _implicit_sequences(table: Table) -> set[tuple[str, str]]:
    """The sequences ``CREATE TABLE`` makes for identity and serial columns."""
    found: set[tuple[str, str]] = set()
    for column in table.columns:
        serial = column.data_type in _SERIALS or (column.default or "").startswith("nextval(")
        if column.identity is not None and column.identity.sequence_name is not None:
            found.add((table.schema, column.identity.sequence_name))
        elif column.identity is not None or serial:
            found.add((table.schema, f"{table.name}_{column.name}_seq"))
    return found


def _key_indexes(table: Table) -> set[tuple[str, str]]:
    """The indexes ``CREATE TABLE`` makes for its keys."""
    names = [unique.name for unique in table.uniques]
    names += [exclusion.name for exclusion in table.exclusions]
    if table.primary_key is not None:
        names.append(table.primary_key.name)
    return {(table.schema, name) for name in names}


class _Created:
    """The objects a list of creations makes, by what comments and grants refer to them."""

    def __init__(self, operations: Sequence[MigrationOperation]) -> None:
        self.schemas: set[str] = {"public"}
        self.relations: set[tuple[str, str]] = set()
        self.indexes: set[tuple[str, str]] = set()
        self.types: set[tuple[str, str]] = set()
        self.routines: set[tuple[str, str]] = set()
        self.extensions: set[str] = set()
        for op in operations:
            self._add(op)

    def _add(self, op: MigrationOperation) -> None:
        match op:
            case CreateSchema():
                self.schemas.add(op.schema_name)
            case CreateTable():
                self.relations.add((op.schema_name, op.table_name))
                self.relations |= _implicit_sequences(op.table)
                self.indexes |= _key_indexes(op.table)
            case CreateView() | CreateMaterializedView():
                self.relations.add((op.schema_name, op.view_name))
                for index in getattr(op.view, "indexes", ()):
                    self.indexes.add((op.schema_name, index.name))
            case CreateSequence():
                self.relations.add((op.schema_name, op.sequence_name))
            case CreateIndex():
                self.indexes.add((op.schema_name, op.index_name))
            case CreateEnum():
                self.types.add((op.schema_name, op.enum_name))
            case CreateDomain():
                self.types.add((op.schema_name, op.domain_name))
            case CreateCompositeType():
                self.types.add((op.schema_name, op.type_name))
                self.relations.add((op.schema_name, op.type_name))
            case CreateFunction() if op.previous is None:
                self.routines.add((op.schema_name, op.function_name))
            case CreateAggregate() if op.previous is None:
                self.routines.add((op.schema_name, op.aggregate_name))
            case CreateExtension():
                self.extensions.add(op.extension_name)

    def has(self, ref: ObjectRef) -> bool:
        """Whether ``ref`` is (on) an object these creations make."""
        if ref.schema is None:
            known = self.schemas if ref.kind == "schema" else self.extensions
            return ref.name in known
        name = (ref.schema, ref.name)
        match ref.kind:
            case "index":
                return name in self.indexes
            case "type" | "domain" | "domain_constraint":
                return name in self.types
            case "function" | "procedure" | "aggregate":
                return name in self.routines
            case _:
                return name in self.relations


def attached_to_creations(
    operations: Sequence[MigrationOperation], creations: Sequence[MigrationOperation]
) -> list[MigrationOperation]:
    """The operations of ``operations`` that complete an object ``creations`` make."""
    created = _Created(creations)
    found: list[MigrationOperation] = []
    for op in operations:
        match op:
            case CreateTrigger() | AlterTriggerEnabled() | CreatePolicy() | AlterRowSecurity():
                if (op.schema_name, op.table_name) in created.relations:
                    found.append(op)
            case SetComment() | GrantPrivileges() | RevokePrivileges() | AlterOwner():
                if created.has(op.target):
                    found.append(op)
    return found
