"""Migration operations: immutable values produced by the diff and consumed by the renderers.

Each operation has a ``type`` string (``"create_table"``), snake_case fields, ``destructive``
(true exactly when running it can delete stored data), ``describe()`` for the plan print-out,
and ``reverse()``: the operation that undoes it, or ``None`` when it cannot be undone because
data is lost (a dropped column's values, an enum value PostgreSQL cannot remove).

Table-level operations carry ``schema_name`` after the fields API.md names. The classes live in
one module per object kind (``schemas``, ``tables``, ``renames``, ``routines``, ``triggers``,
``policies``, ``attached`` for comments, privileges and owners, on ``base``); import them
from here.
"""

from __future__ import annotations

from linkgress_async.ops.attached import (
    AlterOwner,
    GrantPrivileges,
    RevokePrivileges,
    SetComment,
)
from linkgress_async.ops.policies import (
    AlterPolicy,
    AlterRowSecurity,
    CreatePolicy,
    DropPolicy,
    RenamePolicy,
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
from linkgress_async.ops.triggers import (
    AlterTriggerEnabled,
    CreateTrigger,
    DropTrigger,
    RenameTrigger,
)

__all__ = [
    "AddColumn",
    "AddEnumValue",
    "AddPrimaryKey",
    "AlterColumn",
    "AlterOwner",
    "AlterPolicy",
    "AlterRowSecurity",
    "AlterSequence",
    "AlterTriggerEnabled",
    "CreateCheckConstraint",
    "CreateEnum",
    "CreateForeignKey",
    "CreateFunction",
    "CreateIndex",
    "CreatePolicy",
    "CreateSchema",
    "CreateSequence",
    "CreateTable",
    "CreateTrigger",
    "CreateUniqueConstraint",
    "CreateView",
    "DropCheckConstraint",
    "DropColumn",
    "DropEnum",
    "DropForeignKey",
    "DropFunction",
    "DropIndex",
    "DropPolicy",
    "DropPrimaryKey",
    "DropSchema",
    "DropSequence",
    "DropTable",
    "DropTrigger",
    "DropUniqueConstraint",
    "DropView",
    "EnumColumnUse",
    "GrantPrivileges",
    "MigrationOperation",
    "RebuildEnum",
    "RenameColumn",
    "RenameConstraint",
    "RenameEnum",
    "RenameIndex",
    "RenamePolicy",
    "RenameTable",
    "RenameTrigger",
    "RevokePrivileges",
    "SetComment",
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
    | RenameEnum
    | RenameTable
    | RenameColumn
    | RenameIndex
    | RenameConstraint
    | CreateView
    | DropView
    | CreateFunction
    | DropFunction
    | CreateTrigger
    | DropTrigger
    | RenameTrigger
    | AlterTriggerEnabled
    | AlterRowSecurity
    | CreatePolicy
    | DropPolicy
    | AlterPolicy
    | RenamePolicy
    | SetComment
    | GrantPrivileges
    | RevokePrivileges
    | AlterOwner
)
"""Every operation the diff can produce (a closed union: handle it with ``match``)."""
