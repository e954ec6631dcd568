"""An index the server does not use (``indisvalid`` false, as a failed ``CREATE INDEX
CONCURRENTLY`` leaves it) is not the model's index: the plan says so and builds it again."""

from __future__ import annotations

import contextlib

import asyncpg

from linkgress_async import DbModelConfig, PgClient, bigint, text
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import context, quiet, table


def _model(model: DbModelConfig) -> None:
    entity = table(model, "items", bigint("id").primary_key(), text("code"))
    entity.has_index("ix_items_code", ["code"], unique=True)


Items = context(_model)


async def test_a_failed_concurrent_build_is_seen_and_built_again(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await linkgress_databases.create()
    async with Items(PgClient(dsn=dsn, max_size=2)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.ensure_created()
        await db.execute('DROP INDEX "ix_items_code"')
        await db.execute("INSERT INTO items VALUES (1, 'a'), (2, 'a')")
        conn = await asyncpg.connect(dsn)
        try:
            # Duplicates: the build fails and leaves its index behind, invalid.
            with contextlib.suppress(asyncpg.UniqueViolationError):
                await conn.execute(
                    'CREATE UNIQUE INDEX CONCURRENTLY "ix_items_code" ON items (code)'
                )
            valid = await conn.fetchval(
                "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_items_code'::regclass"
            )
        finally:
            await conn.close()
        assert valid is False

        planned = [op.describe() for op in await manager.analyze()]
        assert planned == [
            "Drop index 'ix_items_code' on 'items' (invalid: the server does not use it)",
            "Create unique index 'ix_items_code' on 'items'",
        ], planned

        await db.execute("DELETE FROM items WHERE id = 2")
        await manager.migrate()
        assert await manager.analyze() == []
        (row,) = await db.query(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_items_code'::regclass"
        )
        assert row["indisvalid"] is True
