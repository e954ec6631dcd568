"""Comments, grants and owners on declared routines, once their argument types are known.

A declaration's handle refers to a routine by its position in the model (see
:func:`linkgress_async.model.access.routine_placeholder`), since only the server can spell its
identity arguments; once the canonical stage has them, the references become the ones
introspection reads (``member`` = ``pg_get_function_identity_arguments``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import attrs

from linkgress_async.catalog import Catalog, Comment, Grant, ObjectRef, Owner
from linkgress_async.model.access import routine_placeholder

__all__ = ["resolve_routine_refs"]

_A = TypeVar("_A", Comment, Grant, Owner)


def resolve_routine_refs(catalog: Catalog) -> Catalog:
    """``catalog`` with each routine placeholder replaced by the routine's argument types
    (where the server could spell them)."""
    spelled: dict[tuple[str, str | None, str, str], str] = {}
    for function in catalog.functions:
        if function.identity_args is not None:
            key = (
                function.kind,
                function.schema,
                function.name,
                routine_placeholder(function.position),
            )
            spelled[key] = function.identity_args
    for aggregate in catalog.aggregates:
        if aggregate.identity_args is not None:
            placeholder = routine_placeholder(aggregate.position)
            spelled[("aggregate", aggregate.schema, aggregate.name, placeholder)] = (
                aggregate.identity_args
            )
    if not spelled:
        return catalog

    def resolved(items: Iterable[_A]) -> list[_A]:
        out: list[_A] = []
        for item in items:
            ref = item.target
            args = spelled.get((ref.kind, ref.schema, ref.name, ref.member or ""))
            if args is not None:
                item = attrs.evolve(item, target=ObjectRef(ref.kind, ref.schema, ref.name, args))
            out.append(item)
        return out

    return attrs.evolve(
        catalog,
        comments=resolved(catalog.comments),
        grants=resolved(catalog.grants),
        owners=resolved(catalog.owners),
    )
