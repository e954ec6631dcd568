"""Indexes on a large partitioned table: the advice and the safe scaffold, run for real.

PostgreSQL refuses ``CREATE INDEX CONCURRENTLY`` on a partitioned table (issue 11). The
model here is the live catalog (the model builder cannot declare partitions yet) with one
index more on the partitioned table.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import attrs
import pytest

from linkgress_async import DbContext, DbModelConfig, PgClient
from linkgress_async.catalog import Index, IndexElement
from linkgress_async.introspect import introspect
from linkgress_async.migrations import MigrationRunner, MigrationScaffold
from linkgress_async.migrations.partitioned_index import partition_index_name
from tests.integration.helpers import quiet
from tests.integration.test_scaffold import ruff_clean

MODELS = "tests.integration.test_partitioned_index_safe"

PARTITIONED = """
CREATE SCHEMA app;
CREATE TABLE app.events (id int NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (kind);
CREATE TABLE app.events_2025_a PARTITION OF app.events_2025 FOR VALUES IN ('a');
CREATE TABLE app.events_2025_rest PARTITION OF app.events_2025 DEFAULT;
CREATE TABLE app.events_empty PARTITION OF app.events
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') PARTITION BY LIST (kind);
INSERT INTO app.events
SELECT g, date '2024-01-01' + g % 700, CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END
FROM generate_series(1, 3000) g;
"""

INDEX = Index("ix_events_kind", (IndexElement(column="kind"),))


class PartitionedApp(DbContext):
    """A context whose model is set by the test (see the module docstring)."""

    def setup_model(self, model: DbModelConfig) -> None:
        pass


async def _context(dsn: str) -> PartitionedApp:
    """The context, its model the live catalog with ``INDEX`` on ``app.events``."""
    await _execute(dsn, PARTITIONED)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        live = await introspect(pool, ["app"])
    finally:
        await pool.close()
    tables = [
        attrs.evolve(t, indexes=(*t.indexes, INDEX)) if t.name == "events" else t
        for t in live.tables
    ]
    db = PartitionedApp(PgClient(dsn=dsn))
    db.model = attrs.evolve(live, tables=tables)
    return db


async def _execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _indexes(db: DbContext) -> dict[str, bool]:
    rows = await db.query(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE c.relnamespace = 'app'::regnamespace"
    )
    return {row["relname"]: row["indisvalid"] for row in rows}


async def test_the_advice_for_a_partitioned_table_is_the_form_that_works(
    linkgress_dsn: str,
) -> None:
    db = await _context(linkgress_dsn)
    async with db:
        (hazard,) = await db.get_schema_manager(out=quiet, large_table_rows=0).hazards()
        assert hazard.code == "index-not-concurrent"
        advice = hazard.safe_alternative
        assert advice.startswith("PostgreSQL cannot build an index on a partitioned table")
        assert "ON ONLY" in advice
        assert "ATTACH PARTITION" in advice
        # The advice of a plain table would fail here, as PostgreSQL says.
        with pytest.raises(asyncpg.FeatureNotSupportedError):
            await db.execute("CREATE INDEX CONCURRENTLY ix_try ON app.events (kind)")


async def test_safe_scaffold_indexes_each_partition_concurrently(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    db = await _context(linkgress_dsn)
    async with db:
        res = await MigrationScaffold(db, tmp_path).scaffold(MODELS, name="kind", safe=True)
        assert res.followup is not None
        # The statements as SQL, whatever their layout over the file's lines.
        follow = " ".join(res.followup.path.read_text().split())
        for path in res.paths:
            await ruff_clean(path)
        assert 'CREATE INDEX "ix_events_kind" ON ONLY "app"."events"' in follow
        assert follow.count("CREATE INDEX CONCURRENTLY") == 3  # the partitions holding rows
        leaves = ("events_2024", "events_2025_a", "events_2025_rest")
        for leaf in leaves:
            name = partition_index_name(leaf, INDEX.name)
            assert f'CREATE INDEX CONCURRENTLY "{name}" ON ' in follow
        for middle in ("events_2025", "events_empty"):
            name = partition_index_name(middle, INDEX.name)
            assert f'CREATE INDEX "{name}" ON ONLY "app"."{middle}" ' in follow
        assert follow.count("ATTACH PARTITION") == 5

        runner = MigrationRunner(db, tmp_path, verbose=False)
        result = await runner.up()
        assert result.applied == [res.filename, res.followup.filename], result.failed
        indexes = await _indexes(db)
        assert indexes[INDEX.name] is True  # valid: every partition's index is attached
        assert all(indexes[partition_index_name(t, INDEX.name)] for t in leaves)
        assert await db.get_schema_manager(out=quiet).analyze() == []

        # A run that failed half-way can run again: what it left is cleared first.
        reverted = await runner.down(1)
        assert reverted.applied == [res.followup.filename], reverted.failed
        assert INDEX.name not in await _indexes(db)
        await db.execute(
            f"CREATE INDEX {partition_index_name('events_2024', INDEX.name)}"
            " ON app.events_2024 (kind)"
        )
        result = await runner.up()
        assert result.applied == [res.followup.filename], result.failed
        assert (await _indexes(db))[INDEX.name] is True
