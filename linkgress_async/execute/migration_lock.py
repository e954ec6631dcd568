"""The migration lock around applying a plan: the transaction holding it, and whether it is free."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from linkgress_async._clean_release import left_clean
from linkgress_async._locks import MIGRATE_LOCK_KEY
from linkgress_async.client import AnyConnection, PgClient
from linkgress_async.errors import MigrationLockTimeoutError, SchemaApplyError
from linkgress_async.execute.retry import LockPolicy
from linkgress_async.execute.session import MigrationSession, TransactionWasEnded

__all__ = ["migration_lock_free", "migration_transaction"]


@asynccontextmanager
async def migration_transaction(
    session: MigrationSession,
    policy: LockPolicy,
    migration_lock_timeout: float | None,
    out: Callable[[str], object],
) -> AsyncIterator[AnyConnection]:
    """The migration's transaction, holding the migration lock (waiting for it up to
    ``migration_lock_timeout``); ends in bounded time and reports what it applied."""

    def waited_too_long() -> Exception:
        return MigrationLockTimeoutError(
            "Another migration of this database held the migration lock for more than "
            f"migration_lock_timeout={migration_lock_timeout:g} s; nothing was "
            "applied. Wait for it to finish, or raise migration_lock_timeout"
        )

    try:
        async with session.transaction(
            policy,
            lock_key=MIGRATE_LOCK_KEY,
            lock_wait=migration_lock_timeout,
            on_wait=lambda: out("Waiting for another migration to finish ..."),
            timeout_error=waited_too_long,
            what="the schema migration",
        ) as conn:
            yield conn
    except TransactionWasEnded as ended:
        raise SchemaApplyError(
            "A migration hook (on_migration_start or on_migration_complete) ran COMMIT or "
            "ROLLBACK itself, ending the migration's "
            "transaction: what ran before it may be committed without the rest. Check the "
            "database with analyze(), and use db.transaction() (a savepoint) in the hook "
            "instead"
        ) from ended


async def migration_lock_free(client: PgClient) -> bool:
    """Whether no migration holds the migration lock now (one round trip)."""
    pool = await client.connect()
    async with pool.acquire() as conn:
        free = bool(
            await conn.fetchval(
                "SELECT pg_catalog.pg_try_advisory_xact_lock_shared($1)", MIGRATE_LOCK_KEY
            )
        )
        # Its implicit transaction ended with the statement, and the lock with it.
        left_clean(conn)
    return free
