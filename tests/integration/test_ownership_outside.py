"""What lies outside the model's schemas is never the model's to drop, so what it uses stays.

The round-trip property test found it: a model whose trigger on ``app.t`` calls
``public.stamp()``, migrated with ``drop_unmanaged=True`` to a model that no longer names the
schema ``app``, dropped ``stamp()`` under the trigger it could not see
(``DependentObjectsStillExist``). The live database's dependencies now name the objects
outside the model's schemas that use something in them, and that something is kept.
"""

from __future__ import annotations

import asyncpg

from linkgress_async import DbModelConfig, PgClient, integer
from tests.integration.helpers import context, quiet, table

STAMP = "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"


def with_trigger_elsewhere(model: DbModelConfig) -> None:
    stamp = model.function("stamp", STAMP)
    entity = table(model, "t", integer("id").primary_key(), schema="app")
    entity.has_trigger("t_stamp", stamp, timing="before", events="insert", for_each="row")
    table(model, "listed", integer("id").primary_key())
    model.view("listed_ids", "SELECT id FROM public.listed", schema="app")


def public_only(model: DbModelConfig) -> None:
    table(model, "u", integer("id").primary_key())


async def test_drop_unmanaged_keeps_what_other_schemas_use(linkgress_dsn: str) -> None:
    async with context(with_trigger_elsewhere)(PgClient(dsn=linkgress_dsn, max_size=2)) as db:
        await db.get_schema_manager(out=quiet).ensure_created()
    async with context(public_only)(PgClient(dsn=linkgress_dsn, max_size=2)) as db:
        manager = db.get_schema_manager(out=quiet, drop_unmanaged=True)
        plan = await manager.plan()
        assert [op.describe() for op in plan.operations] == ["Create table 'u'"]
        assert sorted(item.describe() for item in plan.unmanaged) == [
            "function 'public.stamp' (used by kept 'app.t' outside the model's schemas)",
            "table 'public.listed' (used by kept 'app.listed_ids' outside the model's schemas)",
        ]
        await manager.migrate(allow_destructive=True)
        assert await manager.analyze() == []
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        await conn.execute("INSERT INTO app.t VALUES (1)")  # the trigger still runs
        assert await conn.fetchval("SELECT count(*) FROM app.listed_ids") == 0
    finally:
        await conn.close()
