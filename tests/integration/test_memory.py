"""What a warm analysis leaves behind: the catalogs it no longer needs die by reference
counting, without waiting for the cyclic collector.

A process that analyzes a large database again and again (a drift monitor, a test suite)
should not hold the catalogs of past calls until a full collection, which at 10,000 tables
comes once in tens of calls: each catalog is ~25 MB there.
"""

from __future__ import annotations

import gc
from typing import Any

from linkgress_async import PgClient
from linkgress_async.catalog.tables import Table
from tests.integration.helpers import quiet
from tests.integration.test_round_trips import workload


def live_tables() -> int:
    """Catalog tables alive in the process (tracked by the collector, so all of them)."""
    return sum(1 for value in gc.get_objects() if type(value) is Table)


async def test_a_warm_analysis_frees_the_last_ones_catalog_without_the_collector(
    linkgress_databases: Any,
) -> None:
    dsn = await linkgress_databases.create()
    db = workload(10)(PgClient(dsn=dsn))
    try:
        manager = db.get_schema_manager(out=quiet, reuse_unchanged_catalog=False)
        await manager.migrate()
        assert await manager.analyze() == []
        gc.collect()
        gc.disable()
        try:
            counts = []
            for _ in range(3):
                assert await manager.analyze() == []
                counts.append(live_tables())
        finally:
            gc.enable()
        # The model's tables and the one catalog the client keeps; a call's own catalog used
        # to stay reachable from the context of a task it started (and that task from a
        # cycle of its cancellation), 20 tables more after each call here.
        assert counts[0] == counts[1] == counts[2], counts
    finally:
        await db.dispose()
