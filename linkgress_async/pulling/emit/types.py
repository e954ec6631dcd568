"""Extensions, domains and composite types: ``model.extension(...)``, ``model.domain(...)``,
``model.composite_type(...)``.

A column of a domain or composite type names it by the server's spelling
(``custom_type("release_year", "public.year")``), which the model resolves to the declared
type. An extension's version is left out: a model that names none leaves the installed
version alone, and a database created from it gets the server's default.
"""

from __future__ import annotations

from linkgress_async.catalog import CompositeAttribute, CompositeType, Domain, Extension, ObjectRef
from linkgress_async.pulling.code import (
    Attr,
    DictOf,
    Expr,
    Kw,
    ListOf,
    Name,
    Str,
    call,
    comment_lines,
    statement,
)
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.undeclared import beyond, describe_value

__all__ = [
    "composite_statement",
    "domain_statement",
    "emit",
    "extension_statement",
    "extensions_emit",
]

BODY = " " * 8
_EXTENSION_FIELDS = ("name", "schema", "version")
_DOMAIN_FIELDS = (
    "schema",
    "name",
    "data_type",
    "default",
    "nullable",
    "collation",
    "checks",
    "not_null_name",
)


def extension_statement(extension: Extension) -> Expr:
    """``model.extension(name, schema=...)``."""
    return call("model.extension", Str(extension.name), Kw("schema", Str(extension.schema)))


def domain_statement(domain: Domain) -> Expr:
    """``model.domain(name, data_type, schema=..., <what differs from the defaults>)``."""
    arguments: list[Expr | Kw] = [
        Str(domain.name),
        Str(domain.data_type),
        Kw("schema", Str(domain.schema)),
    ]
    if domain.default is not None:
        arguments.append(Kw("default_sql", Str(domain.default, sql=True)))
    if not domain.nullable:
        arguments.append(Kw("not_null", Name("True")))
    if domain.not_null_name is not None:
        arguments.append(Kw("not_null_name", Str(domain.not_null_name)))
    if domain.collation is not None:
        arguments.append(Kw("collation", Str(domain.collation)))
    if domain.checks:
        checks = tuple((Str(c.name), Str(c.expression, sql=True)) for c in domain.checks)
        arguments.append(Kw("checks", DictOf(checks)))
    unchecked = tuple(Str(c.name) for c in domain.checks if c.not_valid)
    if unchecked:
        arguments.append(Kw("not_valid", ListOf(unchecked)))
    return call("model.domain", *arguments)


def _attribute_type(attribute: CompositeAttribute) -> Expr:
    if attribute.collation is None:
        return Str(attribute.data_type)
    typed = call("custom_type", Str(attribute.name), Str(attribute.data_type))
    return call(Attr(typed, "collate"), Str(attribute.collation))


def composite_statement(composite: CompositeType) -> Expr:
    """``model.composite_type(name, {attribute: type, ...}, schema=...)``."""
    attributes = tuple((Str(a.name), _attribute_type(a)) for a in composite.attributes)
    return call(
        "model.composite_type",
        Str(composite.name),
        DictOf(attributes),
        Kw("schema", Str(composite.schema)),
    )


def _noted(
    ctx: PullContext, kind: str, value: object, declared: tuple[str, ...], where: str
) -> list[str]:
    """Comments for the fields of ``value`` a later catalog may add that are not declared."""
    lines: list[str] = []
    for field in beyond(value, declared):
        words = field.replace("_", " ")
        text = f"{words} {describe_value(getattr(value, field))} of {where}"
        lines += comment_lines(ctx.note(f"{kind} {words}", text).comment, BODY)
    return lines


def extensions_emit(ctx: PullContext) -> list[str]:
    """One ``model.extension(...)`` per extension (right after the schemas)."""
    lines: list[str] = []
    for extension in ctx.catalog.extensions:
        prefix = ctx.assignment(ObjectRef("extension", None, extension.name))
        lines += statement(extension_statement(extension), BODY, prefix)
        where = f"extension {sql_name(None, extension.name)}"
        lines += _noted(ctx, "extension", extension, _EXTENSION_FIELDS, where)
    return lines


def emit(ctx: PullContext) -> list[str]:
    """The domains and composite types (a composite type without attributes, which the
    builder cannot declare, is noted)."""
    catalog = ctx.catalog
    lines: list[str] = []
    for domain in catalog.domains:
        prefix = ctx.assignment(ObjectRef("domain", domain.schema, domain.name))
        lines += statement(domain_statement(domain), BODY, prefix)
        where = f"domain {sql_name(domain.schema, domain.name)}"
        lines += _noted(ctx, "domain", domain, _DOMAIN_FIELDS, where)
    for composite in catalog.composite_types:
        where = f"type {sql_name(composite.schema, composite.name)}"
        if not composite.attributes:
            note = ctx.note("composite type", f"{where} without attributes")
            lines += comment_lines(note.comment, BODY)
            continue
        prefix = ctx.assignment(ObjectRef("type", composite.schema, composite.name))
        lines += statement(composite_statement(composite), BODY, prefix)
        lines += _noted(ctx, "composite type", composite, ("schema", "name", "attributes"), where)
    return lines
