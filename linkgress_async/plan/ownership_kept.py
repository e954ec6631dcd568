"""The target catalog with the undeclared objects the ownership policy keeps.

Pure and synchronous. Withheld drops name the live objects; each is copied from the live
catalog into the target as if the model declared it, with its comments, privileges and
owner, so that diffing again leaves it, and everything that depends on it, as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

import attrs

from linkgress_async.catalog import Catalog, ObjectRef, QualifiedName
from linkgress_async.ops import (
    DropAggregate,
    DropCompositeType,
    DropDomain,
    DropEnum,
    DropExtension,
    DropFunction,
    DropMaterializedView,
    DropSequence,
    DropTable,
    DropView,
    MigrationOperation,
)

__all__ = ["with_kept_objects"]


class _Named(Protocol):
    @property
    def qualified_name(self) -> QualifiedName: ...


_T = TypeVar("_T", bound=_Named)
_Routine = tuple[QualifiedName, str | None]


def _with(target: tuple[_T, ...], live: Iterable[_T], names: set[QualifiedName]) -> list[_T]:
    return [*target, *(item for item in live if item.qualified_name in names)]


def with_kept_objects(
    target: Catalog, current: Catalog, withheld: Iterable[MigrationOperation]
) -> Catalog:
    """``target`` plus the live objects whose drops were ``withheld``."""
    tables: set[QualifiedName] = set()
    enums: set[QualifiedName] = set()
    sequences: set[QualifiedName] = set()
    views: set[QualifiedName] = set()
    matviews: set[QualifiedName] = set()
    domains: set[QualifiedName] = set()
    composites: set[QualifiedName] = set()
    functions: set[_Routine] = set()
    aggregates: set[_Routine] = set()
    extensions: set[str] = set()
    for op in withheld:
        match op:
            case DropTable():
                tables.add(QualifiedName(op.schema_name, op.table_name))
            case DropEnum():
                enums.add(QualifiedName(op.schema_name, op.enum_name))
            case DropSequence():
                sequences.add(QualifiedName(op.schema_name, op.sequence_name))
            case DropView():
                views.add(QualifiedName(op.schema_name, op.view_name))
            case DropMaterializedView():
                matviews.add(QualifiedName(op.schema_name, op.view_name))
            case DropDomain():
                domains.add(QualifiedName(op.schema_name, op.domain_name))
            case DropCompositeType():
                composites.add(QualifiedName(op.schema_name, op.type_name))
            case DropFunction():
                functions.add((QualifiedName(op.schema_name, op.function_name), op.identity_args))
            case DropAggregate():
                name = QualifiedName(op.schema_name, op.aggregate_name)
                aggregates.add((name, op.identity_args))
            case DropExtension():
                extensions.add(op.extension_name)
            case _:
                pass
    relations = tables | views | matviews
    kept_routines = functions | aggregates

    def kept(ref: ObjectRef) -> bool:
        """Whether ``ref`` is a kept object or a part of one (its column, its check...)."""
        if ref.kind == "extension":
            return ref.name in extensions
        if ref.schema is None:
            return False
        name = QualifiedName(ref.schema, ref.name)
        if ref.kind in ("function", "procedure", "aggregate"):
            return (name, ref.member) in kept_routines
        if ref.kind in ("domain", "domain_constraint"):
            return name in domains
        if ref.kind == "type":
            return name in enums | composites
        if ref.kind == "sequence":
            return name in sequences
        return name in relations

    return attrs.evolve(
        target,
        # What attaches to a kept object is kept with it (comments, privileges, owners).
        comments=[*target.comments, *(c for c in current.comments if kept(c.target))],
        grants=[
            *target.grants,
            *(attrs.evolve(g, kept=True) for g in current.grants if kept(g.target)),
        ],
        owners=[*target.owners, *(o for o in current.owners if kept(o.target))],
        tables=_with(target.tables, current.tables, tables),
        enums=_with(target.enums, current.enums, enums),
        sequences=_with(target.sequences, current.sequences, sequences),
        views=_with(target.views, current.views, views),
        materialized_views=_with(target.materialized_views, current.materialized_views, matviews),
        domains=_with(target.domains, current.domains, domains),
        composite_types=_with(target.composite_types, current.composite_types, composites),
        functions=[
            *target.functions,
            *(f for f in current.functions if (f.qualified_name, f.identity_args) in functions),
        ],
        aggregates=[
            *target.aggregates,
            *(a for a in current.aggregates if (a.qualified_name, a.identity_args) in aggregates),
        ],
        extensions=[*target.extensions, *(e for e in current.extensions if e.name in extensions)],
    )
