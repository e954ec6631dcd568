"""A table's primary key, unique and check constraints and indexes."""

from __future__ import annotations

from collections.abc import Sequence

from linkgress_async.catalog import (
    CheckConstraint,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
)
from linkgress_async.pulling.code import Expr, Kw, ListOf, Name, Str, call
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.undeclared import beyond, describe_value

__all__ = [
    "check_statement",
    "default_unique_name",
    "flag_text",
    "index_statement",
    "primary_key_statement",
    "unique_statement",
]


def _columns(ctx: PullContext, table: Table, columns: Sequence[str]) -> Expr:
    """One property name, or a list of them (the builder takes either)."""
    attributes = ctx.attributes[table.qualified_name]
    names = [Str(attributes[column]) for column in columns]
    return names[0] if len(names) == 1 else ListOf(tuple(names))


def flag_text(field: str, value: object) -> str:
    """A constraint or index option as SQL writes it: ``DEFERRABLE``, ``NOT ENFORCED``,
    ``INCLUDE (a, b)``."""
    words = field.replace("_", " ").upper()
    if value is True:
        return words
    if value is False:
        return f"NOT {words}"
    if isinstance(value, tuple):
        return f"{words} ({describe_value(value)})"
    return f"{words} {describe_value(value)}"


def _flags(
    ctx: PullContext, value: object, declared: tuple[str, ...], kind: str, where: str
) -> None:
    for field in beyond(value, declared):
        text = flag_text(field, getattr(value, field))
        ctx.note(f"{kind} {field.replace('_', ' ')}", f"{text} of {where}")


def default_unique_name(table: Table, columns: Sequence[str]) -> str:
    """The name the builder gives a unique constraint on ``columns`` by default."""
    return f"{table.name}_{'_'.join(columns)}_key"


def primary_key_statement(ctx: PullContext, table: Table, key: PrimaryKey) -> Expr:
    """``e.has_primary_key(columns[, name=...])``."""
    arguments: list[Expr | Kw] = [_columns(ctx, table, key.columns)]
    if key.name != f"{table.name}_pkey":
        arguments.append(Kw("name", Str(key.name)))
    where = f"primary key {sql_name(None, key.name)} on {sql_name(table.schema, table.name)}"
    _flags(ctx, key, ("name", "columns"), "primary key", where)
    return call("e.has_primary_key", *arguments)


def unique_statement(ctx: PullContext, table: Table, unique: UniqueConstraint) -> Expr:
    """``e.has_unique(name, columns)``."""
    on = sql_name(table.schema, table.name)
    where = f"unique constraint {sql_name(None, unique.name)} on {on}"
    _flags(ctx, unique, ("name", "columns"), "unique constraint", where)
    return call("e.has_unique", Str(unique.name), _columns(ctx, table, unique.columns))


def check_statement(ctx: PullContext, table: Table, check: CheckConstraint) -> Expr:
    """``e.has_check(name, expression)``."""
    on = sql_name(table.schema, table.name)
    where = f"check constraint {sql_name(None, check.name)} on {on}"
    _flags(ctx, check, ("name", "expression"), "check constraint", where)
    return call("e.has_check", Str(check.name), Str(check.expression, sql=True))


def _key_option(element: IndexElement, field: str) -> str:
    match field:
        case "collation":
            return f"COLLATE {element.collation}"
        case "opclass":
            return f"operator class {element.opclass}"
        case "opclass_options":
            return f"operator class options ({', '.join(element.opclass_options)})"
        case "descending":
            return "DESC"
        case "nulls_first":
            return "NULLS FIRST" if element.nulls_first else "NULLS LAST"
        case _:
            return flag_text(field, getattr(element, field))


def _element(ctx: PullContext, table: Table, element: IndexElement, where: str) -> Expr:
    key = element.column if element.column is not None else element.expression
    for field in beyond(element, ("column", "expression")):
        option = _key_option(element, field)
        ctx.note(f"index key {field.replace('_', ' ')}", f"{option} of key {key} of {where}")
    if element.column is not None:
        return Str(ctx.attributes[table.qualified_name][element.column])
    assert element.expression is not None
    return call("sql", Str(element.expression, sql=True))


def index_statement(ctx: PullContext, table: Table, index: Index) -> Expr:
    """``e.has_index(name, [columns or sql(...)], unique=, method=, where=, include=)``."""
    where = f"index {sql_name(None, index.name)} on {sql_name(table.schema, table.name)}"
    elements = tuple(_element(ctx, table, element, where) for element in index.elements)
    arguments: list[Expr | Kw] = [Str(index.name), ListOf(elements)]
    if index.unique:
        arguments.append(Kw("unique", Name("True")))
    if index.method != "btree":
        arguments.append(Kw("method", Str(index.method)))
    if index.where is not None:
        arguments.append(Kw("where", Str(index.where, sql=True)))
    if index.include:
        attributes = ctx.attributes[table.qualified_name]
        arguments.append(Kw("include", ListOf(tuple(Str(attributes[c]) for c in index.include))))
    declared = ("name", "elements", "unique", "method", "where", "include")
    _flags(ctx, index, declared, "index", where)
    return call("e.has_index", *arguments)
