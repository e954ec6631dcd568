"""Property, online: for random models A and B, creating A and migrating to B with
``migrate(online=True)`` leaves nothing to do, as the offline plan does."""

from __future__ import annotations

from hypothesis import given, settings

from linkgress_async import PgClient
from linkgress_async.testing import DatabaseFactory
from tests.integration.random_models import ModelSpec, context_for, model_specs
from tests.integration.test_roundtrip_property import (
    ROUNDTRIP,
    _create_role,
    migrate_unless_blocked,
)


@settings(ROUNDTRIP, max_examples=30)
@given(a=model_specs(), b=model_specs())
async def test_create_then_migrate_online_leaves_nothing_to_do(
    linkgress_databases: DatabaseFactory, a: ModelSpec, b: ModelSpec
) -> None:
    dsn = await linkgress_databases.create()
    await _create_role(dsn)
    quiet = {"out": lambda line: None}
    async with context_for(a)(PgClient(dsn=dsn, max_size=4)) as db_a:
        await db_a.get_schema_manager(**quiet).ensure_created()
    async with context_for(b)(PgClient(dsn=dsn, max_size=4)) as db_b:
        manager = db_b.get_schema_manager(**quiet, drop_unmanaged=True)
        await migrate_unless_blocked(manager, a, online=True)
        assert await manager.analyze() == []
        # No helper object of the online run is left behind.
        (row,) = await db_b.query(
            "SELECT count(*) AS n FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE a.attname LIKE '%\\_\\_lg\\_online' AND NOT a.attisdropped"
        )
        assert row["n"] == 0
