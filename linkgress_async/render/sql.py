"""Operation -> SQL statements.

Pure and synchronous: each operation becomes one or more complete statements. Identifiers go
through :func:`~linkgress_async.render.quote.quote_ident`, values through
:func:`~linkgress_async.render.quote.render_literal`; data types, defaults and expressions are
already SQL (the model's, made canonical by the server) and are inserted as they are.
Changing a column in place is rendered by :mod:`linkgress_async.render.columns`.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence as Seq
from typing import assert_never

from linkgress_async.catalog import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    Sequence,
    Table,
    UniqueConstraint,
)
from linkgress_async.ops import (
    AddColumn,
    AddEnumValue,
    AddPrimaryKey,
    AlterColumn,
    AlterOwner,
    AlterPolicy,
    AlterRowSecurity,
    AlterSequence,
    AlterTriggerEnabled,
    CreateCheckConstraint,
    CreateEnum,
    CreateForeignKey,
    CreateFunction,
    CreateIndex,
    CreatePolicy,
    CreateSchema,
    CreateSequence,
    CreateTable,
    CreateTrigger,
    CreateUniqueConstraint,
    CreateView,
    DropCheckConstraint,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropFunction,
    DropIndex,
    DropPolicy,
    DropPrimaryKey,
    DropSchema,
    DropSequence,
    DropTable,
    DropTrigger,
    DropUniqueConstraint,
    DropView,
    GrantPrivileges,
    MigrationOperation,
    RebuildEnum,
    RenameColumn,
    RenameConstraint,
    RenameEnum,
    RenameIndex,
    RenamePolicy,
    RenameTable,
    RenameTrigger,
    RevokePrivileges,
    SetComment,
)
from linkgress_async.render.columns import (
    alter_column_sql,
    alter_table,
    identity_clause,
    rename_owned_sequence,
    sequence_options,
)
from linkgress_async.render.quote import qualified, quote_ident, render_literal
from linkgress_async.render.security_sql import security_sql

__all__ = [
    "column_definition",
    "operation_sql",
    "plan_sql",
    "table_definition",
    "validate_constraint_sql",
]


def _names(names: Iterable[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)


def column_definition(column: Column) -> str:
    """``"name" type [NOT NULL] [DEFAULT ...] [GENERATED ... AS IDENTITY]``."""
    parts = [quote_ident(column.name), column.data_type]
    if column.identity is not None:
        parts.append(identity_clause(column.identity))
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if not column.nullable:
        parts.append("NOT NULL")
    return " ".join(parts)


def _primary_key(pk: PrimaryKey) -> str:
    return f"CONSTRAINT {quote_ident(pk.name)} PRIMARY KEY ({_names(pk.columns)})"


def _unique(constraint: UniqueConstraint) -> str:
    return f"CONSTRAINT {quote_ident(constraint.name)} UNIQUE ({_names(constraint.columns)})"


def _check(constraint: CheckConstraint) -> str:
    return f"CONSTRAINT {quote_ident(constraint.name)} CHECK ({constraint.expression})"


def _foreign_key(fk: ForeignKey) -> str:
    target = qualified(fk.referenced_table.schema, fk.referenced_table.name)
    return (
        f"CONSTRAINT {quote_ident(fk.name)} FOREIGN KEY ({_names(fk.columns)}) "
        f"REFERENCES {target} ({_names(fk.referenced_columns)}) "
        f"ON DELETE {fk.on_delete.upper()} ON UPDATE {fk.on_update.upper()}"
    )


def table_definition(table: Table) -> str:
    """``CREATE TABLE`` with columns, primary key, unique and check constraints."""
    items = [column_definition(c) for c in table.columns]
    if table.primary_key is not None:
        items.append(_primary_key(table.primary_key))
    items.extend(_unique(u) for u in table.uniques)
    items.extend(_check(c) for c in table.checks)
    body = ",\n    ".join(items)
    return f"CREATE TABLE {qualified(table.schema, table.name)} (\n    {body}\n)"


def _index_element(element: IndexElement) -> str:
    if element.column is not None:
        return quote_ident(element.column)
    return f"({element.expression})"


def index_definition(schema: str, table: str, index: Index, *, concurrently: bool = False) -> str:
    """``CREATE [UNIQUE] INDEX [CONCURRENTLY]`` for ``index`` on ``schema.table``."""
    unique = "UNIQUE " if index.unique else ""
    keys = ", ".join(_index_element(e) for e in index.elements)
    how = "CONCURRENTLY " if concurrently else ""
    text = (
        f"CREATE {unique}INDEX {how}{quote_ident(index.name)} ON {qualified(schema, table)} "
        f"USING {quote_ident(index.method)} ({keys})"
    )
    if index.include:
        text += f" INCLUDE ({_names(index.include)})"
    if index.where is not None:
        text += f" WHERE {index.where}"
    return text


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
            return [table_definition(op.table)]
        case DropTable():
            return [f"DROP TABLE {qualified(op.schema_name, op.table_name)} CASCADE"]
        case AddColumn():
            return [
                alter_table(
                    op.schema_name, op.table_name, f"ADD COLUMN {column_definition(op.column)}"
                )
            ]
        case DropColumn():
            return [
                alter_table(
                    op.schema_name, op.table_name, f"DROP COLUMN {quote_ident(op.column_name)}"
                )
            ]
        case AlterColumn():
            return alter_column_sql(op)
        case AddPrimaryKey():
            return [
                alter_table(op.schema_name, op.table_name, f"ADD {_primary_key(op.constraint)}")
            ]
        case CreateUniqueConstraint():
            return [alter_table(op.schema_name, op.table_name, f"ADD {_unique(op.constraint)}")]
        case CreateCheckConstraint():
            action = f"ADD {_check(op.constraint)}" + (" NOT VALID" if op.not_valid else "")
            return [alter_table(op.schema_name, op.table_name, action)]
        case CreateForeignKey():
            action = f"ADD {_foreign_key(op.constraint)}" + (" NOT VALID" if op.not_valid else "")
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
            # The query is SQL (the user's, or the server's spelling of it), like a default.
            name = qualified(op.schema_name, op.view_name)
            return [f"CREATE VIEW {name} AS {op.view.definition}"]
        case DropView():
            return [f"DROP VIEW {qualified(op.schema_name, op.view_name)}"]
        case CreateFunction():
            verb = "CREATE OR REPLACE FUNCTION" if op.or_replace else "CREATE FUNCTION"
            definition = op.function.definition
            gap = "" if definition.startswith("(") else " "
            return [f"{verb} {qualified(op.schema_name, op.function_name)}{gap}{definition}"]
        case DropFunction():
            name = qualified(op.schema_name, op.function_name)
            # Argument types are the server's spelling; without them the name must be unique.
            arguments = "" if op.identity_args is None else f"({op.identity_args})"
            return [f"DROP FUNCTION {name}{arguments}"]
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
        case _:
            assert_never(op)


def validate_constraint_sql(schema: str, table: str, constraint: str) -> str:
    """``VALIDATE CONSTRAINT``: check the rows a ``NOT VALID`` constraint skipped."""
    return alter_table(schema, table, f"VALIDATE CONSTRAINT {quote_ident(constraint)}")


def plan_sql(operations: Seq[MigrationOperation]) -> list[str]:
    """Every statement of a plan, in order."""
    return [statement for op in operations for statement in operation_sql(op)]
