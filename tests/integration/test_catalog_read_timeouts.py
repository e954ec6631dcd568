"""The catalog read is not cut by a role's or database's ``statement_timeout``,
``lock_timeout`` or ``transaction_timeout``.

Such a limit is meant for the application's queries; the catalog read grows with the catalog
(seconds at 10,000 tables) and waits while a view's table is locked (the server takes a lock
on a view's tables to print its definition). It runs without the limits, as pg_dump does; a
server that stops answering is the watchdog's to notice (``test_faults*.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import asyncpg
import attrs
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


@attrs.frozen
class LockedView:
    """A database with a view on ``public.side``, and a session that can lock that table."""

    dsn: str
    admin: asyncpg.Connection
    holder: asyncpg.Connection

    async def limit(self, setting: str) -> None:
        """Set ``setting`` to LIMIT_S for every new session of the database."""
        database = await self.admin.fetchval("SELECT pg_catalog.current_database()")
        await self.admin.execute(f"ALTER DATABASE \"{database}\" SET {setting} = '{LIMIT_S}s'")

    async def lock(self, exempt: str | None = None) -> None:
        """Lock the view's table in a transaction of the holder (``exempt`` from a limit)."""
        exemption = f"SET {exempt} = 0; " if exempt else ""
        await self.holder.execute(
            f"{exemption}BEGIN; LOCK TABLE public.side IN ACCESS EXCLUSIVE MODE"
        )

    async def while_locked_for(
        self, seconds: float, read: Callable[[], Awaitable[object]]
    ) -> float:
        """Run ``read`` while the table stays locked for ``seconds``; how long it took."""
        async with anyio.create_task_group() as tasks:

            async def release_later() -> None:
                await anyio.sleep(seconds)
                await self.holder.execute("ROLLBACK")

            tasks.start_soon(release_later)
            started = anyio.current_time()
            with anyio.fail_after(60):
                await read()
            return anyio.current_time() - started


@pytest.fixture
async def locked_view(linkgress_databases: DatabaseFactory) -> AsyncIterator[LockedView]:
    dsn = await linkgress_databases.create()
    admin = await asyncpg.connect(dsn)
    holder = await asyncpg.connect(dsn)
    try:
        await admin.execute(
            "CREATE TABLE public.side (id integer);"
            " CREATE VIEW public.side_ids AS SELECT id FROM public.side;"
        )
        yield LockedView(dsn, admin, holder)
    finally:
        await holder.close()
        await admin.close()


@pytest.mark.parametrize("limit", ["statement_timeout", "lock_timeout", "transaction_timeout"])
async def test_a_timeout_of_the_database_does_not_cut_the_catalog_read(
    locked_view: LockedView, limit: str
) -> None:
    if (
        await locked_view.admin.fetchval("SELECT pg_catalog.current_setting($1, true)", limit)
        is None
    ):
        pytest.skip(f"{limit} is new in PostgreSQL 17")
    await locked_view.limit(limit)
    await locked_view.lock(exempt=limit)
    # The limit is in force for the application's own statements.
    application = await asyncpg.connect(locked_view.dsn)
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
    db = AppDatabase(PgClient(locked_view.dsn))
    try:
        manager = db.get_schema_manager(out=quiet)
        operations: list[object] = []

        async def analyze() -> None:
            operations.extend(await manager.analyze())

        waited = await locked_view.while_locked_for(LIMIT_S * 3, analyze)
        # It waited for the lock, past the limit, and then read the model's tables as missing.
        assert waited > LIMIT_S * 2
        assert operations
        assert await manager.migrate() != []
        assert await manager.analyze() == []
    finally:
        await db.dispose()


async def test_a_cancelled_statement_is_our_error_naming_the_causes(
    locked_view: LockedView,
) -> None:
    await locked_view.lock()
    db = AppDatabase(PgClient(locked_view.dsn))
    try:
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
                if await locked_view.admin.fetchval(CANCEL_THE_WAITING):
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
        await locked_view.holder.execute("ROLLBACK")
        assert await manager.analyze()  # nothing is left half-done
    finally:
        await db.dispose()


async def test_inside_a_migration_transaction_the_read_keeps_its_lock_timeout(
    locked_view: LockedView,
) -> None:
    # The re-check under the migration lock reads in the migration's transaction, whose
    # lock_timeout bounds every lock wait while the migration lock is held; a read in a
    # transaction of its own waits as pg_dump does, whatever the database's lock_timeout.
    await locked_view.limit("lock_timeout")
    await locked_view.lock()
    reader = await asyncpg.connect(locked_view.dsn)
    try:
        async with reader.transaction():
            await reader.execute("SET LOCAL lock_timeout = '100ms'")
            with anyio.fail_after(30), pytest.raises(asyncpg.LockNotAvailableError):
                await introspect_connection(reader, ["public"])
        catalogs = []

        async def read() -> None:
            catalogs.append(await introspect_connection(reader, ["public"]))

        await locked_view.while_locked_for(LIMIT_S * 3, read)
        assert [view.name for view in catalogs[0].views] == ["side_ids"]
    finally:
        await reader.close()
