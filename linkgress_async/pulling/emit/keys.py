"""A table's primary key, unique, check and exclusion constraints and indexes, with every
option the model builder declares: ``INCLUDE``, ``NULLS NOT DISTINCT``, deferral, storage
parameters, ``WITHOUT OVERLAPS``, ``NOT VALID``, ``NO INHERIT``, ``NOT ENFORCED`` and, per
index key, ``index_key(...)`` with its operator class, collation, order and NULLS place."""

from __future__ import annotations

import re
from collections.abc import Sequence

from linkgress_async.catalog import (
    CheckConstraint,
    ExclusionConstraint,
    Index,
    IndexElement,
    PrimaryKey,
    Table,
    UniqueConstraint,
)
from linkgress_async.pulling.code import DictOf, Expr, Kw, ListOf, Name, Str, call
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.reparse import stable_sql
from linkgress_async.pulling.undeclared import beyond, describe_value

__all__ = [
    "check_statement",
    "default_unique_name",
    "exclusion_statement",
    "flag_text",
    "index_statement",
    "primary_key_statement",
    "storage_options",
    "unique_statement",
]

# What the builder's storage_parameters() takes back unchanged: a name, and a value that is
# a plain word (an integer is written as one, so ruff and readers see a number).
_PARAMETER_NAME = re.compile(r"[a-z_][a-z0-9_.]*")
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _columns(ctx: PullContext, table: Table, columns: Sequence[str]) -> Expr:
    """One property name, or a list of them (the builder takes either)."""
    attributes = ctx.attributes[table.qualified_name]
    names = [Str(attributes[column]) for column in columns]
    return names[0] if len(names) == 1 else ListOf(tuple(names))


def _property_list(ctx: PullContext, table: Table, columns: Sequence[str]) -> Expr:
    attributes = ctx.attributes[table.qualified_name]
    return ListOf(tuple(Str(attributes[column]) for column in columns))


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


def storage_options(options: Sequence[str]) -> DictOf | None:
    """``{"fillfactor": 70, "fastupdate": "off"}`` for storage parameters as the server keeps
    them (``fillfactor=70``), in their order; ``None`` when one is not a plain ``name=value``
    the builder takes (then the caller notes it)."""
    pairs: list[tuple[Expr, Expr]] = []
    for option in options:
        name, equals, value = option.partition("=")
        plain = value and "," not in value and "=" not in value
        if not equals or not _PARAMETER_NAME.fullmatch(name) or not plain:
            return None
        pairs.append((Str(name), Name(value) if _INTEGER.fullmatch(value) else Str(value)))
    return DictOf(tuple(pairs))


def _options(ctx: PullContext, options: Sequence[str], kind: str, where: str) -> list[Kw]:
    if not options:
        return []
    written = storage_options(options)
    if written is None:
        ctx.note(f"{kind} options", f"OPTIONS ({', '.join(options)}) of {where}")
        return []
    return [Kw("options", written)]


def _key_options(
    ctx: PullContext, table: Table, key: PrimaryKey | UniqueConstraint, kind: str, where: str
) -> list[Kw]:
    """The keyword arguments of ``has_primary_key``/``has_unique`` beyond name and columns."""
    arguments: list[Kw] = []
    if key.include:
        arguments.append(Kw("include", _property_list(ctx, table, key.include)))
    if isinstance(key, UniqueConstraint) and key.nulls_not_distinct:
        arguments.append(Kw("nulls_not_distinct", Name("True")))
    if key.deferrable:
        arguments.append(Kw("deferrable", Name("True")))
    if key.initially_deferred:
        arguments.append(Kw("initially_deferred", Name("True")))
    if key.without_overlaps:
        arguments.append(Kw("without_overlaps", Name("True")))
    return arguments + _options(ctx, key.options, kind, where)


_KEY_FIELDS = (
    "name",
    "columns",
    "include",
    "nulls_not_distinct",
    "deferrable",
    "initially_deferred",
    "without_overlaps",
    "options",
)


def default_unique_name(table: Table, columns: Sequence[str]) -> str:
    """The name the builder gives a unique constraint on ``columns`` by default."""
    return f"{table.name}_{'_'.join(columns)}_key"


def primary_key_statement(ctx: PullContext, table: Table, key: PrimaryKey) -> Expr:
    """``e.has_primary_key(columns[, name=...])``."""
    arguments: list[Expr | Kw] = [_columns(ctx, table, key.columns)]
    if key.name != f"{table.name}_pkey":
        arguments.append(Kw("name", Str(key.name)))
    where = f"primary key {sql_name(None, key.name)} on {sql_name(table.schema, table.name)}"
    arguments += _key_options(ctx, table, key, "primary key", where)
    _flags(ctx, key, _KEY_FIELDS, "primary key", where)
    return call("e.has_primary_key", *arguments)


def unique_statement(ctx: PullContext, table: Table, unique: UniqueConstraint) -> Expr:
    """``e.has_unique(name, columns)``."""
    on = sql_name(table.schema, table.name)
    where = f"unique constraint {sql_name(None, unique.name)} on {on}"
    arguments: list[Expr | Kw] = [Str(unique.name), _columns(ctx, table, unique.columns)]
    arguments += _key_options(ctx, table, unique, "unique constraint", where)
    _flags(ctx, unique, _KEY_FIELDS, "unique constraint", where)
    return call("e.has_unique", *arguments)


def check_statement(ctx: PullContext, table: Table, check: CheckConstraint) -> Expr:
    """``e.has_check(name, expression[, not_valid=, no_inherit=, enforced=])``."""
    on = sql_name(table.schema, table.name)
    where = f"check constraint {sql_name(None, check.name)} on {on}"
    arguments: list[Expr | Kw] = [Str(check.name), Str(stable_sql(check.expression), sql=True)]
    if check.not_valid:
        arguments.append(Kw("not_valid", Name("True")))
    if check.no_inherit:
        arguments.append(Kw("no_inherit", Name("True")))
    if not check.enforced:
        arguments.append(Kw("enforced", Name("False")))
    declared = ("name", "expression", "not_valid", "no_inherit", "enforced")
    _flags(ctx, check, declared, "check constraint", where)
    return call("e.has_check", *arguments)


def exclusion_statement(ctx: PullContext, table: Table, exclusion: ExclusionConstraint) -> Expr:
    """``e.has_exclusion(name, definition[, deferrable=, initially_deferred=])``."""
    on = sql_name(table.schema, table.name)
    where = f"exclusion constraint {sql_name(None, exclusion.name)} on {on}"
    definition = Str(stable_sql(exclusion.definition), sql=True)
    arguments: list[Expr | Kw] = [Str(exclusion.name), definition]
    if exclusion.deferrable:
        arguments.append(Kw("deferrable", Name("True")))
    if exclusion.initially_deferred:
        arguments.append(Kw("initially_deferred", Name("True")))
    declared = ("name", "definition", "deferrable", "initially_deferred")
    _flags(ctx, exclusion, declared, "exclusion constraint", where)
    return call("e.has_exclusion", *arguments)


def _element(ctx: PullContext, table: Table, element: IndexElement, where: str) -> Expr:
    """A property name, ``sql(expression)``, or ``index_key(...)`` when the key has options."""
    key: Expr
    if element.column is not None:
        key = Str(ctx.attributes[table.qualified_name][element.column])
    else:
        assert element.expression is not None
        key = call("sql", Str(stable_sql(element.expression), sql=True))
    options: list[Kw] = []
    if element.opclass is not None:
        options.append(Kw("opclass", Str(element.opclass)))
    if element.opclass_options:
        written = storage_options(element.opclass_options)
        text = element.column if element.column is not None else element.expression
        if written is None:
            ctx.note(
                "index key opclass options",
                f"operator class options ({', '.join(element.opclass_options)}) of key "
                f"{text} of {where}",
            )
        else:
            options.append(Kw("opclass_options", written))
    if element.collation is not None:
        options.append(Kw("collation", Str(element.collation)))
    if element.descending:
        options.append(Kw("descending", Name("True")))
    if element.nulls_first is not None:
        options.append(Kw("nulls", Str("first" if element.nulls_first else "last")))
    declared = (
        "column",
        "expression",
        "opclass",
        "opclass_options",
        "collation",
        "descending",
        "nulls_first",
    )
    for field in beyond(element, declared):
        text = element.column if element.column is not None else element.expression
        option = flag_text(field, getattr(element, field))
        ctx.note(f"index key {field.replace('_', ' ')}", f"{option} of key {text} of {where}")
    return call("index_key", key, *options) if options else key


def index_statement(ctx: PullContext, table: Table, index: Index) -> Expr:
    """``e.has_index(name, [keys], unique=, method=, where=, include=, nulls_not_distinct=,
    options=)``: a key is a property name, ``sql(...)`` or ``index_key(...)``."""
    where = f"index {sql_name(None, index.name)} on {sql_name(table.schema, table.name)}"
    elements = tuple(_element(ctx, table, element, where) for element in index.elements)
    arguments: list[Expr | Kw] = [Str(index.name), ListOf(elements)]
    if index.unique:
        arguments.append(Kw("unique", Name("True")))
    if index.method != "btree":
        arguments.append(Kw("method", Str(index.method)))
    if index.where is not None:
        arguments.append(Kw("where", Str(stable_sql(index.where), sql=True)))
    if index.include:
        attributes = ctx.attributes[table.qualified_name]
        arguments.append(Kw("include", ListOf(tuple(Str(attributes[c]) for c in index.include))))
    if index.nulls_not_distinct:
        arguments.append(Kw("nulls_not_distinct", Name("True")))
    arguments += _options(ctx, index.options, "index", where)
    declared: tuple[str, ...] = ("name", "elements", "unique", "method", "where", "include")
    declared += ("nulls_not_distinct", "options")
    _flags(ctx, index, declared, "index", where)
    return call("e.has_index", *arguments)
