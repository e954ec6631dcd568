"""Extended statistics: create the declared ones, rebuild those that differ."""

from __future__ import annotations

from linkgress_async.catalog import Catalog
from linkgress_async.ops import CreateStatistics, DropStatistics, MigrationOperation

__all__ = ["diff_statistics"]


def diff_statistics(current: Catalog, target: Catalog) -> list[MigrationOperation]:
    """Create each statistics object of ``target`` that ``current`` lacks; drop and create
    again one that differs (:meth:`ExtendedStatistics.matches`).

    One the target does not declare is left alone, as in Linkgress: it holds no data and
    may be a DBA's tuning of the planner.
    """
    live = {(s.schema, s.name): s for s in current.statistics}
    operations: list[MigrationOperation] = []
    for declared in target.statistics:
        found = live.get((declared.schema, declared.name))
        if found is None:
            operations.append(CreateStatistics(declared))
        elif not declared.matches(found):
            operations += [DropStatistics(found), CreateStatistics(declared)]
    return operations
