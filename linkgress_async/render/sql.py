"""Operation -> SQL statements.

Pure and synchronous: each operation becomes one or more complete statements. Identifiers go
through :func:`~linkgress_async.render.quote.quote_ident`, values through
:func:`~linkgress_async.render.quote.render_literal`; data types, defaults and expressions are
already SQL (the model's, made canonical by the server) and are inserted as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from collections.abc import Sequence as Seq
from typing import assert_never

from linkgress_async.catalog import (
    SERIAL_STORAGE_TYPES,
    CheckConstraint,
    Column,
    ForeignKey,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    Sequence,
    SequenceOptions,
    Table,
    UniqueConstraint,
    storage_type,
)
from linkgress_async.ops import (
    AddColumn,
    AddEnumValue,
    AddPrimaryKey,
    AlterColumn,
    AlterSequence,
    CreateCheckConstraint,
    CreateEnum,
    CreateForeignKey,
    CreateFunction,
    CreateIndex,
    CreateSchema,
    CreateSequence,
    CreateTable,
    CreateUniqueConstraint,
    CreateView,
    DropCheckConstraint,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropFunction,
    DropIndex,
    DropPrimaryKey,
    DropSchema,
    DropSequence,
    DropTable,
    DropUniqueConstraint,
    DropView,
    MigrationOperation,
    RebuildEnum,
    RenameColumn,
    RenameConstraint,
    RenameEnum,
    RenameIndex,
    RenameTable,
)
from linkgress_async.render.quote import NAME_MAX_BYTES, qualified, quote_ident, render_literal

__all__ = [
    "column_definition",
    "operation_sql",
    "plan_sql",
    "table_definition",
    "validate_constraint_sql",
]

_LENGTH_LIMITED = re.compile(r"(character varying|character)\(\d+\)((?:\[\])*)")


def _names(names: Iterable[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)


def _sequence_options(options: SequenceOptions) -> str:
    parts = [
        f"INCREMENT BY {options.increment_by}",
        f"MINVALUE {options.min_value}",
        f"MAXVALUE {options.max_value}",
        f"START WITH {options.start_with}",
        f"CACHE {options.cache}",
        "CYCLE" if options.cycle else "NO CYCLE",
    ]
    return " ".join(parts)


def _identity_clause(identity: Identity) -> str:
    kind = "ALWAYS" if identity.always else "BY DEFAULT"
    options = _sequence_options(identity.options)
    if identity.sequence_name is not None:
        options = f"SEQUENCE NAME {quote_ident(identity.sequence_name)} {options}"
    return f"GENERATED {kind} AS IDENTITY ({options})"


def column_definition(column: Column) -> str:
    """``"name" type [NOT NULL] [DEFAULT ...] [GENERATED ... AS IDENTITY]``."""
    parts = [quote_ident(column.name), column.data_type]
    if column.identity is not None:
        parts.append(_identity_clause(column.identity))
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


def _alter_table(schema: str, table: str, action: str) -> str:
    return f"ALTER TABLE {qualified(schema, table)} {action}"


def _sequence_as(sequence: Sequence) -> str:
    return f"AS {sequence.data_type} {_sequence_options(sequence.options)}"


def _using_type(data_type: str) -> str:
    """The type a ``USING`` clause casts to on the way to column type ``data_type``.

    An explicit cast to ``varchar(n)`` or ``char(n)`` cuts longer values short without a
    word; casting to the unlimited type instead leaves the length to the assignment coercion
    ``ALTER COLUMN ... TYPE`` applies to the result, which rejects them, so the plan fails
    rather than lose data.
    """
    match = _LENGTH_LIMITED.fullmatch(data_type)
    if match is None:
        return data_type
    unlimited = "character varying" if match[1] == "character varying" else "bpchar"
    return unlimited + match[2]


_TYPMOD = re.compile(r"\(\d+(?:,\d+)?\)(?=(?:\[\])*$)")


def _using(column: str, old_type: str, new_type: str) -> str:
    """The ``USING`` clause of a type change, or none when only the type modifier changes.

    ``varchar(10)`` to ``varchar(20)`` (or ``numeric(10,2)`` to ``numeric(12,2)``) then goes
    through the type's own length coercion, which PostgreSQL recognises as needing no table
    rewrite; any explicit cast in ``USING`` would make it rewrite the whole table. Values
    that do not fit are rejected the same way either way.
    """
    if _TYPMOD.sub("", old_type) == _TYPMOD.sub("", new_type):
        return ""
    return f" USING {column}::{_using_type(new_type)}"


def _alter_column(op: AlterColumn) -> list[str]:
    """Statements that turn column ``from_`` into ``to`` without losing its values."""
    old, new = op.from_, op.to
    column = quote_ident(op.column_name)

    def alter(action: str) -> str:
        return _alter_table(op.schema_name, op.table_name, f"ALTER COLUMN {column} {action}")

    statements: list[str] = []
    old_serial = old.data_type in SERIAL_STORAGE_TYPES
    new_serial = new.data_type in SERIAL_STORAGE_TYPES
    old_type, new_type = storage_type(old.data_type), storage_type(new.data_type)

    if old.identity is not None and new.identity is None:
        statements.append(alter("DROP IDENTITY"))
    if old_serial and not new_serial:
        # DROP DEFAULT alone would leave the owned sequence behind.
        statements.append(alter("DROP DEFAULT"))
        statements.append(_drop_owned_sequence(op.schema_name, op.table_name, op.column_name))
    elif old.default is not None and (old.default != new.default or old_type != new_type):
        statements.append(alter("DROP DEFAULT"))

    if old_type != new_type:
        statements.append(alter(f"TYPE {new_type}{_using(column, old_type, new_type)}"))
        if old_serial and new_serial:
            # serial -> bigserial: the owned sequence would keep the integer range.
            statements.append(
                _retype_owned_sequence(op.schema_name, op.table_name, op.column_name, new_type)
            )

    if new_serial and not old_serial:
        statements.extend(_make_serial(op.schema_name, op.table_name, op.column_name))
    elif new.default is not None and (old.default != new.default or old_type != new_type):
        statements.append(alter(f"SET DEFAULT {new.default}"))

    # An identity needs NOT NULL in place first; DROP NOT NULL waits until any identity
    # is gone (dropped above).
    if old.nullable and not new.nullable:
        statements.append(alter("SET NOT NULL"))

    if new.identity is not None:
        if old.identity is None:
            statements.append(alter(f"ADD {_identity_clause(new.identity)}"))
            statements.append(
                _continue_after_max(op.schema_name, op.table_name, op.column_name, new.identity)
            )
        elif old.identity != new.identity:
            statements.extend(_alter_identity(alter, old.identity, new.identity))

    if new.nullable and not old.nullable:
        statements.append(alter("DROP NOT NULL"))
    return statements


def _serial_sequence(schema: str, table: str, column: str) -> str:
    # The owned sequence's real name is known only to the server (it may have been made
    # unique or truncated), so it is looked up there rather than guessed.
    target = render_literal(qualified(schema, table))
    return f"pg_get_serial_sequence({target}, {render_literal(column)})"


def _drop_owned_sequence(schema: str, table: str, column: str) -> str:
    body = f"BEGIN EXECUTE 'DROP SEQUENCE ' || {_serial_sequence(schema, table, column)}; END"
    return f"DO {render_literal(body)}"


def _retype_owned_sequence(schema: str, table: str, column: str, data_type: str) -> str:
    sequence = _serial_sequence(schema, table, column)
    body = f"BEGIN EXECUTE 'ALTER SEQUENCE ' || {sequence} || ' AS {data_type}'; END"
    return f"DO {render_literal(body)}"


def _continue_after_max(schema: str, table: str, column: str, identity: Identity) -> str:
    """Move a new identity's sequence past the values the column already holds."""
    col = quote_ident(column)
    start = identity.options.start_with
    if identity.options.increment_by > 0:
        next_value = f"GREATEST(COALESCE(max({col}) + 1, {start}), {start})"
    else:
        next_value = f"LEAST(COALESCE(min({col}) - 1, {start}), {start})"
    return (
        f"SELECT setval({_serial_sequence(schema, table, column)}, {next_value}, false) "
        f"FROM {qualified(schema, table)}"
    )


def _object_name(name1: str, name2: str, label: str) -> str:
    """``{name1}_{name2}_{label}`` shortened to fit, as PostgreSQL's ``makeObjectName`` does.

    The longer of the two names loses a byte at a time until the whole fits in 63 bytes,
    and each is then cut back to a whole character.
    """
    first, second = name1.encode(), name2.encode()
    available = NAME_MAX_BYTES - len(label.encode()) - 2
    keep1, keep2 = len(first), len(second)
    while keep1 + keep2 > available:
        if keep1 > keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    clipped1 = first[:keep1].decode("utf-8", "ignore")
    clipped2 = second[:keep2].decode("utf-8", "ignore")
    return f"{clipped1}_{clipped2}_{label}"


def _make_serial(schema: str, table: str, column: str) -> list[str]:
    # There is no ALTER COLUMN ... TYPE serial: create the owned sequence by hand, named as
    # CREATE TABLE would name it (a plain [:63] slice counts characters, not bytes).
    sequence = qualified(schema, _object_name(table, column, "seq"))
    col = quote_ident(column)
    return [
        f"CREATE SEQUENCE {sequence} OWNED BY {qualified(schema, table)}.{col}",
        _alter_table(
            schema,
            table,
            f"ALTER COLUMN {col} SET DEFAULT nextval({render_literal(sequence)}::regclass)",
        ),
        f"SELECT setval({render_literal(sequence)}::regclass, "
        f"COALESCE(max({col}), 0) + 1, false) FROM {qualified(schema, table)}",
    ]


def _alter_identity(alter: Callable[[str], str], old: Identity, new: Identity) -> list[str]:
    if old.sequence_name != new.sequence_name:
        # A sequence name cannot be changed through ALTER COLUMN: recreate the identity.
        return [alter("DROP IDENTITY"), alter(f"ADD {_identity_clause(new)}")]
    actions: list[str] = []
    if old.always != new.always:
        actions.append("SET GENERATED " + ("ALWAYS" if new.always else "BY DEFAULT"))
    o, n = old.options, new.options
    if o.increment_by != n.increment_by:
        actions.append(f"SET INCREMENT BY {n.increment_by}")
    if o.min_value != n.min_value:
        actions.append(f"SET MINVALUE {n.min_value}")
    if o.max_value != n.max_value:
        actions.append(f"SET MAXVALUE {n.max_value}")
    if o.start_with != n.start_with:
        actions.append(f"SET START WITH {n.start_with}")
    if o.cache != n.cache:
        actions.append(f"SET CACHE {n.cache}")
    if o.cycle != n.cycle:
        actions.append("SET CYCLE" if n.cycle else "SET NO CYCLE")
    return [alter(" ".join(actions))] if actions else []


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
                _alter_table(use.schema_name, use.table_name, f"{prefix} DROP DEFAULT")
            )
        statements.append(
            _alter_table(
                use.schema_name,
                use.table_name,
                f"{prefix} TYPE {target} USING {column}::{via}::{target}",
            )
        )
        if use.default is not None:
            statements.append(
                _alter_table(use.schema_name, use.table_name, f"{prefix} SET DEFAULT {use.default}")
            )
    statements.append(f"DROP TYPE {qualified(op.schema_name, old_name)}")
    return statements


def _rename_table(op: RenameTable) -> list[str]:
    statements = [
        _alter_table(op.schema_name, op.table_name, f"RENAME TO {quote_ident(op.new_name)}")
    ]
    statements.extend(
        _rename_owned_sequence(op.schema_name, op.new_name, column)
        for column in op.sequence_columns
    )
    return statements


def _rename_owned_sequence(schema: str, table: str, column: str) -> str:
    """Give a column's owned sequence the name CREATE TABLE would choose for it now."""
    # The server finds the sequence, whose current name may have been shortened.
    sequence = _serial_sequence(schema, table, column)
    new_name = render_literal(quote_ident(_object_name(table, column, "seq")))
    body = f"BEGIN EXECUTE 'ALTER SEQUENCE ' || {sequence} || ' RENAME TO ' || {new_name}; END"
    return f"DO {render_literal(body)}"


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
                _alter_table(
                    op.schema_name, op.table_name, f"ADD COLUMN {column_definition(op.column)}"
                )
            ]
        case DropColumn():
            return [
                _alter_table(
                    op.schema_name, op.table_name, f"DROP COLUMN {quote_ident(op.column_name)}"
                )
            ]
        case AlterColumn():
            return _alter_column(op)
        case AddPrimaryKey():
            return [
                _alter_table(op.schema_name, op.table_name, f"ADD {_primary_key(op.constraint)}")
            ]
        case CreateUniqueConstraint():
            return [_alter_table(op.schema_name, op.table_name, f"ADD {_unique(op.constraint)}")]
        case CreateCheckConstraint():
            action = f"ADD {_check(op.constraint)}" + (" NOT VALID" if op.not_valid else "")
            return [_alter_table(op.schema_name, op.table_name, action)]
        case CreateForeignKey():
            action = f"ADD {_foreign_key(op.constraint)}" + (" NOT VALID" if op.not_valid else "")
            return [_alter_table(op.schema_name, op.table_name, action)]
        case DropPrimaryKey() | DropUniqueConstraint() | DropCheckConstraint() | DropForeignKey():
            action = f"DROP CONSTRAINT {quote_ident(op.constraint_name)}"
            return [_alter_table(op.schema_name, op.table_name, action)]
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
            statements = [_alter_table(op.schema_name, op.table_name, action)]
            if op.owns_sequence:
                sequence = _rename_owned_sequence(op.schema_name, op.table_name, op.new_name)
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
            return [_alter_table(op.schema_name, op.table_name, action)]
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
        case _:
            assert_never(op)


def validate_constraint_sql(schema: str, table: str, constraint: str) -> str:
    """``VALIDATE CONSTRAINT``: check the rows a ``NOT VALID`` constraint skipped."""
    return _alter_table(schema, table, f"VALIDATE CONSTRAINT {quote_ident(constraint)}")


def plan_sql(operations: Seq[MigrationOperation]) -> list[str]:
    """Every statement of a plan, in order."""
    return [statement for op in operations for statement in operation_sql(op)]
