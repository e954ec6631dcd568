"""What a comment, grant or owner declared on the model applies to.

Declarations return handles (``pg_schema``, ``pg_enum``, a ``View``, a ``Function``...);
:func:`ref_of` turns one into the :class:`~linkgress_async.catalog.ObjectRef` the catalog
keys comments, privileges and owners by. A routine's reference needs its argument types,
which only the server can spell: until the canonical stage fills them in, its ``member`` is a
placeholder naming the declaration (:func:`routine_placeholder`).
"""

from __future__ import annotations

from linkgress_async.catalog import (
    Aggregate,
    Extension,
    Function,
    MaterializedView,
    ObjectRef,
    Sequence,
    View,
)
from linkgress_async.errors import ModelError
from linkgress_async.model.types import pg_composite, pg_domain, pg_enum

__all__ = [
    "PLACEHOLDER_PREFIX",
    "Target",
    "pg_schema",
    "ref_of",
    "routine_placeholder",
]

PLACEHOLDER_PREFIX = "\x00declared "


class pg_schema(str):
    """A schema declared with ``model.schema(...)``: the name itself (a ``str``), usable as
    the ``schema=`` of any declaration and as the target of a grant."""

    __slots__ = ()


Target = (
    pg_schema
    | pg_enum
    | pg_domain
    | pg_composite
    | Sequence
    | View
    | MaterializedView
    | Function
    | Aggregate
    | Extension
)


def routine_placeholder(position: int) -> str:
    """The ``member`` of a declared routine's reference until its argument types are known."""
    return f"{PLACEHOLDER_PREFIX}{position}"


def ref_of(target: object, where: str) -> ObjectRef:
    """The reference of a declared object's handle."""
    match target:
        case pg_schema():
            return ObjectRef("schema", None, str(target))
        case pg_enum() | pg_composite():
            return ObjectRef("type", target.schema, target.name)
        case pg_domain():
            return ObjectRef("domain", target.schema, target.name)
        case Sequence():
            return ObjectRef("sequence", target.schema, target.name)
        case View():
            return ObjectRef("view", target.schema, target.name)
        case MaterializedView():
            return ObjectRef("materialized_view", target.schema, target.name)
        case Function():
            placeholder = routine_placeholder(target.position)
            if target.kind == "procedure":
                return ObjectRef("procedure", target.schema, target.name, placeholder)
            return ObjectRef("function", target.schema, target.name, placeholder)
        case Aggregate():
            placeholder = routine_placeholder(target.position)
            return ObjectRef("aggregate", target.schema, target.name, placeholder)
        case Extension():
            return ObjectRef("extension", None, target.name)
    # What model.materialized_view() returns: the builder of its indexes, holding the view.
    view = getattr(target, "view", None)
    if isinstance(view, MaterializedView):
        return ObjectRef("materialized_view", view.schema, view.name)
    raise ModelError(
        f"{where}: {target!r} is not a declared object; pass what model.schema(), "
        "model.enum(), model.view(), model.function()... returned, or an entity class"
    )
