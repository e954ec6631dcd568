"""Tables: an attrs class each, and a ``with model.entity(Class) as e:`` block that maps it.

The block declares, in this order: the table, its columns (in column order), the primary
key, unique and check constraints, indexes and foreign keys; then, as comments, whatever the
table has that the model builder cannot declare yet (triggers, policies...). A partition is
an entity of its own with all of its columns, and ``is_partition_of`` its parent's class.
"""

from __future__ import annotations

from collections.abc import Callable

from linkgress_async.catalog import Table
from linkgress_async.pulling.code import Expr, Kw, Str, call, comment_lines, statement
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.emit import security
from linkgress_async.pulling.emit.columns import annotation, property_statement
from linkgress_async.pulling.emit.foreign_keys import relationship_statement
from linkgress_async.pulling.emit.keys import (
    check_statement,
    default_unique_name,
    exclusion_statement,
    index_statement,
    primary_key_statement,
    unique_statement,
)
from linkgress_async.pulling.emit.table_kinds import TABLE_FIELDS, table_statements
from linkgress_async.pulling.names import Namespace
from linkgress_async.pulling.undeclared import beyond, describe_value

__all__ = ["emit", "entity_class"]

BODY = " " * 8
BLOCK = " " * 12
_DECLARED = (
    "schema",
    "name",
    "columns",
    "primary_key",
    "uniques",
    "checks",
    "foreign_keys",
    "indexes",
    "triggers",
    "policies",
    "rls_enabled",
    "rls_forced",
    *TABLE_FIELDS,
    "exclusions",
)


def entity_class(ctx: PullContext, table: Table) -> list[str]:
    """The attrs class of ``table``: one typed attribute per column, in column order."""
    attributes = ctx.attributes[table.qualified_name]
    lines = ["@attrs.define", f"class {ctx.classes[table.qualified_name]}:"]
    for column in table.columns:
        lines.append(f"    {attributes[column.name]}: {annotation(ctx, column)}")
    if not table.columns:
        lines.append("    pass")
    return lines


def _plain_unique_columns(table: Table) -> set[str]:
    """Columns whose single-column unique constraint ``.is_unique()`` declares exactly."""
    return {
        unique.columns[0]
        for unique in table.uniques
        if len(unique.columns) == 1
        and unique.name == default_unique_name(table, unique.columns)
        and not beyond(unique, ("name", "columns"))
    }


# Table fields the builder cannot declare yet -> (kind, description of each item)
_TABLE_NOTES: dict[str, tuple[str, Callable[[Table, str], list[str]]]] = {
    "triggers": (
        "trigger",
        lambda t, on: [f"trigger {sql_name(None, x.name)} on {on}" for x in t.triggers],
    ),
    "policies": (
        "policy",
        lambda t, on: [f"policy {sql_name(None, x.name)} on {on}" for x in t.policies],
    ),
    "rls_enabled": ("row level security", lambda t, on: [f"ROW LEVEL SECURITY on {on}"]),
    "rls_forced": ("row level security", lambda t, on: [f"FORCE ROW LEVEL SECURITY on {on}"]),
}


def _table_notes(ctx: PullContext, table: Table) -> None:
    on = sql_name(table.schema, table.name)
    for field in beyond(table, _DECLARED):
        known = _TABLE_NOTES.get(field)
        if known is None:
            value = describe_value(getattr(table, field))
            ctx.note(f"table {field.replace('_', ' ')}", f"{field} {value} of {on}")
            continue
        kind, describe = known
        for description in describe(table, on):
            ctx.note(kind, description)


def _statements(ctx: PullContext, table: Table) -> list[Expr]:
    name = Str(table.name)
    statements: list[Expr] = [call("e.to_table", name, Kw("schema", Str(table.schema)))]
    statements += table_statements(ctx, table)
    key_columns = set(table.primary_key.columns) if table.primary_key is not None else set()
    unique_columns = _plain_unique_columns(table)
    for column in table.columns:
        statements.append(
            property_statement(
                ctx,
                table,
                column,
                key_column=column.name in key_columns,
                unique=column.name in unique_columns,
            )
        )
    if table.primary_key is not None:
        statements.append(primary_key_statement(ctx, table, table.primary_key))
    for unique in table.uniques:
        if not (len(unique.columns) == 1 and unique.columns[0] in unique_columns):
            statements.append(unique_statement(ctx, table, unique))
    statements += [check_statement(ctx, table, check) for check in table.checks]
    statements += [exclusion_statement(ctx, table, x) for x in table.exclusions]
    statements += [index_statement(ctx, table, index) for index in table.indexes]
    navigations = Namespace(ctx.attributes[table.qualified_name].values())
    for key in table.foreign_keys:
        relationship = relationship_statement(ctx, table, key, navigations)
        if relationship is not None:
            statements.append(relationship)
    return statements + security.table_statements(ctx, table)


def _block(ctx: PullContext, table: Table) -> list[str]:
    first_note = len(ctx.undeclared)
    lines = [f"{BODY}with model.entity({ctx.classes[table.qualified_name]}) as e:"]
    for expr in _statements(ctx, table):
        lines += statement(expr, BLOCK)
    _table_notes(ctx, table)
    for item in ctx.undeclared[first_note:]:
        lines += comment_lines(item.comment, BLOCK)
    return lines


def emit(ctx: PullContext) -> list[str]:
    """The ``with model.entity(...)`` block of every declared table;
    the classes go to ``ctx.class_sources``."""
    lines: list[str] = []
    for table in ctx.catalog.tables:
        if table.qualified_name not in ctx.classes:
            continue
        if lines:
            lines.append("")
        lines += _block(ctx, table)
        ctx.class_sources.append(entity_class(ctx, table))
    return lines
