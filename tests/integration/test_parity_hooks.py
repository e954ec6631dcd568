"""Linkgress parity: ``on_migration_start`` runs before the plan, in its transaction, and
both hooks may ask for the operations (to skip work when nothing changed)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    MigrationOperation,
    PgClient,
    SchemaApplyError,
    bigint,
    text,
)
from tests.integration.helpers import quiet, table


def accounts(model: DbModelConfig) -> None:
    table(model, "accounts", bigint("id").primary_key(), text("name"))


class Hooked(DbContext):
    """Records what each hook saw; the start hook creates what the plan's table will use."""

    calls: list[tuple[str, tuple[str, ...] | None]]

    def setup_model(self, model: DbModelConfig) -> None:
        accounts(model)

    async def on_migration_start(
        self, client: DbContext, operations: Sequence[MigrationOperation] = ()
    ) -> None:
        self.calls.append(("start", tuple(op.type for op in operations)))
        # Runs before the plan: the table does not exist yet.
        [row] = await client.query("SELECT to_regclass('public.accounts') IS NULL AS missing")
        self.calls.append(("accounts missing", (str(row["missing"]),)))

    async def on_migration_complete(self, client: DbContext, **options: object) -> None:
        done = options["operations"]
        assert isinstance(done, tuple)
        self.calls.append(("complete", tuple(op.type for op in done)))


class OldStyle(DbContext):
    """Hooks with the one-argument signature keep working."""

    seen: list[str]

    def setup_model(self, model: DbModelConfig) -> None:
        accounts(model)

    async def on_migration_start(self, client: DbContext) -> None:
        self.seen.append("start")

    async def on_migration_complete(self, client: DbContext) -> None:
        self.seen.append("complete")


async def test_start_hook_runs_before_the_plan_and_both_hooks_see_the_operations(
    linkgress_dsn: str,
) -> None:
    async with Hooked(PgClient(dsn=linkgress_dsn)) as db:
        db.calls = []
        manager = db.get_schema_manager(out=quiet)
        await manager.migrate()
        assert db.calls == [
            ("start", ("create_table",)),
            ("accounts missing", ("True",)),
            ("complete", ("create_table",)),
        ]
        db.calls = []
        assert await manager.migrate() == []
        # Nothing to apply: the hooks still run, told so by an empty list.
        assert db.calls == [("start", ()), ("accounts missing", ("False",)), ("complete", ())]


async def test_old_signature_hooks_run_in_order_on_migrate_and_ensure_created(
    linkgress_dsn: str,
) -> None:
    async with OldStyle(PgClient(dsn=linkgress_dsn)) as db:
        db.seen = []
        await db.get_schema_manager(out=quiet).ensure_created()
        await db.get_schema_manager(out=quiet).migrate()
        assert db.seen == ["start", "complete", "start", "complete"]


class FailingStart(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        accounts(model)

    async def on_migration_start(self, client: DbContext) -> None:
        await client.query("CREATE TABLE public.side_effect (x int)")
        raise RuntimeError("start hook failed")


async def test_a_failing_start_hook_rolls_back_with_the_plan(linkgress_dsn: str) -> None:
    async with FailingStart(PgClient(dsn=linkgress_dsn)) as db:
        with pytest.raises((RuntimeError, SchemaApplyError)):
            await db.get_schema_manager(out=quiet).migrate()
        [row] = await db.query(
            "SELECT to_regclass('public.side_effect') IS NULL"
            " AND to_regclass('public.accounts') IS NULL AS clean"
        )
        assert row["clean"]
