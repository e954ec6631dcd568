"""Property: for random models A and B, creating A and migrating to B leaves nothing to do."""

from __future__ import annotations

from typing import Any

import asyncpg
from hypothesis import HealthCheck, given, reject, settings

from linkgress_async import DbSchemaManager, PgClient
from linkgress_async.errors import EnumRebuildBlockedError
from linkgress_async.testing import DatabaseFactory
from tests.integration.random_models import ROLE, ModelSpec, context_for, model_specs, renamed

ROUNDTRIP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


async def _create_role(dsn: str) -> None:
    """The role the random models grant to (once per server: roles are the cluster's)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            f"DO $$ BEGIN CREATE ROLE {ROLE}; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
    finally:
        await conn.close()


async def migrate_unless_blocked(manager: DbSchemaManager, a: ModelSpec, **options: Any) -> None:
    """``migrate(**options)``; a plan refused because A's table, now outside the model's
    schemas, defaults to an enum value the model removes is a true refusal: checked, then
    the example is rejected."""
    try:
        await manager.migrate(allow_destructive=True, **options)
    except EnumRebuildBlockedError as error:
        refusal = str(error)
    else:
        return
    outside = [t for t in a.tables if t.schema not in manager.model.schemas]
    assert any(c.kind == "enum" and c.required for t in outside for c in t.columns), refusal
    assert "columns outside the model's schemas use it" in refusal
    reject()


@ROUNDTRIP
@given(a=model_specs(), b=model_specs())
async def test_create_then_migrate_leaves_nothing_to_do(
    linkgress_databases: DatabaseFactory, a: ModelSpec, b: ModelSpec
) -> None:
    dsn = await linkgress_databases.create()
    await _create_role(dsn)
    quiet = {"out": lambda line: None}
    async with context_for(a)(PgClient(dsn=dsn, max_size=4)) as db_a:
        manager = db_a.get_schema_manager(**quiet)
        await manager.ensure_created()
        assert await manager.analyze() == []
    async with context_for(b)(PgClient(dsn=dsn, max_size=4)) as db_b:
        manager = db_b.get_schema_manager(**quiet, drop_unmanaged=True)
        await migrate_unless_blocked(manager, a)
        assert await manager.analyze() == []


@settings(ROUNDTRIP, max_examples=20)
@given(a=model_specs())
async def test_renaming_everything_is_only_renames(
    linkgress_databases: DatabaseFactory, a: ModelSpec
) -> None:
    """Every enum, table and column renamed with a hint: renames only, and the rerun is empty."""
    dsn = await linkgress_databases.create()
    await _create_role(dsn)
    quiet = {"out": lambda line: None}
    async with context_for(a)(PgClient(dsn=dsn, max_size=4)) as db_a:
        await db_a.get_schema_manager(**quiet).ensure_created()
    async with context_for(renamed(a, "2"), "2")(PgClient(dsn=dsn, max_size=4)) as db_b:
        manager = db_b.get_schema_manager(**quiet)
        applied = await manager.migrate()
        assert {op.type.split("_")[0] for op in applied} == {"rename"}
        assert await manager.analyze() == []
