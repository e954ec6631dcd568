"""What a table is beyond its columns and keys, and what a column is beyond its type and
default: partitioning, the partition's parent and bound, classic inheritance, ``UNLOGGED``,
storage parameters; a column's collation, generation, NOT NULL name and a serial column that
allows NULL. View options too (``WITH (security_barrier=true)``)."""

from __future__ import annotations

import re

from linkgress_async.catalog import Column, Table
from linkgress_async.pulling.code import Attr, DictOf, Expr, Kw, ListOf, Name, Str, call
from linkgress_async.pulling.context import PullContext
from linkgress_async.render.quote import quote_ident

__all__ = [
    "COLUMN_FIELDS",
    "TABLE_FIELDS",
    "column_options",
    "options_value",
    "required_by_name",
    "table_statements",
]

TABLE_FIELDS = (
    "unlogged",
    "options",
    "partition_by",
    "partition_of",
    "partition_bound",
    "inherits",
)
"""The table fields :func:`table_statements` declares."""
COLUMN_FIELDS = ("collation", "generated", "not_null_name")
"""The column fields :func:`column_options` declares."""

_KEY = re.compile(r"(?P<strategy>RANGE|LIST|HASH) \((?P<key>.*)\)", re.S)
_INTEGER = re.compile(r"-?\d+")
_KEYWORD = re.compile(r"[a-z_][a-z0-9_]*")


def _value(text: str) -> Expr:
    """A parameter value as the builder renders it back to the same text."""
    if text in ("true", "false"):
        return Name("True" if text == "true" else "False")
    if _INTEGER.fullmatch(text) and repr(int(text)) == text:
        return Name(text)
    return Str(text)


def options_value(options: tuple[str, ...]) -> list[tuple[str, Expr]]:
    """``name=value`` options as (name, Python value) pairs."""
    pairs: list[tuple[str, Expr]] = []
    for option in options:
        name, _, value = option.partition("=")
        pairs.append((name, _value(value)))
    return pairs


def _storage(options: tuple[str, ...]) -> Expr:
    pairs = options_value(options)
    if all(_KEYWORD.fullmatch(name) for name, _ in pairs):
        return call("e.has_storage_parameters", *(Kw(name, value) for name, value in pairs))
    return call("e.has_storage_parameters", DictOf(tuple((Str(n), v) for n, v in pairs)))


def _partitioning(ctx: PullContext, table: Table, partition_by: str) -> Expr:
    """``has_partitioning("range", "at")`` over properties when the key is plain columns,
    else over the server's text of the key."""
    match = _KEY.fullmatch(partition_by)
    if match is None:  # pragma: no cover - pg_get_partkeydef always starts so
        raise AssertionError(f"unexpected partition key {partition_by!r}")
    strategy, key = match["strategy"].lower(), match["key"]
    attributes = ctx.attributes[table.qualified_name]
    by_spelling = {column.name: column.name for column in table.columns}
    by_spelling |= {quote_ident(column.name): column.name for column in table.columns}
    parts = key.split(", ")
    if all(part in by_spelling for part in parts):
        names = [Str(attributes[by_spelling[part]]) for part in parts]
        columns: Expr = names[0] if len(names) == 1 else ListOf(tuple(names))
        return call("e.has_partitioning", Str(strategy), columns)
    return call("e.has_partitioning", Str(strategy), Kw("expression_sql", Str(key, sql=True)))


def table_statements(ctx: PullContext, table: Table) -> list[Expr]:
    """The statements declaring :data:`TABLE_FIELDS` of ``table`` (after ``to_table``)."""
    statements: list[Expr] = []
    if table.partition_of is not None:
        parent = ctx.classes[table.partition_of]
        bound = table.partition_bound or "DEFAULT"
        statements.append(call("e.is_partition_of", Name(parent), Str(bound, sql=True)))
    if table.inherits:
        statements.append(call("e.inherits", *(Name(ctx.classes[p]) for p in table.inherits)))
    if table.partition_by is not None:
        statements.append(_partitioning(ctx, table, table.partition_by))
    if table.unlogged:
        statements.append(call("e.is_unlogged"))
    if table.options:
        statements.append(_storage(table.options))
    return statements


def required_by_name(column: Column) -> bool:
    """Whether the column's NOT NULL is declared with its constraint's name."""
    return not column.nullable and column.not_null_name is not None


def column_options(expr: Expr, column: Column) -> Expr:
    """``expr`` (a property statement) with :data:`COLUMN_FIELDS` of ``column``."""
    if column.collation is not None:
        expr = call(Attr(expr, "has_collation"), Str(column.collation))
    if required_by_name(column):
        assert column.not_null_name is not None
        expr = call(Attr(expr, "is_required"), Kw("name", Str(column.not_null_name)))
    if column.generated is not None:
        arguments: list[Expr | Kw] = [Str(column.generated.expression, sql=True)]
        if column.generated.kind != "stored":
            arguments.append(Kw("stored", Name("False")))
        expr = call(Attr(expr, "generated_always_as"), *arguments)
    return expr
