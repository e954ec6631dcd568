"""Migration operations: immutable values produced by the diff and consumed by the renderers.

Each operation has a ``type`` string (``"create_table"``), snake_case fields, ``destructive``
(true exactly when running it can delete stored data), ``describe()`` for the plan print-out,
and ``reverse()``: the operation that undoes it, or ``None`` when it cannot be undone because
data is lost (a dropped column's values, an enum value PostgreSQL cannot remove).

Table-level operations carry ``schema_name`` after the fields API.md names. The classes live in
one module per object kind (``schemas``, ``tables``, ``constraints``, ``renames``, ``routines``,
on ``base``);
import them from here.
"""

from __future__ import annotations

from linkgress_async.ops.constraints import (
    AlterConstraint,
    AlterIndexOptions,
    CreateExclusionConstraint,
    DropExclusionConstraint,
)
from linkgress_async.ops.renames import (
    RenameColumn,
    RenameConstraint,
    RenameEnum,
    RenameIndex,
    RenameTable,
)
from linkgress_async.ops.routines import (
    CreateFunction,
    CreateView,
    DropFunction,
    DropView,
)
from linkgress_async.ops.schemas import (
    AddEnumValue,
    AlterSequence,
    CreateEnum,
    CreateSchema,
    CreateSequence,
    DropEnum,
    DropSchema,
    DropSequence,
    EnumColumnUse,
    RebuildEnum,
)
from linkgress_async.ops.tables import (
    AddColumn,
    AddPrimaryKey,
    AlterColumn,
    CreateCheckConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    CreateUniqueConstraint,
    DropCheckConstraint,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    DropUniqueConstraint,
)

__all__ = [
    "AddColumn",
    "AddEnumValue",
    "AddPrimaryKey",
    "AlterColumn",
    "AlterConstraint",
    "AlterIndexOptions",
    "AlterSequence",
    "CreateCheckConstraint",
    "CreateEnum",
    "CreateExclusionConstraint",
    "CreateForeignKey",
    "CreateFunction",
    "CreateIndex",
    "CreateSchema",
    "CreateSequence",
    "CreateTable",
    "CreateUniqueConstraint",
    "CreateView",
    "DropCheckConstraint",
    "DropColumn",
    "DropEnum",
    "DropExclusionConstraint",
    "DropForeignKey",
    "DropFunction",
    "DropIndex",
    "DropPrimaryKey",
    "DropSchema",
    "DropSequence",
    "DropTable",
    "DropUniqueConstraint",
    "DropView",
    "EnumColumnUse",
    "MigrationOperation",
    "RebuildEnum",
    "RenameColumn",
    "RenameConstraint",
    "RenameEnum",
    "RenameIndex",
    "RenameTable",
]

MigrationOperation = (
    CreateSchema
    | DropSchema
    | CreateEnum
    | DropEnum
    | AddEnumValue
    | RebuildEnum
    | CreateSequence
    | DropSequence
    | AlterSequence
    | CreateTable
    | DropTable
    | AddColumn
    | DropColumn
    | AlterColumn
    | AddPrimaryKey
    | DropPrimaryKey
    | CreateUniqueConstraint
    | DropUniqueConstraint
    | CreateCheckConstraint
    | DropCheckConstraint
    | CreateForeignKey
    | DropForeignKey
    | CreateIndex
    | DropIndex
    | CreateExclusionConstraint
    | DropExclusionConstraint
    | AlterConstraint
    | AlterIndexOptions
    | RenameEnum
    | RenameTable
    | RenameColumn
    | RenameIndex
    | RenameConstraint
    | CreateView
    | DropView
    | CreateFunction
    | DropFunction
)
"""Every operation the diff can produce (a closed union: handle it with ``match``)."""
