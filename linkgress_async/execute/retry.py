"""Lock safety for DDL: a bounded ``lock_timeout`` and retries with back-off.

``ALTER TABLE`` waits for an ACCESS EXCLUSIVE lock; while it waits behind a long transaction,
every later query on that table queues behind it, so a migration can stall production
traffic. Each migration transaction therefore sets ``lock_timeout`` (SET LOCAL), gives up
quickly when the lock is not free (SQLSTATE 55P03, ``asyncpg.LockNotAvailableError``) and
retries the whole transaction a bounded number of times, waiting an exponentially growing,
jittered delay in between. A transaction the server chose as a deadlock victim (40P01,
``asyncpg.DeadlockDetectedError``) was rolled back whole too, and is retried the same way.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import asyncpg
from attrs import frozen

from linkgress_async.client import AnyConnection, PgClient
from linkgress_async.errors import (
    ConnectionLostError,
    DeadlockError,
    SchemaApplyError,
    TableLockTimeoutError,
    UnresolvedMigrationError,
    caused_by,
)

__all__ = [
    "DEFAULT_LOCK_RETRIES",
    "DEFAULT_LOCK_TIMEOUT",
    "LockPolicy",
    "describe_lock_holders",
    "is_deadlock",
    "is_lock_timeout",
    "run_with_lock_retries",
]

T = TypeVar("T")

DEFAULT_LOCK_TIMEOUT = 5.0
DEFAULT_LOCK_RETRIES = 3


@frozen
class LockPolicy:
    """How long one statement may wait for a lock, and how often a transaction is retried.

    ``lock_timeout`` is in seconds; ``None`` or ``0`` waits forever (PostgreSQL's default).
    The delay before retry ``n`` (0-based) is uniform in ``[0, min(max_delay, base_delay*2**n)]``
    ("full jitter"), so retrying processes do not line up behind the same lock again.
    """

    lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT
    retries: int = DEFAULT_LOCK_RETRIES
    base_delay: float = 0.2
    max_delay: float = 5.0

    def __attrs_post_init__(self) -> None:
        if self.lock_timeout is not None and self.lock_timeout < 0:
            raise ValueError("lock_timeout must be None or a number of seconds >= 0")
        if self.retries < 0:
            raise ValueError("lock_retries must be 0 or more")

    @property
    def setting(self) -> str:
        """The value of PostgreSQL's ``lock_timeout`` setting, in milliseconds ('0' = off)."""
        if not self.lock_timeout:
            return "0"
        return str(max(1, round(self.lock_timeout * 1000)))

    def delay(self, attempt: int) -> float:
        """The back-off before retrying after failed attempt ``attempt`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        # Jitter only spreads retries apart; it needs no cryptographic randomness.
        return random.uniform(0, ceiling)

    async def apply_local(self, conn: AnyConnection) -> None:
        """Set ``lock_timeout`` for the rest of ``conn``'s current transaction."""
        await conn.execute("SELECT set_config('lock_timeout', $1, true)", self.setting)


def is_lock_timeout(error: BaseException) -> bool:
    """Whether ``error`` is, or was caused by, SQLSTATE 55P03 (lock_not_available)."""
    return caused_by(error, asyncpg.LockNotAvailableError)


def is_deadlock(error: BaseException) -> bool:
    """Whether ``error`` is, or was caused by, SQLSTATE 40P01 (deadlock_detected)."""
    return caused_by(error, asyncpg.DeadlockDetectedError)


def _retryable(error: BaseException) -> bool:
    # A lost connection or a file that ended its own transaction may have applied part of
    # the work: running it again could apply it twice, whatever caused it.
    if isinstance(error, ConnectionLostError | UnresolvedMigrationError):
        return False
    return is_lock_timeout(error) or is_deadlock(error)


async def describe_lock_holders(client: PgClient) -> str:
    """Best effort: the user tables other sessions hold locks on, for an error message."""
    try:
        async with client.acquire() as conn:
            rows = await conn.fetch(
                "SELECT DISTINCT l.relation::regclass::text AS rel, l.mode, l.pid"
                " FROM pg_catalog.pg_locks l"
                " WHERE l.locktype = 'relation' AND l.granted"
                "  AND l.database = (SELECT oid FROM pg_catalog.pg_database"
                "                     WHERE datname = current_database())"
                "  AND l.pid <> pg_backend_pid() AND l.relation >= 16384"
                " ORDER BY 1, 2 LIMIT 5"
            )
    except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
        return ""
    if not rows:
        return ""
    held = ", ".join(f"{row['rel']} ({row['mode']}, pid {row['pid']})" for row in rows)
    return f"; locks now held by other sessions: {held}"


async def run_with_lock_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: LockPolicy,
    *,
    what: str,
    client: PgClient,
    option: str,
    log: Callable[[str], object] | None = None,
) -> T:
    """Run ``attempt`` (one whole transaction); retry it when it timed out waiting for a lock.

    ``what`` names the work in messages ("the schema migration", "migration 0001_x.py") and
    ``option`` the keyword that raises the timeout. After the last retry the lock timeout
    becomes a :class:`TableLockTimeoutError` naming the statement and the locked tables (a
    deadlock, a :class:`DeadlockError`).
    """
    for number in range(policy.retries + 1):
        try:
            return await attempt()
        except Exception as error:
            if not _retryable(error):
                raise
            deadlock = not is_lock_timeout(error)
            if number < policy.retries:
                pause = policy.delay(number)
                if log is not None:
                    cause = (
                        "the server broke a deadlock by rolling it back"
                        if deadlock
                        else f"a lock was not free within lock_timeout={policy.lock_timeout:g} s"
                    )
                    log(
                        f"{what}: {cause}; retrying in {pause:.2f} s "
                        f"({number + 1}/{policy.retries})"
                    )
                await anyio.sleep(pause)
                continue
            statement = error.statement if isinstance(error, SchemaApplyError) else None
            where = f" (statement: {statement})" if statement else ""
            if deadlock:
                raise DeadlockError(
                    f"{what} was rolled back to break a deadlock with another transaction in "
                    f"{number + 1} attempts{where}; nothing was applied. Run it when the "
                    "conflicting work is done, or raise lock_retries=",
                    statement,
                    number + 1,
                ) from error
            holders = await describe_lock_holders(client)
            raise TableLockTimeoutError(
                f"{what} could not get a lock within lock_timeout={policy.lock_timeout:g} s "
                f"in {number + 1} attempts{where}{holders}; nothing was applied. Wait for the "
                f"long transaction holding the table to end, or raise {option}= or lock_retries=",
                statement,
                number + 1,
            ) from error
    raise AssertionError("unreachable")  # pragma: no cover
