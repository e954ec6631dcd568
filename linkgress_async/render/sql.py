"""Operation -> SQL statements.

Pure and synchronous: each operation becomes one or more complete statements. Identifiers go
through :func:`~linkgress_async.render.quote.quote_ident`, values through
:func:`~linkgress_async.render.quote.render_literal`; data types, defaults and expressions are
already SQL (the model's, made canonical by the server) and are inserted as they are.
Changing a column in place is rendered by :mod:`linkgress_async.render.columns`.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq
from typing import assert_never

from linkgress_async.catalog import (
    SERIAL_STORAGE_TYPES,
    Column,
    ExtendedStatistics,
    Sequence,
    Table,
)
from linkgress_async.ops import (
    AddColumn,
    AddCompositeAttribute,
    AddDomainConstraint,
    AddEnumValue,
    AddPrimaryKey,
    AlterColumn,
    AlterCompositeAttribute,
    AlterConstraint,
    AlterDomain,
    AlterDomainConstraint,
    AlterExtension,
    AlterIndexOptions,
    AlterOwner,
    AlterPolicy,
    AlterRowSecurity,
    AlterSequence,
    AlterTriggerEnabled,
    AlterViewOptions,
    AttachPartition,
    CreateAggregate,
    CreateCheckConstraint,
    CreateCompositeType,
    CreateDomain,
    CreateEnum,
    CreateExclusionConstraint,
    CreateExtension,
    CreateForeignKey,
    CreateFunction,
    CreateIndex,
    CreateMaterializedView,
    CreatePolicy,
    CreateSchema,
    CreateSequence,
    CreateStatistics,
    CreateTable,
    CreateTrigger,
    CreateUniqueConstraint,
    CreateView,
    DetachPartition,
    DisownSequence,
    DropAggregate,
    DropCheckConstraint,
    DropColumn,
    DropCompositeAttribute,
    DropCompositeType,
    DropDomain,
    DropDomainConstraint,
    DropEnum,
    DropExclusionConstraint,
    DropExtension,
    DropForeignKey,
    DropFunction,
    DropIndex,
    DropMaterializedView,
    DropPolicy,
    DropPrimaryKey,
    DropSchema,
    DropSequence,
    DropStatistics,
    DropTable,
    DropTrigger,
    DropUniqueConstraint,
    DropView,
    GrantPrivileges,
    InheritTable,
    MigrationOperation,
    NoInheritTable,
    RebuildDomain,
    RebuildEnum,
    RenameColumn,
    RenameConstraint,
    RenameEnum,
    RenameIndex,
    RenamePolicy,
    RenameTable,
    RenameTrigger,
    ReplaceGeneratedColumn,
    RevokePrivileges,
    SetComment,
    SetDatabaseSetting,
    SetSequenceOwner,
    SetTableLogged,
    SetTableOptions,
)
from linkgress_async.render.columns import (
    alter_column_sql,
    alter_table,
    collate_clause,
    identity_clause,
    rename_not_null_constraints,
    rename_owned_sequence,
    sequence_options,
)
from linkgress_async.render.constraints_sql import (
    added_constraint,
    check_clause,
    constraint_sql,
    exclusion_clause,
    index_definition,
    primary_key_clause,
    unique_clause,
)
from linkgress_async.render.quote import object_name, qualified, quote_ident, render_literal
from linkgress_async.render.reparse import stable_sql
from linkgress_async.render.routines_sql import (
    options_clause,
    routine_operation_sql,
)
from linkgress_async.render.security_sql import security_sql
from linkgress_async.render.table_sql import generated_clause, table_property_sql, table_suffix
from linkgress_async.render.types_sql import type_operation_sql

__all__ = [
    "column_definition",
    "index_definition",
    "operation_sql",
    "plan_sql",
    "table_definition",
    "validate_constraint_sql",
]


def column_definition(column: Column) -> str:
    """``"name" type [COLLATE ...] [GENERATED ...] [DEFAULT ...] [NOT NULL]``."""
    parts = [quote_ident(column.name), column.data_type]
    if column.collation is not None:
        parts.append(collate_clause(column.collation).lstrip())
    if column.generated is not None:
        parts.append(generated_clause(column.generated))
    if column.identity is not None:
        parts.append(identity_clause(column.identity, column.data_type))
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if not column.nullable:
        if column.not_null_name is not None:
            parts.append(f"CONSTRAINT {quote_ident(column.not_null_name)}")
        parts.append("NOT NULL")
    return " ".join(parts)


def table_definition(table: Table) -> str:
    """``CREATE [UNLOGGED] TABLE`` with columns, primary key, unique, exclusion and check
    constraints, ``INHERITS``, ``PARTITION BY`` and storage parameters.

    ``NOT VALID`` checks are left out: ``CREATE TABLE`` would validate them; the diff adds
    them with their own ``ALTER TABLE``. A partition is created as a table of its own and
    attached to its parent later in the plan (:class:`~linkgress_async.ops.AttachPartition`),
    as ``pg_dump`` does: that keeps its own column order, which ``PARTITION OF`` would
    replace with the parent's.
    """
    items = [column_definition(c) for c in table.columns]
    if table.primary_key is not None:
        items.append(primary_key_clause(table.primary_key))
    items.extend(unique_clause(u) for u in table.uniques)
    items.extend(exclusion_clause(x) for x in table.exclusions)
    items.extend(check_clause(c) for c in table.checks if not c.not_valid)
    body = ",\n    ".join(items)
    kind = "UNLOGGED TABLE" if table.unlogged else "TABLE"
    text = f"CREATE {kind} {qualified(table.schema, table.name)} (\n    {body}\n)"
    return text + table_suffix(table)


def _nullable_serials(table: Table | AddColumn, columns: tuple[Column, ...]) -> list[str]:
    """``DROP NOT NULL`` for the serial columns that allow NULL: ``serial`` makes a column
    NOT NULL, and no column option says otherwise."""
    schema, name = (
        (table.schema_name, table.table_name)
        if isinstance(table, AddColumn)
        else (table.schema, table.name)
    )
    return [
        alter_table(schema, name, f"ALTER COLUMN {quote_ident(column.name)} DROP NOT NULL")
        for column in columns
        if column.nullable and column.data_type in SERIAL_STORAGE_TYPES
    ]


def _sequence_as(sequence: Sequence) -> str:
    return f"AS {sequence.data_type} {sequence_options(sequence.options)}"


def _rebuild_enum(op: RebuildEnum) -> list[str]:
    # The old type is renamed out of the way so the new one can take its name.
    old_name = ("__old_" + op.enum_name) if len(op.enum_name.encode()) <= 57 else "__old_enum"
    type_name = qualified(op.schema_name, op.enum_name)
    labels = ", ".join(render_literal(v) for v in op.to_values)
    statements = [
        f"ALTER TYPE {type_name} RENAME TO {quote_ident(old_name)}",
        f"CREATE TYPE {type_name} AS ENUM ({labels})",
    ]
    for use in op.columns:
        column = quote_ident(use.column_name)
        target, via = (f"{type_name}[]", "text[]") if use.is_array else (type_name, "text")
        if not use.keeps_type:
            # The column changes to another type later in the plan; park it as text.
            target = via
        prefix = f"ALTER COLUMN {column}"
        if use.default is not None:
            statements.append(
                alter_table(use.schema_name, use.table_name, f"{prefix} DROP DEFAULT")
            )
        statements.append(
            alter_table(
                use.schema_name,
                use.table_name,
                f"{prefix} TYPE {target} USING {column}::{via}::{target}",
            )
        )
        if use.default is not None:
            statements.append(
                alter_table(use.schema_name, use.table_name, f"{prefix} SET DEFAULT {use.default}")
            )
    statements.append(f"DROP TYPE {qualified(op.schema_name, old_name)}")
    return statements


def _rename_table(op: RenameTable) -> list[str]:
    statements = [
        alter_table(op.schema_name, op.table_name, f"RENAME TO {quote_ident(op.new_name)}")
    ]
    statements.extend(
        rename_owned_sequence(op.schema_name, op.new_name, column) for column in op.sequence_columns
    )
    not_null = rename_not_null_constraints(
        op.schema_name,
        op.new_name,
        [
            (
                object_name(op.table_name, column, "not_null"),
                object_name(op.new_name, column, "not_null"),
            )
            for column in op.not_null_columns
        ],
    )
    if not_null is not None:
        statements.append(not_null)
    return statements


def operation_sql(op: MigrationOperation) -> list[str]:
    """The statements that carry out one operation."""
    match op:
        case CreateSchema():
            return [f"CREATE SCHEMA IF NOT EXISTS {quote_ident(op.schema_name)}"]
        case DropSchema():
            return [f"DROP SCHEMA IF EXISTS {quote_ident(op.schema_name)} CASCADE"]
        case CreateEnum():
            labels = ", ".join(render_literal(v) for v in op.values)
            return [f"CREATE TYPE {qualified(op.schema_name, op.enum_name)} AS ENUM ({labels})"]
        case DropEnum():
            return [f"DROP TYPE {qualified(op.schema_name, op.enum_name)}"]
        case AddEnumValue():
            # IF NOT EXISTS: the manager commits a value a later statement uses ahead of the
            # plan, outside the migration lock, so a concurrent migration may add it first.
            text = (
                f"ALTER TYPE {qualified(op.schema_name, op.enum_name)} "
                f"ADD VALUE IF NOT EXISTS {render_literal(op.value)}"
            )
            if op.before is not None:
                text += f" BEFORE {render_literal(op.before)}"
            elif op.after is not None:
                text += f" AFTER {render_literal(op.after)}"
            return [text]
        case RebuildEnum():
            return _rebuild_enum(op)
        case CreateSequence():
            return [
                f"CREATE SEQUENCE {qualified(op.schema_name, op.sequence_name)} "
                f"{_sequence_as(op.sequence)}"
            ]
        case DropSequence():
            return [f"DROP SEQUENCE {qualified(op.schema_name, op.sequence_name)}"]
        case AlterSequence():
            return [
                f"ALTER SEQUENCE {qualified(op.schema_name, op.sequence_name)} "
                f"{_sequence_as(op.to)}"
            ]
        case CreateTable():
            return [table_definition(op.table), *_nullable_serials(op.table, op.table.columns)]
        case DropTable():
            return [f"DROP TABLE {qualified(op.schema_name, op.table_name)} CASCADE"]
        case AddColumn():
            return [
                alter_table(
                    op.schema_name, op.table_name, f"ADD COLUMN {column_definition(op.column)}"
                ),
                *_nullable_serials(op, (op.column,)),
            ]
        case DropColumn():
            # ONLY: the inheriting tables keep the column, as their own.
            table = ("ONLY " if op.only else "") + qualified(op.schema_name, op.table_name)
            return [f"ALTER TABLE {table} DROP COLUMN {quote_ident(op.column_name)}"]
        case AlterColumn():
            # The generated columns that use it come back once it has its new type.
            regenerated = [
                alter_table(op.schema_name, op.table_name, f"ADD COLUMN {column_definition(c)}")
                for c in (*op.regenerated, *op.added_after)
            ]
            return alter_column_sql(op) + regenerated
        case AddPrimaryKey():
            action = f"ADD {primary_key_clause(op.constraint)}"
            return [alter_table(op.schema_name, op.table_name, action)]
        case CreateUniqueConstraint():
            action = f"ADD {unique_clause(op.constraint)}"
            return [alter_table(op.schema_name, op.table_name, action)]
        case CreateCheckConstraint() | CreateForeignKey():
            action = added_constraint(op.constraint, not_valid=op.not_valid)
            return [alter_table(op.schema_name, op.table_name, action)]
        case DropPrimaryKey() | DropUniqueConstraint() | DropCheckConstraint() | DropForeignKey():
            action = f"DROP CONSTRAINT {quote_ident(op.constraint_name)}"
            return [alter_table(op.schema_name, op.table_name, action)]
        case CreateIndex():
            return [
                index_definition(
                    op.schema_name, op.table_name, op.index, concurrently=op.concurrently
                )
            ]
        case DropIndex():
            # IF EXISTS when concurrent: it also clears what a failed concurrent build left.
            how = "CONCURRENTLY IF EXISTS " if op.concurrently else ""
            return [f"DROP INDEX {how}{qualified(op.schema_name, op.index_name)}"]
        case RenameEnum():
            return [
                f"ALTER TYPE {qualified(op.schema_name, op.enum_name)} "
                f"RENAME TO {quote_ident(op.new_name)}"
            ]
        case RenameTable():
            return _rename_table(op)
        case RenameColumn():
            action = f"RENAME COLUMN {quote_ident(op.column_name)} TO {quote_ident(op.new_name)}"
            statements = [alter_table(op.schema_name, op.table_name, action)]
            if op.owns_sequence:
                sequence = rename_owned_sequence(op.schema_name, op.table_name, op.new_name)
                statements.append(sequence)
            if op.not_null:
                old_name = object_name(op.table_name, op.column_name, "not_null")
                new_name = object_name(op.table_name, op.new_name, "not_null")
                not_null = rename_not_null_constraints(
                    op.schema_name, op.table_name, [(old_name, new_name)]
                )
                statements.extend([not_null] if not_null is not None else [])
            return statements
        case RenameIndex():
            return [
                f"ALTER INDEX {qualified(op.schema_name, op.index_name)} "
                f"RENAME TO {quote_ident(op.new_name)}"
            ]
        case RenameConstraint():
            action = (
                f"RENAME CONSTRAINT {quote_ident(op.constraint_name)} TO {quote_ident(op.new_name)}"
            )
            return [alter_table(op.schema_name, op.table_name, action)]
        case CreateView():
            # The query is SQL (the user's, or the server's spelling of it), like a default;
            # written so that the server stores what it printed (see render.reparse).
            name = qualified(op.schema_name, op.view_name)
            options = op.view.options
            with_options = f" WITH {options_clause(options)}" if options else ""
            return [f"CREATE VIEW {name}{with_options} AS {stable_sql(op.view.definition)}"]
        case DropView():
            return [f"DROP VIEW {qualified(op.schema_name, op.view_name)}"]
        case CreateFunction():
            kind = op.function.kind.upper()
            verb = f"CREATE OR REPLACE {kind}" if op.or_replace else f"CREATE {kind}"
            definition = op.function.definition
            gap = "" if definition.startswith("(") else " "
            return [f"{verb} {qualified(op.schema_name, op.function_name)}{gap}{definition}"]
        case (
            CreateExclusionConstraint()
            | DropExclusionConstraint()
            | AlterConstraint()
            | AlterIndexOptions()
        ):
            return constraint_sql(op)
        case DropFunction():
            name = qualified(op.schema_name, op.function_name)
            # Argument types are the server's spelling; without them the name must be unique.
            arguments = "" if op.identity_args is None else f"({op.identity_args})"
            return [f"DROP {op.kind.upper()} {name}{arguments}"]
        case (
            SetTableOptions()
            | SetTableLogged()
            | ReplaceGeneratedColumn()
            | AttachPartition()
            | DetachPartition()
            | InheritTable()
            | NoInheritTable()
            | SetSequenceOwner()
            | DisownSequence()
        ):
            return table_property_sql(op, column_definition)
        case (
            CreateExtension()
            | AlterExtension()
            | DropExtension()
            | CreateDomain()
            | DropDomain()
            | AlterDomain()
            | AddDomainConstraint()
            | DropDomainConstraint()
            | AlterDomainConstraint()
            | RebuildDomain()
            | CreateCompositeType()
            | DropCompositeType()
            | AddCompositeAttribute()
            | DropCompositeAttribute()
            | AlterCompositeAttribute()
        ):
            return type_operation_sql(op)
        case (
            AlterViewOptions()
            | CreateMaterializedView()
            | DropMaterializedView()
            | CreateAggregate()
            | DropAggregate()
        ):
            return routine_operation_sql(op)
        case (
            CreateTrigger()
            | DropTrigger()
            | RenameTrigger()
            | AlterTriggerEnabled()
            | AlterRowSecurity()
            | CreatePolicy()
            | DropPolicy()
            | AlterPolicy()
            | RenamePolicy()
            | SetComment()
            | GrantPrivileges()
            | RevokePrivileges()
            | AlterOwner()
        ):
            return security_sql(op)
        case SetDatabaseSetting():
            return [database_setting_sql(op.setting_name, op.value)]
        case CreateStatistics():
            return [create_statistics_sql(op.statistics)]
        case DropStatistics():
            name = qualified(op.statistics.schema, op.statistics.name)
            return [f"DROP STATISTICS IF EXISTS {name}"]
        case _:
            assert_never(op)


def create_statistics_sql(statistics: ExtendedStatistics) -> str:
    """``CREATE STATISTICS name [(kinds)] ON column, (expression) FROM table``."""
    kinds = f" ({', '.join(statistics.kinds)})" if statistics.kinds else ""
    entries = [quote_ident(column) for column in statistics.columns]
    entries += [f"({expression})" for expression in statistics.expressions]
    table = qualified(statistics.table.schema, statistics.table.name)
    name = qualified(statistics.schema, statistics.name)
    return f"CREATE STATISTICS {name}{kinds} ON {', '.join(entries)} FROM {table}"


def database_setting_sql(name: str, value: str | None) -> str:
    """``ALTER DATABASE <current> SET name = value`` (``None``: ``RESET``): the database is
    named by the server, so the statement does not depend on where it runs. ``name`` is
    checked by the model (a parameter name, maybe two-part); both travel as literals."""
    if value is None:
        command = (
            f"format('ALTER DATABASE %I RESET %s', current_database(), {render_literal(name)})"
        )
    else:
        command = (
            "format('ALTER DATABASE %I SET %s = %L', current_database(), "
            f"{render_literal(name)}, {render_literal(value)})"
        )
    return f"DO $linkgress_setting$ BEGIN EXECUTE {command}; END $linkgress_setting$"


def validate_constraint_sql(schema: str, table: str, constraint: str) -> str:
    """``VALIDATE CONSTRAINT``: check the rows a ``NOT VALID`` constraint skipped."""
    return alter_table(schema, table, f"VALIDATE CONSTRAINT {quote_ident(constraint)}")


def plan_sql(operations: Seq[MigrationOperation]) -> list[str]:
    """Every statement of a plan, in order."""
    return [statement for op in operations for statement in operation_sql(op)]
