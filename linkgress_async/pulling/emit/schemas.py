"""Schemas: ``model.schema(name)`` for every schema pulled, so empty ones exist too."""

from __future__ import annotations

from linkgress_async.catalog import ObjectRef
from linkgress_async.pulling.code import Str, call, statement
from linkgress_async.pulling.context import PullContext

__all__ = ["emit"]

BODY = " " * 8


def emit(ctx: PullContext) -> list[str]:
    """``model.schema("sales")`` lines."""
    lines: list[str] = []
    for schema in ctx.catalog.schemas:
        prefix = ctx.assignment(ObjectRef.of_schema(schema))
        lines += statement(call("model.schema", Str(schema)), BODY, prefix)
    return lines
