"""Partition bounds in the server's spelling.

A model says ``FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')``; on a ``timestamptz`` key
the catalog says ``FOR VALUES FROM ('2024-01-01 00:00:00+00') TO (...)``. Each parent with
partitions to spell gets a temporary copy (its columns' storage types and collations, its
partition key), and each partition a temporary partition of that copy with the model's
bound; the introspection queries read the bounds back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from attrs import frozen

from linkgress_async.catalog import Catalog, QualifiedName, Table, storage_type
from linkgress_async.render.columns import collate_clause
from linkgress_async.render.quote import quote_ident

__all__ = ["BOUND_PREFIX", "Bounds", "bounds_of", "respelled"]

BOUND_PREFIX = "__linkgress_bounds_"


@frozen
class Bounds:
    """The partitions whose bounds the server spells, grouped by parent."""

    groups: tuple[tuple[Table, tuple[Table, ...]], ...] = ()

    def statements(self) -> list[str]:
        """The scratch parents and partitions."""
        statements: list[str] = []
        for number, (parent, partitions) in enumerate(self.groups):
            name = f"{BOUND_PREFIX}{number}"
            columns = ", ".join(
                f"{quote_ident(c.name)} {storage_type(c.data_type)}"
                + ("" if c.collation is None else collate_clause(c.collation))
                for c in parent.columns
            )
            statements.append(
                f"CREATE TEMPORARY TABLE {quote_ident(name)} ({columns}) "
                f"PARTITION BY {parent.partition_by}"
            )
            statements.extend(
                f"CREATE TEMPORARY TABLE {quote_ident(f'{name}_{index}')} "
                f"PARTITION OF {quote_ident(name)} {partition.partition_bound}"
                for index, partition in enumerate(partitions)
            )
        return statements

    def spelled(self, scratch: Mapping[str, Table]) -> dict[QualifiedName, str]:
        """Each partition's bound as the server read it back."""
        bounds: dict[QualifiedName, str] = {}
        for number, (_, partitions) in enumerate(self.groups):
            for index, partition in enumerate(partitions):
                read = scratch[f"{BOUND_PREFIX}{number}_{index}"].partition_bound
                if read is not None:
                    bounds[partition.qualified_name] = read
        return bounds


def bounds_of(model: Catalog) -> Bounds:
    """The model's partitions whose bound the server must spell (not ``DEFAULT``), under
    a parent the model declares with its partition key."""
    tables = {table.qualified_name: table for table in model.tables}
    groups: dict[QualifiedName, list[Table]] = {}
    for table in model.tables:
        parent = tables.get(table.partition_of) if table.partition_of is not None else None
        if parent is None or parent.partition_by is None:
            continue
        if table.partition_bound is None or table.partition_bound.upper() == "DEFAULT":
            continue
        groups.setdefault(parent.qualified_name, []).append(table)
    return Bounds(tuple((tables[name], tuple(found)) for name, found in groups.items()))


def respelled(tables: Sequence[Table], bounds: Mapping[QualifiedName, str]) -> list[Table]:
    """``tables`` with the bounds the server spelled."""
    return [
        attrs.evolve(table, partition_bound=bounds[table.qualified_name])
        if table.qualified_name in bounds and bounds[table.qualified_name] != table.partition_bound
        else table
        for table in tables
    ]
