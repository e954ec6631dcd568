"""Migration operations: immutable values produced by the diff and consumed by the renderers.

Each operation has a ``type`` string (``"create_table"``), snake_case fields, ``destructive``
(true exactly when running it can delete stored data), ``describe()`` for the plan print-out,
and ``reverse()``: the operation that undoes it, or ``None`` when it cannot be undone because
data is lost (a dropped column's values, an enum value PostgreSQL cannot remove).

Table-level operations carry ``schema_name`` after the fields API.md names. The classes live in
one module per object kind (``schemas``, ``tables``, ``table_properties``, ``hierarchy``,
``constraints``, ``renames``, ``routines``, ``types``, ``triggers``, ``policies``,
``attached`` for comments, privileges and owners, on ``base``); import them from here.
"""

from __future__ import annotations

from linkgress_async.ops.attached import (
    AlterOwner,
    GrantPrivileges,
    RevokePrivileges,
    SetComment,
)
from linkgress_async.ops.constraints import (
    AlterConstraint,
    AlterIndexOptions,
    CreateExclusionConstraint,
    DropExclusionConstraint,
)
from linkgress_async.ops.database import SetDatabaseSetting
from linkgress_async.ops.hierarchy import (
    AttachPartition,
    DetachPartition,
    InheritTable,
    NoInheritTable,
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
    AlterViewOptions,
    CreateAggregate,
    CreateFunction,
    CreateMaterializedView,
    CreateView,
    DropAggregate,
    DropFunction,
    DropMaterializedView,
    DropView,
)
from linkgress_async.ops.schemas import (
    AddEnumValue,
    AlterSequence,
    CreateEnum,
    CreateSchema,
    CreateSequence,
    DisownSequence,
    DropEnum,
    DropSchema,
    DropSequence,
    EnumColumnUse,
    RebuildEnum,
    SetSequenceOwner,
)
from linkgress_async.ops.statistics import CreateStatistics, DropStatistics
from linkgress_async.ops.table_properties import (
    ReplaceGeneratedColumn,
    SetTableLogged,
    SetTableOptions,
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
from linkgress_async.ops.types import (
    AddCompositeAttribute,
    AddDomainConstraint,
    AlterCompositeAttribute,
    AlterDomain,
    AlterDomainConstraint,
    AlterExtension,
    CreateCompositeType,
    CreateDomain,
    CreateExtension,
    DomainColumnUse,
    DropCompositeAttribute,
    DropCompositeType,
    DropDomain,
    DropDomainConstraint,
    DropExtension,
    RebuildDomain,
)

__all__ = [
    "AddColumn",
    "AddCompositeAttribute",
    "AddDomainConstraint",
    "AddEnumValue",
    "AddPrimaryKey",
    "AlterColumn",
    "AlterCompositeAttribute",
    "AlterConstraint",
    "AlterDomain",
    "AlterDomainConstraint",
    "AlterExtension",
    "AlterIndexOptions",
    "AlterOwner",
    "AlterPolicy",
    "AlterRowSecurity",
    "AlterSequence",
    "AlterTriggerEnabled",
    "AlterViewOptions",
    "AttachPartition",
    "CreateAggregate",
    "CreateCheckConstraint",
    "CreateCompositeType",
    "CreateDomain",
    "CreateEnum",
    "CreateExclusionConstraint",
    "CreateExtension",
    "CreateForeignKey",
    "CreateFunction",
    "CreateIndex",
    "CreateMaterializedView",
    "CreatePolicy",
    "CreateSchema",
    "CreateSequence",
    "CreateStatistics",
    "CreateTable",
    "CreateTrigger",
    "CreateUniqueConstraint",
    "CreateView",
    "DetachPartition",
    "DisownSequence",
    "DomainColumnUse",
    "DropAggregate",
    "DropCheckConstraint",
    "DropColumn",
    "DropCompositeAttribute",
    "DropCompositeType",
    "DropDomain",
    "DropDomainConstraint",
    "DropEnum",
    "DropExclusionConstraint",
    "DropExtension",
    "DropForeignKey",
    "DropFunction",
    "DropIndex",
    "DropMaterializedView",
    "DropPolicy",
    "DropPrimaryKey",
    "DropSchema",
    "DropSequence",
    "DropStatistics",
    "DropTable",
    "DropTrigger",
    "DropUniqueConstraint",
    "DropView",
    "EnumColumnUse",
    "GrantPrivileges",
    "InheritTable",
    "MigrationOperation",
    "NoInheritTable",
    "RebuildDomain",
    "RebuildEnum",
    "RenameColumn",
    "RenameConstraint",
    "RenameEnum",
    "RenameIndex",
    "RenamePolicy",
    "RenameTable",
    "RenameTrigger",
    "ReplaceGeneratedColumn",
    "RevokePrivileges",
    "SetComment",
    "SetDatabaseSetting",
    "SetSequenceOwner",
    "SetTableLogged",
    "SetTableOptions",
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
    | SetTableOptions
    | SetTableLogged
    | ReplaceGeneratedColumn
    | AttachPartition
    | DetachPartition
    | InheritTable
    | NoInheritTable
    | SetSequenceOwner
    | DisownSequence
    | CreateExtension
    | AlterExtension
    | DropExtension
    | CreateDomain
    | DropDomain
    | AlterDomain
    | AddDomainConstraint
    | DropDomainConstraint
    | AlterDomainConstraint
    | RebuildDomain
    | CreateCompositeType
    | DropCompositeType
    | AddCompositeAttribute
    | DropCompositeAttribute
    | AlterCompositeAttribute
    | AlterViewOptions
    | CreateMaterializedView
    | DropMaterializedView
    | CreateAggregate
    | DropAggregate
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
    | SetDatabaseSetting
    | CreateStatistics
    | DropStatistics
)
"""Every operation the diff can produce (a closed union: handle it with ``match``)."""
