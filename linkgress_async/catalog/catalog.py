"""The whole catalog: the schemas it covers and every object in them."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Protocol, TypeVar

import attrs
from attrs import frozen

from linkgress_async.catalog.attached import Comment, Grant, Owner
from linkgress_async.catalog.dependencies import Dependency
from linkgress_async.catalog.routines import Aggregate, Function, MaterializedView, View
from linkgress_async.catalog.settings import DatabaseSetting
from linkgress_async.catalog.statistics import ExtendedStatistics
from linkgress_async.catalog.tables import Table
from linkgress_async.catalog.types import CompositeType, Domain, Enum, Extension, Sequence

__all__ = ["Catalog", "Schema"]


class _InSchema(Protocol):
    @property
    def schema(self) -> str: ...

    @property
    def name(self) -> str: ...


_S = TypeVar("_S", bound=_InSchema)


def _by_qualified_name(items: Iterable[_S]) -> tuple[_S, ...]:
    return tuple(sorted(items, key=lambda item: (item.schema, item.name)))


def _sorted_names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def _sorted_settings(items: Iterable[DatabaseSetting]) -> tuple[DatabaseSetting, ...]:
    return tuple(sorted(items, key=lambda setting: setting.name))


def _sorted_statistics(items: Iterable[ExtendedStatistics]) -> tuple[ExtendedStatistics, ...]:
    return tuple(sorted(items, key=lambda statistics: (statistics.schema, statistics.name)))


def _sorted_extensions(items: Iterable[Extension]) -> tuple[Extension, ...]:
    return tuple(sorted(items, key=lambda extension: extension.name))


def _sorted_functions(items: Iterable[Function]) -> tuple[Function, ...]:
    return tuple(sorted(items, key=lambda f: (f.schema, f.name, f.identity_args or "")))


def _sorted_aggregates(items: Iterable[Aggregate]) -> tuple[Aggregate, ...]:
    return tuple(sorted(items, key=lambda a: (a.schema, a.name, a.identity_args or "")))


# Sorted by plain tuples: attrs' generated ordering is slow enough to dominate the reading
# of a large schema, where every object has an owner.
def _comment_key(item: Comment) -> tuple[tuple[str, str, str, str], str]:
    return item.target.sort_key, item.text


def _grant_key(item: Grant) -> tuple[tuple[str, str, str, str], str, str, bool, bool]:
    return item.target.sort_key, item.grantee, item.privilege, item.grantable, item.revoke


def _owner_key(item: Owner) -> tuple[tuple[str, str, str, str], str]:
    return item.target.sort_key, item.role


def _enums(items: Iterable[Enum]) -> tuple[Enum, ...]:
    return _by_qualified_name(items)


def _domains(items: Iterable[Domain]) -> tuple[Domain, ...]:
    return _by_qualified_name(items)


def _composites(items: Iterable[CompositeType]) -> tuple[CompositeType, ...]:
    return _by_qualified_name(items)


def _sequences(items: Iterable[Sequence]) -> tuple[Sequence, ...]:
    return _by_qualified_name(items)


def _tables(items: Iterable[Table]) -> tuple[Table, ...]:
    return _by_qualified_name(items)


def _views(items: Iterable[View]) -> tuple[View, ...]:
    return _by_qualified_name(items)


def _materialized_views(items: Iterable[MaterializedView]) -> tuple[MaterializedView, ...]:
    return _by_qualified_name(items)


def _comments(items: Iterable[Comment]) -> tuple[Comment, ...]:
    return tuple(sorted(set(items), key=_comment_key))


def _grants(items: Iterable[Grant]) -> tuple[Grant, ...]:
    return tuple(sorted(set(items), key=_grant_key))


def _owners(items: Iterable[Owner]) -> tuple[Owner, ...]:
    return tuple(sorted(set(items), key=_owner_key))


def _dependency_key(
    item: Dependency,
) -> tuple[tuple[str, str, str, str], tuple[str, str, str, str], str, bool, bool]:
    # The generated ``<`` of the attrs classes compared tuples of tuples and was most of a
    # warm analysis's sorting time; the member flags keep the key one-to-one (a routine of no
    # arguments has member "", a table None).
    dependent, referenced = item.dependent, item.referenced
    return (
        dependent.sort_key,
        referenced.sort_key,
        item.kind,
        dependent.member is None,
        referenced.member is None,
    )


def _dependencies(items: Iterable[Dependency]) -> tuple[Dependency, ...]:
    return tuple(sorted(set(items), key=_dependency_key))


@frozen
class Catalog:
    """A whole schema: the namespaces it manages and the objects in them.

    ``schemas`` lists every namespace the catalog covers (for the model: declared and used
    schemas; for introspection: the schemas that were read). Every collection is sorted, so
    two catalogs describing the same database compare equal.
    """

    schemas: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)
    enums: tuple[Enum, ...] = attrs.field(default=(), converter=_enums)
    sequences: tuple[Sequence, ...] = attrs.field(default=(), converter=_sequences)
    tables: tuple[Table, ...] = attrs.field(default=(), converter=_tables)
    views: tuple[View, ...] = attrs.field(default=(), converter=_views)
    functions: tuple[Function, ...] = attrs.field(default=(), converter=_sorted_functions)
    extensions: tuple[Extension, ...] = attrs.field(default=(), converter=_sorted_extensions)
    database_settings: tuple[DatabaseSetting, ...] = attrs.field(
        default=(), converter=_sorted_settings
    )
    """``ALTER DATABASE ... SET``: in a model, the declared ones; introspected, all of them."""
    statistics: tuple[ExtendedStatistics, ...] = attrs.field(
        default=(), converter=_sorted_statistics
    )
    """``CREATE STATISTICS`` objects of the tables."""
    domains: tuple[Domain, ...] = attrs.field(default=(), converter=_domains)
    composite_types: tuple[CompositeType, ...] = attrs.field(default=(), converter=_composites)
    materialized_views: tuple[MaterializedView, ...] = attrs.field(
        default=(), converter=_materialized_views
    )
    aggregates: tuple[Aggregate, ...] = attrs.field(default=(), converter=_sorted_aggregates)
    comments: tuple[Comment, ...] = attrs.field(default=(), converter=_comments)
    grants: tuple[Grant, ...] = attrs.field(default=(), converter=_grants)
    owners: tuple[Owner, ...] = attrs.field(default=(), converter=_owners)
    dependencies: tuple[Dependency, ...] = attrs.field(
        default=(), converter=_dependencies, eq=False
    )
    """What depends on what (``pg_depend``), when read from a database: the diff orders
    drops and creations by it. Never part of equality."""

    @functools.cached_property
    def _tables_by_name(self) -> dict[tuple[str, str], Table]:
        # Built on the first lookup: the diff looks tables up by name once per table, which a
        # scan would make quadratic in the size of the schema.
        return {(t.schema, t.name): t for t in self.tables}

    def table(self, schema: str, name: str) -> Table | None:
        """The table ``schema.name``, or ``None``."""
        return self._tables_by_name.get((schema, name))

    def enum(self, schema: str, name: str) -> Enum | None:
        """The enum ``schema.name``, or ``None``."""
        for enum in self.enums:
            if enum.schema == schema and enum.name == name:
                return enum
        return None


Schema = Catalog
"""The name API.md uses for a built model (``db.model``): the same value as :class:`Catalog`."""
