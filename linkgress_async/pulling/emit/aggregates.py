"""Aggregates: ``model.aggregate(name, definition, schema=...)`` with the server's
definition (``(text) (SFUNC = public._group_concat, STYPE = text)``)."""

from __future__ import annotations

from linkgress_async.catalog import Aggregate, ObjectRef
from linkgress_async.pulling.code import Expr, Kw, Str, call, statement
from linkgress_async.pulling.context import PullContext

__all__ = ["aggregate_statement", "emit"]

BODY = " " * 8


def aggregate_statement(aggregate: Aggregate) -> Expr:
    """``model.aggregate(name, definition, schema=...)``."""
    return call(
        "model.aggregate",
        Str(aggregate.name),
        Str(aggregate.definition, sql=True),
        Kw("schema", Str(aggregate.schema)),
    )


def emit(ctx: PullContext) -> list[str]:
    """One ``model.aggregate(...)`` per aggregate (after the functions it calls, which the
    model creates first whatever the order)."""
    lines: list[str] = []
    for aggregate in ctx.catalog.aggregates:
        ref = ObjectRef("aggregate", aggregate.schema, aggregate.name, aggregate.identity_args)
        lines += statement(aggregate_statement(aggregate), BODY, ctx.assignment(ref))
    return lines
