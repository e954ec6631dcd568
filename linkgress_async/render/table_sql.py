"""SQL of table-wide properties, partitions, inheritance, generated columns and sequence
ownership.

Pure and synchronous, like :mod:`linkgress_async.render.sql`, which dispatches these
operations here. Identifiers go through ``quote_ident``/``qualified``; storage parameter
values through ``render_literal``; partition bounds, partition keys and generation
expressions are the server's own spelling and are inserted as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from linkgress_async.catalog import CheckConstraint, Column, Generated, QualifiedName, Table
from linkgress_async.ops import (
    AttachPartition,
    DetachPartition,
    DisownSequence,
    InheritTable,
    NoInheritTable,
    ReplaceGeneratedColumn,
    SetSequenceOwner,
    SetTableLogged,
    SetTableOptions,
)
from linkgress_async.render.columns import alter_table
from linkgress_async.render.quote import qualified, quote_ident, render_literal

__all__ = ["attach_index_sql", "generated_clause", "table_property_sql", "table_suffix"]

TablePropertyOperation = (
    SetTableOptions
    | SetTableLogged
    | ReplaceGeneratedColumn
    | AttachPartition
    | DetachPartition
    | InheritTable
    | NoInheritTable
    | SetSequenceOwner
    | DisownSequence
)


def generated_clause(generated: Generated) -> str:
    """``GENERATED ALWAYS AS (expression) STORED | VIRTUAL``."""
    return f"GENERATED ALWAYS AS ({generated.expression}) {generated.kind.upper()}"


def _option_name(name: str) -> str:
    # A parameter of the TOAST table is namespaced: toast.autovacuum_enabled.
    return ".".join(quote_ident(part) for part in name.split("."))


def _option(option: str) -> str:
    name, _, value = option.partition("=")
    return f"{_option_name(name)}={render_literal(value)}"


def storage_parameters(options: tuple[str, ...]) -> str:
    """``(name='value', ...)`` of ``name=value`` storage parameters."""
    return "(" + ", ".join(_option(o) for o in options) + ")"


def _table(name: QualifiedName) -> str:
    return qualified(name.schema, name.name)


def table_suffix(table: Table) -> str:
    """What follows the column list of ``CREATE TABLE``: ``INHERITS``, ``PARTITION BY``,
    ``WITH``."""
    text = ""
    if table.inherits:
        text += " INHERITS (" + ", ".join(_table(p) for p in table.inherits) + ")"
    if table.partition_by is not None:
        text += f" PARTITION BY {table.partition_by}"
    if table.options:
        text += f" WITH {storage_parameters(table.options)}"
    return text


def attach_index_sql(parent_index: QualifiedName, index: QualifiedName) -> str:
    """``ALTER INDEX parent ATTACH PARTITION index``: a partition's index joins its parent's."""
    return f"ALTER INDEX {_table(parent_index)} ATTACH PARTITION {_table(index)}"


def _add_check(schema: str, table: str, check: CheckConstraint) -> str:
    action = f"ADD CONSTRAINT {quote_ident(check.name)} CHECK ({check.expression})"
    return alter_table(schema, table, action)


def _owner(owned_by: tuple[QualifiedName, str]) -> str:
    table, column = owned_by
    return f"{_table(table)}.{quote_ident(column)}"


def table_property_sql(
    op: TablePropertyOperation, column_definition: Callable[[Column], str]
) -> list[str]:
    """The statements of one of this module's operations (``column_definition`` renders a
    column for ``ADD COLUMN``)."""
    match op:
        case SetTableOptions():
            statements = []
            if op.set_options:
                action = f"SET {storage_parameters(op.set_options)}"
                statements.append(alter_table(op.schema_name, op.table_name, action))
            if op.reset_names:
                names = ", ".join(_option_name(n) for n in op.reset_names)
                statements.append(alter_table(op.schema_name, op.table_name, f"RESET ({names})"))
            return statements
        case SetTableLogged():
            state = "LOGGED" if op.logged else "UNLOGGED"
            return [alter_table(op.schema_name, op.table_name, f"SET {state}")]
        case ReplaceGeneratedColumn():
            drop = f"DROP COLUMN {quote_ident(op.column_name)}"
            add = f"ADD COLUMN {column_definition(op.to)}"
            return [
                alter_table(op.schema_name, op.table_name, drop),
                alter_table(op.schema_name, op.table_name, add),
            ]
        case AttachPartition():
            statements = [_add_check(op.schema_name, op.table_name, c) for c in op.parent_checks]
            partition = qualified(op.schema_name, op.table_name)
            statements.append(
                f"ALTER TABLE {_table(op.parent)} ATTACH PARTITION {partition} {op.bound}"
            )
            return statements
        case DetachPartition():
            partition = qualified(op.schema_name, op.table_name)
            return [f"ALTER TABLE {_table(op.parent)} DETACH PARTITION {partition}"]
        case InheritTable():
            statements = [
                alter_table(op.schema_name, op.table_name, f"ADD COLUMN {column_definition(c)}")
                for c in op.add_columns
            ]
            statements += [_add_check(op.schema_name, op.table_name, c) for c in op.add_checks]
            statements.append(
                alter_table(op.schema_name, op.table_name, f"INHERIT {_table(op.parent)}")
            )
            return statements
        case NoInheritTable():
            return [alter_table(op.schema_name, op.table_name, f"NO INHERIT {_table(op.parent)}")]
        case SetSequenceOwner():
            sequence = qualified(op.schema_name, op.sequence_name)
            return [f"ALTER SEQUENCE {sequence} OWNED BY {_owner(op.owned_by)}"]
        case DisownSequence():
            return [f"ALTER SEQUENCE {qualified(op.schema_name, op.sequence_name)} OWNED BY NONE"]
        case _:
            assert_never(op)
