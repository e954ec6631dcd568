"""The scaffold's safe form: concurrent index builds and NOT VALID constraints, run for real."""

from __future__ import annotations

import ast
from pathlib import Path

from linkgress_async import DbContext, DbModelConfig, PgClient
from linkgress_async.migrations import MigrationRunner, MigrationScaffold
from linkgress_async.model import integer, text
from linkgress_async.plan.hazards import risky_tables
from tests.integration.helpers import quiet
from tests.integration.test_scaffold import ruff_clean

MODELS = "tests.integration.test_scaffold_safe"


class Account:
    id: int


class Event:
    id: int
    account_id: int
    v: str
    n: int


class Note:
    id: int
    event_id: int


def _v1(model: DbModelConfig) -> None:
    with model.entity(Account) as e:
        e.to_table("accounts", schema="app")
        e.property("id").has_type(integer("id").primary_key())
    with model.entity(Event) as e:
        e.to_table("events", schema="app")
        e.property("id").has_type(integer("id").primary_key())
        e.property("account_id").has_type(integer("account_id"))
        e.property("v").has_type(text("v"))
        e.property("n").has_type(integer("n"))


class SafeV1(DbContext):
    """Two tables that will hold rows."""

    def setup_model(self, model: DbModelConfig) -> None:
        _v1(model)


class SafeV2(DbContext):
    """Indexes, a foreign key and a check on the existing table, and a new table with both."""

    def setup_model(self, model: DbModelConfig) -> None:
        _v1(model)
        with model.entity(Event) as e:
            e.has_index("ix_events_v", ["v"])
            e.has_index("ux_events_n", ["n"], unique=True)
            e.has_check("ck_events_n", "n > 0")
            e.has_one("account", Account).with_foreign_key("account_id").with_principal_key("id")
        with model.entity(Note) as e:
            e.to_table("notes", schema="app")
            e.property("id").has_type(integer("id").primary_key())
            e.property("event_id").has_type(integer("event_id"))
            e.has_index("ix_notes_event", ["event_id"])
            e.has_one("event", Event).with_foreign_key("event_id").with_principal_key("id")


async def _fill(db: DbContext, *, duplicate: bool = False) -> None:
    await db.execute("INSERT INTO app.accounts SELECT g FROM generate_series(1, 10) g")
    await db.execute(
        "INSERT INTO app.events SELECT g, g % 10 + 1, 'v' || g, g FROM generate_series(1, 2000) g"
    )
    if duplicate:
        await db.execute("INSERT INTO app.events VALUES (2001, 1, 'dup', 7)")


def _class_body(source: str) -> ast.ClassDef:
    classes = [node for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]
    assert len(classes) == 1
    return classes[0]


async def _state(db: DbContext) -> dict[str, bool]:
    rows = await db.query(
        "SELECT conname AS name, convalidated AS ok FROM pg_constraint"
        " WHERE conrelid = 'app.events'::regclass AND contype IN ('f', 'c')"
        " UNION ALL SELECT c.relname, i.indisvalid FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = 'app.events'::regclass AND NOT i.indisprimary"
    )
    return {row["name"]: row["ok"] for row in rows}


async def test_safe_scaffold_writes_two_files_that_migrate_and_revert(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    async with SafeV1(PgClient(dsn=linkgress_dsn)) as v1:
        await v1.get_schema_manager(out=quiet).ensure_created()
        await _fill(v1)
    async with SafeV2(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=quiet, large_table_rows=0)
        assert {h.code for h in await manager.hazards()} == {
            "index-not-concurrent",
            "foreign-key-not-valid",
            "check-not-valid",
        }
        res = await MigrationScaffold(db, tmp_path).scaffold(MODELS, name="events", safe=True)
        assert res.followup is not None
        later = res.followup
        assert res.paths == [res.path, later.path]
        assert res.filename < later.filename
        assert later.filename.endswith("_events_concurrently.py")
        # Nothing left in either file locks an existing table for long.
        assert risky_tables([*res.operations, *later.operations]) == []

        main, follow = res.path.read_text(), later.path.read_text()
        assert "CONCURRENTLY" not in main
        assert main.count("NOT VALID") >= 2  # the key and the check, not the new table's
        assert 'CREATE INDEX "ix_notes_event"' in main  # the new table is empty
        assert "transactional" not in main
        assert "    transactional = False\n" in follow
        assert 'CREATE INDEX CONCURRENTLY "ix_events_v"' in follow
        assert 'CREATE UNIQUE INDEX CONCURRENTLY "ux_events_n"' in follow
        assert follow.count("DROP INDEX CONCURRENTLY IF EXISTS") == 4  # 2 in up, 2 in down
        assert 'VALIDATE CONSTRAINT "FK_events_accounts"' in follow
        assert 'VALIDATE CONSTRAINT "ck_events_n"' in follow
        assert "VALIDATE" not in follow[follow.index("async def down") :]
        assert _class_body(follow).name == "EventsConcurrently"
        for path in res.paths:
            await ruff_clean(path)

        runner = MigrationRunner(db, tmp_path, verbose=False)
        result = await runner.up()
        assert result.applied == [res.filename, later.filename], result.failed
        assert await manager.analyze() == []
        assert await _state(db) == {
            "FK_events_accounts": True,
            "ck_events_n": True,
            "ix_events_v": True,
            "ux_events_n": True,
        }

        reverted = await runner.down(2, allow_destructive=True)
        assert reverted.applied == [later.filename, res.filename], reverted.failed
        assert await _state(db) == {}
    async with SafeV1(PgClient(dsn=linkgress_dsn)) as v1:
        assert await v1.get_schema_manager(out=quiet).analyze() == []


async def test_failed_concurrent_build_can_run_again(linkgress_dsn: str, tmp_path: Path) -> None:
    async with SafeV1(PgClient(dsn=linkgress_dsn)) as v1:
        await v1.get_schema_manager(out=quiet).ensure_created()
        await _fill(v1, duplicate=True)
    async with SafeV2(PgClient(dsn=linkgress_dsn)) as db:
        res = await MigrationScaffold(db, tmp_path).scaffold(MODELS, name="events", safe=True)
        assert res.followup is not None
        runner = MigrationRunner(db, tmp_path, verbose=False)
        result = await runner.up()
        assert result.failed is not None
        assert result.failed.filename == res.followup.filename
        assert "ux_events_n" in str(result.failed.error)
        assert await runner.get_applied() == [res.filename]
        # The duplicate made the unique build fail and leave an invalid index behind.
        assert (await _state(db)).get("ux_events_n") is False

        await db.execute("DELETE FROM app.events WHERE id = 2001")
        await runner.resolve(res.followup.filename, applied=False)
        result = await runner.up()
        assert result.applied == [res.followup.filename], result.failed
        assert await db.get_schema_manager(out=quiet).analyze() == []
        assert (await _state(db))["ux_events_n"] is True
