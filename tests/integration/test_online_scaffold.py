"""``scaffold(online=True)``: the online phases as one non-transactional migration file."""

from __future__ import annotations

from pathlib import Path

from linkgress_async.migrations import MigrationRunner, MigrationScaffold
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import quiet
from tests.integration.online_support import online_context
from tests.integration.test_scaffold import ruff_clean, runtime_imports

BASE = """
CREATE SCHEMA app;
CREATE TABLE app.owners (id int PRIMARY KEY);
"""

START = (
    BASE
    + """
CREATE TABLE app.items (id int PRIMARY KEY, owner_id int, code text, amount int);
INSERT INTO app.owners SELECT g FROM generate_series(1, 10) g;
INSERT INTO app.items SELECT g, 1 + g % 10, 'c' || g, g FROM generate_series(1, 3000) g;
"""
)

TARGET = (
    BASE
    + """
CREATE TABLE app.items (
    id int PRIMARY KEY,
    owner_id int REFERENCES app.owners (id),
    code text NOT NULL,
    amount bigint,
    token uuid NOT NULL DEFAULT gen_random_uuid()
);
CREATE INDEX ix_items_code ON app.items (code);
"""
)


async def test_the_online_file_runs_the_phases_and_converges(
    linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    db, _ = await online_context(linkgress_databases, START, TARGET)
    async with db:
        result = await MigrationScaffold(db, tmp_path).scaffold(
            "tests.integration.online_support", name="items", online=True
        )
        assert result.followup is None
        assert result.filename.endswith("_items_online.py")
        source = result.path.read_text()
        await ruff_clean(result.path)
        assert "    transactional = False\n" in source
        assert runtime_imports(source)[-2:] == [
            "linkgress_async.migrations",
            "linkgress_async.online.backfill",
        ]
        flat = " ".join(source.split())
        assert "async with db.transaction():" in flat
        assert "SET LOCAL lock_timeout = '5000ms'" in flat
        assert 'CREATE INDEX CONCURRENTLY "ix_items_code"' in flat
        assert "NOT VALID" in flat
        assert "VALIDATE CONSTRAINT" in flat
        assert 'await backfill( db, table=("app", "items"), key="id"' in flat
        assert "Swap in 'app.items.amount' as bigint" in flat

        runner = MigrationRunner(db, tmp_path, verbose=False)
        applied = await runner.up()
        assert applied.applied == [result.filename], applied.failed
        assert await db.get_schema_manager(out=quiet).analyze() == []
        (row,) = await db.query(
            "SELECT count(*) AS n, count(*) FILTER (WHERE amount <> id) AS wrong,"
            " count(DISTINCT token) AS tokens FROM app.items"
        )
        assert dict(row) == {"n": 3000, "wrong": 0, "tokens": 3000}

        # down() undoes it the offline way.
        reverted = await runner.down(1, allow_destructive=True)
        assert reverted.applied == [result.filename], reverted.failed
        columns = await db.query(
            "SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute"
            " WHERE attrelid = 'app.items'::regclass AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attname"
        )
        assert [(c["attname"], c["type"]) for c in columns] == [
            ("amount", "integer"),
            ("code", "text"),
            ("id", "integer"),
            ("owner_id", "integer"),
        ]
