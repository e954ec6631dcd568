"""Functions and procedures: ``model.function(name, definition, schema=...)`` and
``model.procedure(...)`` with the server's definition.

A ``LANGUAGE sql`` function's body is checked when it is created, so a function is declared
after the functions its body names (a textual guess: bodies are not parsed).
"""

from __future__ import annotations

import graphlib
import re

from linkgress_async.catalog import Function, ObjectRef
from linkgress_async.pulling.code import Kw, Str, call, statement
from linkgress_async.pulling.context import PullContext

__all__ = ["emit", "in_dependency_order"]

BODY = " " * 8


def in_dependency_order(functions: list[Function]) -> list[Function]:
    """``functions`` with each after the others whose name its body mentions; catalog order
    otherwise (and when the mentions go round in a circle)."""
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    for number, function in enumerate(functions):
        uses = [
            other
            for other, candidate in enumerate(functions)
            if other != number
            and candidate.name != function.name
            and re.search(rf"\b{re.escape(candidate.name)}\s*\(", function.source, re.I)
        ]
        sorter.add(number, *uses)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError:
        return functions
    return [functions[number] for number in order]


def emit(ctx: PullContext) -> list[str]:
    """One ``model.function(...)`` per function, ``model.procedure(...)`` per procedure."""
    lines: list[str] = []
    for function in in_dependency_order(list(ctx.catalog.functions)):
        declaration = call(
            f"model.{function.kind}",
            Str(function.name),
            Str(function.definition.strip(), sql=True),
            Kw("schema", Str(function.schema)),
        )
        ref = ObjectRef(function.kind, function.schema, function.name, function.identity_args)
        lines += statement(declaration, BODY, ctx.assignment(ref))
    return lines
