"""How the schema manager behaves around the plan: dry runs, confirmation, what it leaves
alone, concurrent migrations, repeated creation."""

from __future__ import annotations

import builtins
import io
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import asyncpg
import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    DbSchemaManager,
    DestructiveMigrationError,
    ModelError,
    PgClient,
    bigint,
    enum_column,
    integer,
    text,
)
from linkgress_async.manager import Plan
from tests.integration.helpers import Setup, context, quiet, table


def v1(model: DbModelConfig) -> None:
    table(model, "t", bigint("id").primary_key(), text("a"), text("old"))


def v2(model: DbModelConfig) -> None:
    """Drops t.old (destructive), adds t.b and a table in a new schema."""
    table(model, "t", bigint("id").primary_key(), text("a"), integer("b"))
    table(model, "n", bigint("id").primary_key(), schema="app")


async def start_at_v1(dsn: str) -> None:
    async with context(v1)(PgClient(dsn=dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        await db.query("INSERT INTO t VALUES (1, 'a', 'old value')")


async def still_at_v1(db: DbContext) -> bool:
    rows = await db.query(
        "SELECT old, to_regclass('app.n') IS NULL AS no_n,"
        " NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 't'::regclass"
        "  AND attname = 'b') AS no_b FROM t"
    )
    return [tuple(r.values()) for r in rows] == [("old value", True, True)]


def no_input(prompt: object = "") -> str:
    raise AssertionError(f"input() must not be called: {prompt!r}")


# --- dry run ------------------------------------------------------------------------------


async def test_dry_run_prints_exactly_to_sql_and_applies_nothing(linkgress_dsn: str) -> None:
    await start_at_v1(linkgress_dsn)
    lines: list[str] = []
    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=lines.append)
        plan = await sm.analyze()
        statements = sm.to_sql(plan)
        assert any(op.destructive for op in plan)
        assert await sm.migrate(dry_run=True) == plan
        assert lines[-len(statements) :] == [s + ";" for s in statements]
        assert lines[0] == f"Migration plan ({len(plan)} operations):"
        # Everything before the statements is the numbered plan and the warning.
        assert not [line for line in lines[: -len(statements)] if line.endswith(";")]
        assert await still_at_v1(db)
        assert await sm.analyze() == plan


# --- confirmation -------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "applies"), [("no", False), ("  YES \n", True), ("", False)])
async def test_interactive_prompt_runs_in_a_worker_thread(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch, answer: str, applies: bool
) -> None:
    await start_at_v1(linkgress_dsn)
    prompts: list[tuple[str, bool]] = []

    def fake_input(prompt: object = "") -> str:
        prompts.append((str(prompt), threading.current_thread() is threading.main_thread()))
        time.sleep(0.2)  # the event loop must keep running meanwhile
        return answer

    monkeypatch.setattr(builtins, "input", fake_input)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await anyio.sleep(0.01)
            ticks += 1

    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        async with anyio.create_task_group() as group:
            group.start_soon(tick)
            if applies:
                await sm.migrate(interactive=True)
            else:
                with pytest.raises(DestructiveMigrationError) as raised:
                    await sm.migrate(interactive=True)
                assert [op.type for op in raised.value.operations] == ["drop_column"]
            group.cancel_scope.cancel()
        assert len(prompts) == 1
        prompt, on_main_thread = prompts[0]
        assert not on_main_thread
        assert "yes/no" in prompt
        assert ticks >= 5
        if applies:
            assert await sm.analyze() == []
        else:
            assert await still_at_v1(db)


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty", [False, True])
async def test_interactive_none_asks_only_on_a_tty(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch, tty: bool
) -> None:
    await start_at_v1(linkgress_dsn)
    monkeypatch.setattr(sys, "stdin", FakeTty() if tty else io.StringIO())
    monkeypatch.setattr(builtins, "input", (lambda prompt="": "yes") if tty else no_input)
    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        if tty:
            await sm.migrate()
            assert await sm.analyze() == []
            return
        with pytest.raises(DestructiveMigrationError) as raised:
            await sm.migrate()
        assert "old" in str(raised.value)
        assert [op.describe() for op in raised.value.operations] == ["Drop column 't.old'"]
        assert await still_at_v1(db)


@pytest.mark.parametrize("how", ["allow_destructive", "confirm", "async confirm"])
async def test_destructive_plan_applies_when_allowed(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    await start_at_v1(linkgress_dsn)
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    monkeypatch.setattr(builtins, "input", no_input)
    asked: list[list[str]] = []

    def confirm(ops: list[Any]) -> bool:
        asked.append([op.type for op in ops])
        return True

    async def async_confirm(ops: list[Any]) -> bool:
        return confirm(ops)

    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        if how == "allow_destructive":
            applied = await sm.migrate(allow_destructive=True)
        else:
            applied = await sm.migrate(confirm=confirm if how == "confirm" else async_confirm)
            assert asked == [["drop_column"]]
        assert applied == plan
        assert await sm.analyze() == []
        rows = await db.query("SELECT id, a, b FROM t")
        assert [tuple(r.values()) for r in rows] == [(1, "a", None)]


# --- what auto-migration leaves alone -----------------------------------------------------


async def test_unrelated_schema_is_never_touched(linkgress_dsn: str) -> None:
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        await db.execute(
            "CREATE SCHEMA other; CREATE TYPE other.colour AS ENUM ('red');"
            " CREATE SEQUENCE other.counter; CREATE TABLE other.t (id int PRIMARY KEY,"
            " c other.colour); INSERT INTO other.t VALUES (1, 'red')"
        )
    for setup in (v1, v2):
        async with context(setup)(PgClient(dsn=linkgress_dsn)) as db:
            sm = db.get_schema_manager(out=quiet)
            plan = await sm.analyze()
            assert not [op for op in plan if "other" in op.describe()]
            await sm.migrate(allow_destructive=True)
            assert await sm.analyze() == []
    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).ensure_deleted()
        rows = await db.query(
            "SELECT id, c::text, to_regclass('other.counter') IS NOT NULL AS seq FROM other.t"
        )
        assert [tuple(r.values()) for r in rows] == [(1, "red", True)]


JOURNAL_DDL = (
    "CREATE TABLE {table} (id SERIAL PRIMARY KEY, filename VARCHAR(255) NOT NULL UNIQUE,"
    " applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW());"
    " INSERT INTO {table} (filename) VALUES ('20240101_000000_a.py'), ('20240102_000000_b.py')"
)


@pytest.mark.parametrize(
    ("where", "attributes"),
    [
        ("public.__migrations", {}),
        ("app.journal", {"journal_schema": "app", "journal_table": "journal"}),
    ],
)
async def test_journal_table_is_never_touched(
    linkgress_dsn: str, where: str, attributes: dict[str, str]
) -> None:
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        await db.execute("CREATE SCHEMA app; " + JOURNAL_DDL.format(table=where))
    for setup in (v1, v2):
        async with context(setup, **attributes)(PgClient(dsn=linkgress_dsn)) as db:
            sm = db.get_schema_manager(out=quiet)
            assert not [op for op in await sm.analyze() if "migrations" in op.describe()]
            await sm.migrate(allow_destructive=True)
            assert await sm.analyze() == []
            await sm.ensure_created()
    async with context(v2, **attributes)(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).ensure_deleted()
        rows = await db.query(f"SELECT filename FROM {where} ORDER BY id")
        assert [r["filename"] for r in rows] == ["20240101_000000_a.py", "20240102_000000_b.py"]
    # Without the journal declared, the same table is just another table of a managed schema.
    if where.startswith("app."):
        async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
            kept = await db.get_schema_manager(out=quiet).plan()
            assert [u.describe() for u in kept.unmanaged] == ["table 'app.journal'"]
            plan = await db.get_schema_manager(out=quiet, drop_unmanaged=True).analyze()
            assert [op.describe() for op in plan if op.destructive] == ["Drop table 'app.journal'"]


# --- concurrency --------------------------------------------------------------------------


class RendezvousManager(DbSchemaManager):
    """A manager whose first analysis waits until every manager of the group has planned.

    ``_plan`` is what ``migrate`` (through ``plan``) and ``ensure_created`` both analyse with.
    """

    def __init__(self, db: DbContext, out: Callable[[str], object], group: list[Any]) -> None:
        super().__init__(db, out=out)
        self.group = group
        self.event = anyio.Event()
        group.append(self)

    async def _plan(self, **options: Any) -> Plan:
        result = await super()._plan(**options)
        self.event.set()
        for other in self.group:
            await other.event.wait()
        return result


def status_model(*values: str, default: str) -> Setup:
    def setup(model: DbModelConfig) -> None:
        status = model.enum("status", list(values))
        e = table(model, "t", bigint("id").primary_key(), text("a"), enum_column("s", status))
        e.property("s").has_default_value(default)
        table(model, "n", bigint("id").primary_key(), schema="app")

    return setup


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(v2, id="tables"),
        pytest.param(status_model("x", "y", default="y"), id="enum-value-used-later"),
    ],
)
async def test_concurrent_migrations_apply_the_plan_once(linkgress_dsn: str, target: Setup) -> None:
    async with context(status_model("x", default="x"))(PgClient(dsn=linkgress_dsn)) as db:
        await db.get_schema_manager(out=quiet).migrate()
        await db.query("INSERT INTO t (id, a) VALUES (1, 'kept')")

    outputs: list[list[str]] = [[], []]
    results: list[list[Any]] = [[], []]
    managers: list[Any] = []
    model = context(target)
    databases = [model(PgClient(dsn=linkgress_dsn)) for _ in outputs]
    for db, lines in zip(databases, outputs, strict=True):
        RendezvousManager(db, lines.append, managers)
    try:

        async def run(number: int) -> None:
            results[number] = await managers[number].migrate(allow_destructive=True)

        async with anyio.create_task_group() as group:
            for number in range(len(databases)):
                group.start_soon(run, number)
    finally:
        for db in databases:
            await db.dispose()

    # Exactly one call applies the plan; the other finds it done and reports nothing applied.
    assert sorted(results, key=len)[0] == []
    assert sorted(results, key=len)[1] != []
    notices = [
        lines for lines in outputs if "Another migration applied these changes already." in lines
    ]
    assert len(notices) == 1
    async with model(PgClient(dsn=linkgress_dsn)) as db:
        assert await db.get_schema_manager(out=quiet).analyze() == []
        rows = await db.query("SELECT id, a FROM t")
        assert [tuple(r.values()) for r in rows] == [(1, "kept")]


async def test_concurrent_ensure_created_both_succeed(linkgress_dsn: str) -> None:
    managers: list[Any] = []
    model = context(v2)
    databases = [model(PgClient(dsn=linkgress_dsn)) for _ in range(2)]
    for db in databases:
        RendezvousManager(db, quiet, managers)
    errors: list[Exception] = []

    async def create(manager: DbSchemaManager) -> None:
        try:
            await manager.ensure_created()
        except Exception as error:
            errors.append(error)

    try:
        async with anyio.create_task_group() as group:
            for manager in managers:
                group.start_soon(create, manager)
    finally:
        for db in databases:
            await db.dispose()
    assert errors == []
    async with model(PgClient(dsn=linkgress_dsn)) as db:
        assert await db.get_schema_manager(out=quiet).analyze() == []


# --- repeated creation --------------------------------------------------------------------


async def test_ensure_created_twice_is_harmless(linkgress_dsn: str) -> None:
    hooks: list[int] = []

    async def hook(self: DbContext, client: DbContext) -> None:
        hooks.append(1)
        await client.query("CREATE OR REPLACE VIEW v AS SELECT id FROM t")

    model = context(v2, on_migration_complete=hook)
    async with model(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        first = await sm.ensure_created()
        assert {op.type for op in first} == {"create_schema", "create_table"}
        await db.query("INSERT INTO t (id, a, b) VALUES (1, 'x', 2)")
        assert await sm.ensure_created() == []
        assert await sm.analyze() == []
        assert len(hooks) == 2
        rows = await db.query("SELECT id, a, b FROM t")
        assert [tuple(r.values()) for r in rows] == [(1, "x", 2)]


async def test_ensure_created_only_creates(linkgress_dsn: str) -> None:
    """Existing tables are left as they are, even where they differ from the model."""
    await start_at_v1(linkgress_dsn)
    async with context(v2)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        created = await sm.ensure_created()
        assert [op.describe() for op in created] == ["Create schema 'app'", "Create table 'app.n'"]
        remaining = await sm.analyze()
        assert {op.type for op in remaining} == {"add_column", "drop_column"}
        rows = await db.query("SELECT old FROM t")
        assert [r["old"] for r in rows] == ["old value"]


# --- errors found before anything runs ----------------------------------------------------


def rejected_check(model: DbModelConfig) -> None:
    status = model.enum("status", ["a", "b"])
    table(model, "first", bigint("id").primary_key(), text("x")).property("x").has_default_value(
        "fine"
    )
    e = table(model, "second", bigint("id").primary_key(), enum_column("s", status))
    e.property("s").has_default_value("a")
    e.has_check("ck_second_s", "s <> 'no such value'")


async def test_a_check_the_server_rejects_is_a_model_error(linkgress_dsn: str) -> None:
    async with context(rejected_check)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        with pytest.raises(ModelError, match=r"public\.second.*no such value") as raised:
            await sm.analyze()
        assert isinstance(raised.value.__cause__, asyncpg.InvalidTextRepresentationError)
        with pytest.raises(ModelError):
            await sm.migrate()
        rows = await db.query("SELECT to_regclass('first') IS NULL AS absent")
        assert rows[0]["absent"]
