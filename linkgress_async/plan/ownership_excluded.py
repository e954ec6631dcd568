"""Hiding the excluded indexes, constraints, triggers and policies of declared tables."""

from __future__ import annotations

from typing import Protocol, TypeVar

import attrs

from linkgress_async.catalog import Catalog, Table
from linkgress_async.plan.ownership_policy import OwnershipPolicy

__all__ = ["hide_excluded"]


class _HasName(Protocol):
    @property
    def name(self) -> str: ...


_Named = TypeVar("_Named", bound=_HasName)


def _visible(
    items: tuple[_Named, ...], declared: set[str], policy: OwnershipPolicy, table: Table
) -> tuple[_Named, ...]:
    return tuple(
        item
        for item in items
        if item.name in declared or not policy.is_excluded(table.schema, item.name, table.name)
    )


def hide_excluded(current: Catalog, target: Catalog, policy: OwnershipPolicy) -> Catalog:
    """``current`` without the excluded indexes, constraints, triggers and policies of the
    target's tables.

    Those belong to the declared table's shape and would be dropped by the diff; an excluded
    name the model declares on that table stays visible (the model's declaration wins).
    """
    if not policy.exclude:
        return current
    tables: list[Table] = []
    changed = False
    for table in current.tables:
        wanted = target.table(table.schema, table.name)
        if wanted is None:
            tables.append(table)
            continue
        declared = {i.name for i in wanted.indexes} | {u.name for u in wanted.uniques}
        declared |= {c.name for c in wanted.checks} | {f.name for f in wanted.foreign_keys}
        declared |= {x.name for x in wanted.exclusions}
        declared |= {t.name for t in wanted.triggers} | {p.name for p in wanted.policies}
        if wanted.primary_key is not None:
            declared.add(wanted.primary_key.name)
        pk = table.primary_key
        if (
            pk is not None
            and pk.name not in declared
            and policy.is_excluded(table.schema, pk.name, table.name)
        ):
            pk = None
        visible = attrs.evolve(
            table,
            primary_key=pk,
            uniques=_visible(table.uniques, declared, policy, table),
            checks=_visible(table.checks, declared, policy, table),
            foreign_keys=_visible(table.foreign_keys, declared, policy, table),
            indexes=_visible(table.indexes, declared, policy, table),
            exclusions=_visible(table.exclusions, declared, policy, table),
            triggers=_visible(table.triggers, declared, policy, table),
            policies=_visible(table.policies, declared, policy, table),
        )
        changed = changed or visible != table
        tables.append(visible)
    return attrs.evolve(current, tables=tables) if changed else current
