"""migrate(online=True): the plan in phases, each holding its locks briefly; same result."""

from __future__ import annotations

import asyncpg
import pytest

from linkgress_async.online import not_null_check_name
from linkgress_async.online.state import latest
from linkgress_async.testing import DatabaseFactory
from tests.integration.online_support import execute, online_context

BASE = """
CREATE SCHEMA app;
CREATE TABLE app.owners (id int PRIMARY KEY);
CREATE TABLE app.items (id int PRIMARY KEY, owner_id int, code text, qty int);
"""

START = (
    BASE
    + """
CREATE INDEX ix_items_qty ON app.items (qty);
INSERT INTO app.owners SELECT g FROM generate_series(1, 10) g;
INSERT INTO app.items SELECT g, 1 + g % 10, 'c' || g, g % 7 FROM generate_series(1, 2000) g;
"""
)

TARGET = (
    BASE
    + """
ALTER TABLE app.items ALTER COLUMN code SET NOT NULL;
ALTER TABLE app.items ADD CONSTRAINT items_owner_fk FOREIGN KEY (owner_id)
    REFERENCES app.owners (id);
ALTER TABLE app.items ADD CONSTRAINT items_qty_check CHECK (qty >= 0);
CREATE INDEX ix_items_code ON app.items (code);
CREATE TABLE app.tags (id int PRIMARY KEY, name text NOT NULL);
"""
)


async def _constraints(db: object) -> dict[str, bool]:
    rows = await db.query(  # type: ignore[attr-defined]
        "SELECT conname, convalidated FROM pg_constraint"
        " WHERE conrelid = 'app.items'::regclass AND contype IN ('c', 'f')"
    )
    return {row["conname"]: row["convalidated"] for row in rows}


async def _indexes(db: object) -> dict[str, bool]:
    rows = await db.query(  # type: ignore[attr-defined]
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = 'app.items'::regclass"
    )
    return {row["relname"]: row["indisvalid"] for row in rows}


async def test_online_migrate_applies_the_plan_in_phases(
    linkgress_databases: DatabaseFactory,
) -> None:
    db, _ = await online_context(linkgress_databases, START, TARGET)
    lines: list[str] = []
    async with db:
        manager = db.get_schema_manager(out=lines.append)
        applied = await manager.migrate(online=True, allow_destructive=True)
        assert applied
        phases = [line for line in lines if line.startswith("Phase ")]
        kinds = " | ".join(phases)
        # The catalog first, then the drop and the build, then validations, then NOT NULL.
        assert phases[0].startswith("Phase 1/7: Catalog changes"), kinds
        assert "Drop index 'app.items' " not in kinds
        assert "Drop index 'ix_items_qty'" in phases[1], kinds
        assert "ix_items_code" in phases[2], kinds
        assert "concurrently" in phases[2], kinds
        validated = " ".join(phases[3:6])
        for name in ("items_owner_fk", "items_qty_check", not_null_check_name("items", "code")):
            assert name in validated, kinds
        assert all(": Validate " in phase for phase in phases[3:6]), kinds
        assert "Set NOT NULL" in phases[6], kinds
        assert lines[-1].startswith("Online migration complete"), lines[-1]

        assert await db.get_schema_manager(out=lines.append).analyze() == []
        assert await _constraints(db) == {"items_owner_fk": True, "items_qty_check": True}
        assert await _indexes(db) == {"items_pkey": True, "ix_items_code": True}
        assert (await db.query("SELECT count(*) AS n FROM app.items"))[0]["n"] == 2000
        async with db.client.acquire() as conn:
            record = await latest(conn, "public")
        assert record is not None
        assert record.status == "finished"
        assert record.done == len(record.phases) == 7

        # Nothing left: a second run plans nothing and records nothing new.
        assert await manager.migrate(online=True) == []


async def test_dry_run_prints_the_phases_and_changes_nothing(
    linkgress_databases: DatabaseFactory,
) -> None:
    db, _ = await online_context(linkgress_databases, START, TARGET)
    lines: list[str] = []
    async with db:
        manager = db.get_schema_manager(out=lines.append)
        await manager.migrate(online=True, dry_run=True)
        text = "\n".join(lines)
        assert "Online plan: 7 phases:" in text
        assert 'CREATE INDEX CONCURRENTLY "ix_items_code"' in text
        assert "NOT VALID" in text
        assert "VALIDATE CONSTRAINT" in text
        assert len(await manager.analyze()) == len(await manager.analyze()) > 0
        assert await _indexes(db) == {"items_pkey": True, "ix_items_qty": True}


async def test_an_invalid_index_left_by_a_failed_build_is_rebuilt(
    linkgress_databases: DatabaseFactory,
) -> None:
    target = BASE + "CREATE INDEX ix_items_code ON app.items (code);"
    db, dsn = await online_context(linkgress_databases, START, target)
    # A concurrent unique build fails on duplicates and leaves its index behind, invalid.
    await execute(dsn, "UPDATE app.items SET code = 'same' WHERE id <= 2")
    with pytest.raises(asyncpg.UniqueViolationError):
        await execute(dsn, "CREATE UNIQUE INDEX CONCURRENTLY ix_items_code ON app.items (code)")
    lines: list[str] = []
    async with db:
        assert (await _indexes(db))["ix_items_code"] is False
        manager = db.get_schema_manager(out=lines.append)
        await manager.migrate(online=True, allow_destructive=True)
        assert any("'app.ix_items_code' is invalid" in line for line in lines), lines
        assert (await _indexes(db))["ix_items_code"] is True
        (row,) = await db.query(
            "SELECT indisunique FROM pg_index WHERE indexrelid = 'app.ix_items_code'::regclass"
        )
        assert row["indisunique"] is False  # as declared
        assert await manager.analyze() == []
