"""A migration session: one dedicated connection whose work ends in bounded time, holds its
locks no longer than the server's bounds allow, and reports truthfully what it applied.

``migrate()`` (one transaction under a transaction-level advisory lock) and the runner (a
session-level advisory lock, then one transaction per file) both run on a
:class:`MigrationSession`, inside a call guarded by :mod:`linkgress_async.boundary`:

* The session's first query sets its server-side bounds (``idle_in_transaction_session_timeout``
  and ``idle_session_timeout`` from ``idle_timeout``; TCP keepalives, ``tcp_user_timeout`` and
  ``client_connection_check_interval`` from ``network_timeout``), takes the advisory lock if
  it is free, assigns the transaction an id and reads the session's start time: one round trip.
  A lock that is not free is polled for, up to the caller's wait.
* Rollback and unlock run shielded from cancellation but within ``cleanup_timeout``; a
  connection that cannot finish them is closed hard (the pool never gets it back).
* A connection lost in the body means nothing was applied (COMMIT was never sent). Lost
  during COMMIT, the session asks the server on a new connection (``pg_xact_status`` of the
  transaction id) and says applied, not applied, or unknown, with the query to find out.
  Either way it ends the orphaned server session if that outlived the connection, so its
  locks go at once, and the message says whether they did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio
import asyncpg
from asyncpg.transaction import Transaction

from linkgress_async.boundary import lost_class, lost_reason
from linkgress_async.client import AnyConnection, PgClient, connection_lost, is_closed
from linkgress_async.errors import (
    APPLIED,
    NOT_APPLIED,
    PARTIAL,
    UNKNOWN,
    ConnectionLostError,
    Outcome,
)
from linkgress_async.execute.retry import LockPolicy
from linkgress_async.watch import (
    Watch,
    current_watch,
    xact_id_sql,
    xact_status_hint,
    xact_status_sql,
)

__all__ = ["MigrationSession", "TransactionWasEnded"]

# Polling bounds while another migration holds the lock: short at first so a brief wait
# costs little, then capped so many waiting processes do not hammer the server.
_FIRST_POLL = 0.01
_MAX_POLL = 0.2

_BACKEND_START = (
    "(SELECT backend_start FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid()))"
)


class TransactionWasEnded(Exception):
    """The block's code ran COMMIT or ROLLBACK itself: the session's transaction is over.

    Internal: callers turn it into their own error (they know the file or the hook).
    """


class MigrationSession:
    """One dedicated pool connection for a migration call (see the module docstring)."""

    def __init__(self, client: PgClient, conn: AnyConnection, watch: Watch | None) -> None:
        self.client = client
        self.conn = conn
        self.watch = watch
        self.deadlines = client.deadlines
        self.pid = conn.get_server_pid()
        version = conn.get_server_version()
        self.version = (version.major, version.minor)
        self.backend_start: datetime | None = None
        self.xid: str | None = None
        """The id of the last transaction begun (assigned at its start), as text."""
        self._configured = False

    @classmethod
    @asynccontextmanager
    async def open(cls, client: PgClient) -> AsyncIterator[MigrationSession]:
        """A dedicated connection of ``client``'s pool for the block."""
        async with client.acquire() as conn:
            watch = current_watch()
            if watch is not None:
                watch.register(conn)
            yield cls(client, conn, watch)

    # --- server-side bounds and advisory locks ---------------------------------------------

    def _settings_sql(self, settings: dict[str, str], *, local: bool, first: int = 1) -> str:
        scope = "true" if local else "false"
        return ", ".join(
            f"pg_catalog.set_config(${first + 2 * i}, ${first + 2 * i + 1}, {scope})"
            for i in range(len(settings))
        )

    async def hold_lock(
        self,
        key: int,
        *,
        wait: float | None,
        on_wait: Callable[[], object],
        timeout_error: Callable[[], Exception],
    ) -> None:
        """Set the session's bounds and take session advisory lock ``key`` (one round trip),
        waiting up to ``wait`` seconds for it (``None``: as long as it takes)."""
        settings = self.deadlines.server_settings(self.version, session=True)
        args: list[Any] = [value for pair in settings.items() for value in pair]
        lock = len(args) + 1
        sql = (
            f"SELECT {self._settings_sql(settings, local=False)},"
            f" pg_catalog.pg_try_advisory_lock(${lock}) AS locked,"
            f" {_BACKEND_START} AS backend_start"
        )
        row = await self.conn.fetchrow(sql, *args, key)
        assert row is not None
        self._configured = True
        self.backend_start = row["backend_start"]
        if not row["locked"]:
            await self._poll(
                "SELECT pg_catalog.pg_try_advisory_lock($1)", key, wait, on_wait, timeout_error
            )

    async def release_lock(self, key: int) -> None:
        """Release session lock ``key``; shielded and bounded, else the connection is closed
        (the lock then goes with the session, when the server notices)."""
        if is_closed(self.conn):
            return
        with anyio.CancelScope(shield=True) as scope:
            scope.deadline = anyio.current_time() + self.deadlines.cleanup_timeout
            try:
                await self.conn.execute("SELECT pg_catalog.pg_advisory_unlock($1)", key)
                return
            except (Exception, asyncpg.InterfaceError):
                pass
        self.conn.terminate()

    async def _poll(
        self,
        sql: str,
        key: int,
        wait: float | None,
        on_wait: Callable[[], object],
        timeout_error: Callable[[], Exception],
    ) -> None:
        # pg_advisory_lock would wait without a bound (or only with a statement timeout
        # that would cut the migration too); polling the try-variant bounds the wait.
        deadline = None if wait is None else anyio.current_time() + wait
        delay = _FIRST_POLL
        announced = False
        while not await self.conn.fetchval(sql, key):
            remaining = _MAX_POLL if deadline is None else deadline - anyio.current_time()
            if remaining <= 0:
                raise timeout_error()
            if not announced:
                on_wait()
                announced = True
            await anyio.sleep(min(delay, remaining))
            delay = min(delay * 2, _MAX_POLL)

    # --- transactions ----------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(
        self,
        policy: LockPolicy,
        *,
        lock_key: int | None = None,
        lock_wait: float | None = None,
        on_wait: Callable[[], object] = lambda: None,
        timeout_error: Callable[[], Exception] | None = None,
        what: str,
        applied_note: str = "",
    ) -> AsyncIterator[AnyConnection]:
        """A transaction on the session's connection, with ``lock_timeout`` from ``policy``
        and, given ``lock_key``, the transaction-level advisory lock (waiting ``lock_wait``).

        Raises :class:`ConnectionLostError` (with the outcome) when the connection is lost,
        and :class:`TransactionWasEnded` when the block ended the transaction itself.
        """
        conn = self.conn
        if self.watch is not None:
            # The last transaction's id identifies nothing now (see Watch.identify).
            self.watch.identify(conn, None)
        transaction = conn.transaction()
        try:
            await transaction.start()
            await self._begin(policy, lock_key, lock_wait, on_wait, timeout_error)
            yield conn
        except BaseException as error:
            await self.rollback(transaction)
            if isinstance(error, Exception) and _lost(error, conn):
                raise await self.lost(what, error, NOT_APPLIED) from error
            raise
        if not conn.is_in_transaction():
            # COMMIT would commit nothing of ours; the block's statements since its own
            # COMMIT or ROLLBACK were committed one by one.
            await self.rollback(transaction)
            raise TransactionWasEnded(what)
        try:
            await transaction.commit()
        except BaseException as error:
            if isinstance(error, Exception) and _lost(error, conn):
                raise await self.lost(what, error, UNKNOWN, applied_note) from error
            if not isinstance(error, asyncpg.PostgresError):
                # Cancelled mid-COMMIT: the connection's state is unknown; never reuse it.
                conn.terminate()
            raise

    async def _begin(
        self,
        policy: LockPolicy,
        lock_key: int | None,
        lock_wait: float | None,
        on_wait: Callable[[], object],
        timeout_error: Callable[[], Exception] | None,
    ) -> None:
        """One round trip: the transaction's bounds and lock_timeout, the advisory lock if it
        is free, the transaction id; then poll for the lock if it was not."""
        settings = (
            {} if self._configured else self.deadlines.server_settings(self.version, session=False)
        )
        # After the advisory lock is taken, lock_timeout bounds waits for table locks only,
        # never the wait for another migration (which is polled for, not waited on).
        settings["lock_timeout"] = policy.setting
        args: list[Any] = [value for pair in settings.items() for value in pair]
        columns = [self._settings_sql(settings, local=True), f"{xact_id_sql(self.conn)} AS xid"]
        if lock_key is not None:
            args.append(lock_key)
            columns.append(f"pg_catalog.pg_try_advisory_xact_lock(${len(args)}) AS locked")
        if self.backend_start is None:
            columns.append(f"{_BACKEND_START} AS backend_start")
        row = await self.conn.fetchrow("SELECT " + ", ".join(columns), *args)
        assert row is not None
        self.xid = row["xid"]
        if self.watch is not None:
            self.watch.identify(conn=self.conn, xid=self.xid)
        if self.backend_start is None:
            self.backend_start = row["backend_start"]
        if lock_key is not None and not row["locked"]:
            assert timeout_error is not None
            await self._poll(
                "SELECT pg_catalog.pg_try_advisory_xact_lock($1)",
                lock_key,
                lock_wait,
                on_wait,
                timeout_error,
            )

    async def rollback(self, transaction: Transaction) -> None:
        """Roll ``transaction`` back, shielded and within ``cleanup_timeout``; a connection
        that cannot is closed hard, and the server rolls back when the session ends."""
        conn = self.conn
        if is_closed(conn):
            return
        with anyio.CancelScope(shield=True) as scope:
            scope.deadline = anyio.current_time() + self.deadlines.cleanup_timeout
            try:
                await transaction.rollback()
                return
            except (Exception, asyncpg.InterfaceError):
                pass
        conn.terminate()

    # --- after a lost connection -----------------------------------------------------------

    async def committed(self, xid: str | None) -> bool:
        """Whether transaction ``xid`` committed, asked on the session's own connection
        (bounded; ``False`` when it cannot be told)."""
        if xid is None or is_closed(self.conn):
            return False
        try:
            with anyio.fail_after(self.deadlines.cleanup_timeout):
                status = await self.conn.fetchval(xact_status_sql(self.conn), xid)
        except (Exception, asyncpg.InterfaceError):
            return False
        return bool(status == "committed")

    async def lost(
        self,
        what: str,
        error: BaseException,
        outcome: Outcome,
        applied_note: str = "",
        *,
        result: str | None = None,
    ) -> ConnectionLostError:
        """The error for a lost connection, after ending the orphaned session (if it is
        still there) and, for an ``unknown`` outcome, asking the server what committed.
        ``result`` replaces the sentence saying what was applied."""
        xid = self.xid if outcome == UNKNOWN else None
        gone: bool | None = None
        if self.watch is not None:
            with anyio.CancelScope(shield=True):
                settled = await self.watch.settle(
                    self.pid, self.backend_start, xid, running=self.xid
                )
            gone = settled.gone
            if outcome == UNKNOWN and settled.status == "committed":
                outcome = APPLIED
            elif outcome == UNKNOWN and settled.status == "aborted":
                outcome = NOT_APPLIED
        return connection_lost(
            what,
            error,
            outcome=outcome,
            result=result if result is not None else self._result(outcome, xid, applied_note),
            locks=self._locks(gone),
            reason=lost_reason(self.watch, error),
            error_class=lost_class(self.watch),
        )

    def _result(self, outcome: Outcome, xid: str | None, applied_note: str) -> str:
        if outcome == APPLIED:
            return f"its COMMIT reached the server and committed, so it is applied{applied_note}"
        if outcome == PARTIAL:
            return "its statements ran outside a transaction and may be partially applied"
        if outcome == UNKNOWN:
            check = f" ({xact_status_hint(xid)} says committed or aborted)" if xid else ""
            return (
                "whether its COMMIT took effect could not be found out: the server could not "
                f"be asked{check}"
            )
        return "the server rolled its transaction back, so nothing of it was applied"

    def _locks(self, gone: bool | None) -> str:
        if gone:
            return "its server session is gone, and its locks with it"
        idle = self.deadlines.idle_timeout
        keepalive = round(self.deadlines.network_timeout * 2 / 3)
        if idle is None:
            return (
                "its locks go when the server notices the lost connection (TCP keepalives, "
                f"about {keepalive} s)"
            )
        return (
            "its locks go when the server ends the orphaned session: within "
            f"idle_timeout={idle:g} s of its last statement (about {keepalive} s into a "
            "statement that runs on with the network gone)"
        )


def _lost(error: Exception, conn: AnyConnection) -> bool:
    from linkgress_async.client import is_connection_loss

    return is_connection_loss(error, conn)
