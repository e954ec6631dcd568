"""What depends on what in a database: the edges of ``pg_depend`` between named objects."""

from __future__ import annotations

from typing import Literal

from attrs import frozen

from linkgress_async.catalog.names import ObjectRef

__all__ = ["Dependency", "DependencyKind"]

DependencyKind = Literal["normal", "auto"]
"""``normal``: the dependent blocks a drop of what it uses (``DROP`` without ``CASCADE``
fails while it exists). ``auto``: the dependent goes away with what it references (an index
with its table, a sequence with the column that owns it, a partition with its parent)."""


@frozen(order=True)
class Dependency:
    """``dependent`` depends on ``referenced``.

    Both ends are named as :class:`ObjectRef` names objects: a column is
    ``ObjectRef("column", schema, table, column)``, a routine carries its identity argument
    types in ``member``, and an object an extension owns is the extension itself
    (``ObjectRef("extension", None, name)``). That a table's columns, constraints, triggers
    and policies (and a domain's constraints) go away with it follows from their names, so
    introspection leaves those edges out (see :meth:`owner`).
    """

    dependent: ObjectRef
    referenced: ObjectRef
    kind: DependencyKind = "normal"

    @staticmethod
    def owner(ref: ObjectRef) -> tuple[str, str] | None:
        """``(schema, name)`` of the relation or domain ``ref`` is a part of, if it is one."""
        if ref.member is not None and ref.schema is not None and ref.kind in _PART_KINDS:
            return ref.schema, ref.name
        return None


_PART_KINDS = frozenset({"column", "constraint", "trigger", "policy", "domain_constraint"})
