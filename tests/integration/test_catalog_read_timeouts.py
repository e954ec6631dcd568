"""The catalog read is not cut by a role's or database's ``statement_timeout`` or
``lock_timeout``.

Such a limit is meant for the application's queries; the catalog read grows with the catalog
(seconds at 10,000 tables) and waits while a view's table is locked (the server takes a lock
on a view's tables to print its definition). It runs without the limits, as pg_dump does; a
server that stops answering is the watchdog's to notice (``test_faults*.py``).
"""

from __future__ import annotations

import anyio
import asyncpg
import pytest

from linkgress_async import PgClient
from linkgress_async.errors import StatementTimeoutError
from linkgress_async.introspect import introspect_connection
from linkgress_async.testing import DatabaseFactory

from .helpers import quiet
from .models import AppDatabase

LIMIT_S = 0.5

CANCEL_THE_WAITING = (
    "SELECT pg_catalog.pg_cancel_backend(pid) FROM pg_catalog.pg_stat_activity"
    " WHERE datname = pg_catalog.current_database() AND wait_event_type = 'Lock' LIMIT 1"
)


@pytest.mark.parametrize("limit", ["statement_timeout", "lock_timeout", "transaction_timeout"])
async def test_a_timeout_of_the_database_does_not_cut_the_catalog_read(
    linkgress_databases: DatabaseFactory, limit: str
) -> None:
    dsn = await linkgress_databases.create()
    admin = await asyncpg.connect(dsn)
    holder = await asyncpg.connect(dsn)
    db = AppDatabase(PgClient(dsn))
    try:
        await admin.execute(
            "CREATE TABLE public.side (id integer);"
            " CREATE VIEW public.side_ids AS SELECT id FROM public.side;"
        )
        if await admin.fetchval("SELECT pg_catalog.current_setting($1, true)", limit) is None:
            pytest.skip(f"{limit} is new in PostgreSQL 17")
        database = await admin.fetchval("SELECT pg_catalog.current_database()")
        await admin.execute(f"ALTER DATABASE \"{database}\" SET {limit} = '{LIMIT_S}s'")
        manager = db.get_schema_manager(out=quiet)
        await holder.execute(
            f"SET {limit} = 0; BEGIN; LOCK TABLE public.side IN ACCESS EXCLUSIVE MODE"
        )
        # The limit is in force for the application's own statements.
        application = await asyncpg.connect(dsn)
        try:
            with pytest.raises(
                (
                    asyncpg.QueryCanceledError,  # statement_timeout
                    asyncpg.LockNotAvailableError,  # lock_timeout
                    asyncpg.ConnectionDoesNotExistError,  # transaction_timeout ends the session
                )
            ):
                await application.fetch("SELECT pg_catalog.pg_sleep(1), * FROM public.side")
        finally:
            await application.close()
        async with anyio.create_task_group() as tasks:

            async def release_later() -> None:
                await anyio.sleep(LIMIT_S * 3)
                await holder.execute("ROLLBACK")

            tasks.start_soon(release_later)
            started = anyio.current_time()
            with anyio.fail_after(60):
                operations = await manager.analyze()
            waited = anyio.current_time() - started
        # It waited for the lock, past the limit, and then read the model's tables as missing.
        assert waited > LIMIT_S * 2
        assert operations
        assert await manager.migrate() != []
        assert await manager.analyze() == []
    finally:
        await db.dispose()
        await holder.close()
        await admin.close()


async def test_a_cancelled_statement_is_our_error_naming_the_causes(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await linkgress_databases.create()
    admin = await asyncpg.connect(dsn)
    holder = await asyncpg.connect(dsn)
    db = AppDatabase(PgClient(dsn))
    try:
        await admin.execute(
            "CREATE TABLE public.side (id integer);"
            " CREATE VIEW public.side_ids AS SELECT id FROM public.side;"
        )
        await holder.execute("BEGIN; LOCK TABLE public.side IN ACCESS EXCLUSIVE MODE")
        manager = db.get_schema_manager(out=quiet)
        errors: list[BaseException] = []

        async def analyze() -> None:
            try:
                await manager.analyze()
            except Exception as error:
                errors.append(error)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(analyze)
            # An administrator cancels the catalog read waiting for the lock.
            for _ in range(1500):
                if await admin.fetchval(CANCEL_THE_WAITING):
                    break
                await anyio.sleep(0.02)
            else:
                raise AssertionError("the catalog read never waited for the lock")
        [error] = errors
        assert isinstance(error, StatementTimeoutError), repr(error)
        message = str(error)
        assert "The server cancelled a statement of analysing the database" in message
        assert "canceling statement due to user request" in message
        assert "statement_timeout" in message
        assert "pg_cancel_backend" in message
        await holder.execute("ROLLBACK")
        assert await manager.analyze()  # nothing is left half-done
    finally:
        await db.dispose()
        await holder.close()
        await admin.close()


async def test_inside_a_migration_transaction_the_read_keeps_its_lock_timeout(
    linkgress_databases: DatabaseFactory,
) -> None:
    # The re-check under the migration lock reads in the migration's transaction, whose
    # lock_timeout bounds every lock wait while the migration lock is held; a read in a
    # transaction of its own waits as pg_dump does, whatever the database's lock_timeout.
    dsn = await linkgress_databases.create()
    admin = await asyncpg.connect(dsn)
    holder = await asyncpg.connect(dsn)
    reader = await asyncpg.connect(dsn)
    try:
        await admin.execute(
            "CREATE TABLE public.side (id integer);"
            " CREATE VIEW public.side_ids AS SELECT id FROM public.side;"
        )
        database = await admin.fetchval("SELECT pg_catalog.current_database()")
        await admin.execute(f"ALTER DATABASE \"{database}\" SET lock_timeout = '{LIMIT_S}s'")
        await holder.execute("BEGIN; LOCK TABLE public.side IN ACCESS EXCLUSIVE MODE")
        async with reader.transaction():
            await reader.execute("SET LOCAL lock_timeout = '100ms'")
            with anyio.fail_after(30), pytest.raises(asyncpg.LockNotAvailableError):
                await introspect_connection(reader, ["public"])
        async with anyio.create_task_group() as tasks:

            async def release_later() -> None:
                await anyio.sleep(LIMIT_S * 3)
                await holder.execute("ROLLBACK")

            tasks.start_soon(release_later)
            with anyio.fail_after(60):
                catalog = await introspect_connection(reader, ["public"])
        assert [view.name for view in catalog.views] == ["side_ids"]
    finally:
        await reader.close()
        await holder.close()
        await admin.close()
