"""A watchdog over the connections of one library call: partitions, lost replies, dead sessions.

A call (``migrate()``, ``up()``, ``analyze()``...) runs inside :func:`watching`. Every pool
connection it acquires is registered with its :class:`Watch` (through the pool's ``setup``
hook and a context variable, so the tasks it starts count too). Each connection notes since
when it has been waiting for the server. When a held connection has waited for
``network_timeout``, the watchdog asks the server, on a connection of its own, what that
session is doing:

* running a statement (``active``): a long statement, left alone however long it takes;
* idle (longer than a reply takes to arrive): the request or its reply was lost; the
  watchdog ends that session on the server (its locks go at once) and closes the connection;
* gone: the session ended without the client noticing; the connection is closed;
* no answer within ``connect_timeout``: the server cannot be reached (a partition, a hung
  server); every held connection is closed.

Behind a connection pooler (PgBouncer and the like), a connection's key data names the
pooler's client, not a server session. The watchdog tells a pooler by its side connection's
own key data against ``pg_backend_pid()``, and then finds a session by the transaction it
runs (``pg_stat_activity.backend_xid``; a migration session tells it each transaction's id,
:meth:`Watch.identify`), judged as above. A connection running no transaction whose id it
knows is left alone when silent: a long statement and a lost reply look alike there.

Closing a connection makes the call's pending await fail at once, and the call reports the
:class:`Fault`. The same side connection later tells what became of a transaction whose
COMMIT reply was lost (:meth:`Watch.settle`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
import asyncpg
from attrs import define, frozen

from linkgress_async.errors import LinkgressError

if TYPE_CHECKING:
    from linkgress_async.client import AnyConnection, PgClient

__all__ = [
    "Fault",
    "Settled",
    "TrackedConnection",
    "Watch",
    "current_watch",
    "tracked_class",
    "waiting_since",
    "watching",
]

_current: ContextVar[Watch | None] = ContextVar("linkgress_watch", default=None)

# A session idle this long while its client still waits for an answer lost the request or
# the reply (seconds; twice the probe's round trip if that is longer).
_LOST_REPLY_GRACE = 0.5

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def _waits(method: F) -> F:
    """Wrap a public asyncpg method so the connection knows it is waiting for the server."""

    @functools.wraps(method)
    async def call(self: TrackedConnection, *args: Any, **kwargs: Any) -> Any:
        if self.lk_calls == 0:
            self.lk_waiting_since = time.monotonic()
        self.lk_calls += 1
        try:
            return await method(self, *args, **kwargs)
        finally:
            self.lk_calls -= 1
            if self.lk_calls == 0:
                self.lk_waiting_since = None

    return call  # type: ignore[return-value]


class TrackedConnection(asyncpg.Connection):
    """An asyncpg connection that knows since when it has been waiting for the server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lk_calls = 0
        self.lk_waiting_since: float | None = None
        self.lk_clean = False
        """Its session needs no reset when the pool takes it back (see _clean_release)."""
        self.lk_session_changed = False
        """A session setting was changed while it was acquired: the reset must undo it."""

    @property
    def lk_connection(self) -> TrackedConnection:
        """This connection itself (a pool proxy forwards the attribute to it)."""
        return self

    execute = _waits(asyncpg.Connection.execute)
    executemany = _waits(asyncpg.Connection.executemany)
    fetch = _waits(asyncpg.Connection.fetch)
    fetchval = _waits(asyncpg.Connection.fetchval)
    fetchrow = _waits(asyncpg.Connection.fetchrow)
    fetchmany = _waits(asyncpg.Connection.fetchmany)
    prepare = _waits(asyncpg.Connection.prepare)
    copy_from_table = _waits(asyncpg.Connection.copy_from_table)
    copy_from_query = _waits(asyncpg.Connection.copy_from_query)
    copy_to_table = _waits(asyncpg.Connection.copy_to_table)
    copy_records_to_table = _waits(asyncpg.Connection.copy_records_to_table)


_tracked_classes: dict[type[Any], type[Any]] = {asyncpg.Connection: TrackedConnection}


def tracked_class(base: type[Any]) -> type[Any]:
    """``base`` (an asyncpg.Connection subclass of the user's) with reply tracking added."""
    if issubclass(base, TrackedConnection):
        return base
    if base not in _tracked_classes:
        _tracked_classes[base] = type(f"Tracked{base.__name__}", (TrackedConnection, base), {})
    return _tracked_classes[base]


def waiting_since(conn: AnyConnection) -> float | None:
    """Since when (``time.monotonic()``) ``conn`` has been waiting for the server, if it is."""
    try:
        value = getattr(conn, "lk_waiting_since", None)
    except asyncpg.InterfaceError:  # a released pool proxy
        return None
    return value if isinstance(value, float) else None


@frozen
class Fault:
    """What the watchdog found, in words that go into the call's error message."""

    kind: Literal["unreachable", "lost reply", "gone"]
    detail: str


@frozen
class Settled:
    """After a lost connection: whether its session is gone (``None``: not known) and what
    became of its transaction (``committed``, ``aborted``, or ``None``: not known)."""

    gone: bool | None = None
    status: str | None = None


@define
class _Held:
    conn: AnyConnection
    pid: int
    underlying: asyncpg.Connection[Any] | None = None
    xid: str | None = None
    """The id of the connection's current transaction, when known (a migration's): what
    identifies its server session behind a pooler (see :meth:`Watch.identify`)."""

    def waited(self, now: float) -> float:
        """How long the connection has been waiting for the server (0: it is not)."""
        since = waiting_since(self.conn)
        return 0.0 if since is None else now - since


@frozen
class _State:
    pid: int
    state: str | None
    idle: float
    state_change: datetime | None
    reading: bool = False
    """Blocked reading from its client (``ClientRead``): it is the client's turn."""


class Watch:
    """The watchdog of one call (see the module docstring)."""

    def __init__(self, client: PgClient, what: str) -> None:
        self.client = client
        self.what = what
        self.deadlines = client.deadlines
        self.fault: Fault | None = None
        self._held: list[_Held] = []
        self._seen: list[_Held] = []
        self._reading: dict[int, float] = {}
        self._ended: set[int] = set()
        self._ended_xids: set[str] = set()
        self._probe: asyncpg.Connection[Any] | None = None
        self._pooled = False
        """Whether the connections go through a pooler (PgBouncer...), learned when the side
        connection opens: their key data then names the pooler's client, not a server
        session, and sessions are found by transaction id instead."""
        self._probe_rtt = 0.0

    def register(self, conn: AnyConnection) -> None:
        """Watch ``conn`` while the call holds it."""
        from linkgress_async.client import is_closed

        if not is_closed(conn) and all(held.conn is not conn for held in self._held):
            underlying = getattr(conn, "lk_connection", None)
            held = _Held(conn, conn.get_server_pid(), underlying)
            self._held.append(held)
            self._seen.append(held)

    def identify(self, conn: AnyConnection, xid: str | None) -> None:
        """Note that held ``conn``'s current transaction is ``xid`` (``None``: not known).
        The id counts only while the connection is in a transaction: out of it, it runs
        none of ours (a file's CREATE INDEX CONCURRENTLY runs transactions of its own)."""
        for held in self._held:
            if held.conn is conn:
                held.xid = xid

    def lost_a_connection(self) -> bool:
        """Whether a connection the call used has closed (the library closes none itself)."""
        return any(
            held.underlying is not None and held.underlying.is_closed() for held in self._seen
        )

    # --- the watchdog ----------------------------------------------------------------------

    async def run(self) -> None:
        """Check the held connections every ``check_interval`` until cancelled or a fault."""
        try:
            while self.fault is None:
                await anyio.sleep(self.deadlines.check_interval)
                await self.check()
        finally:
            with anyio.CancelScope(shield=True):
                await self.close()

    async def check(self) -> None:
        """Probe the server about held connections silent for ``network_timeout``."""
        from linkgress_async.client import is_closed

        self._held = [held for held in self._held if not is_closed(held.conn)]
        now = time.monotonic()
        limit = self.deadlines.network_timeout
        silent = [(held, held.waited(now)) for held in self._held if held.waited(now) > limit]
        if not silent:
            return
        states = await self._states([held for held, _ in silent])
        if states is None:
            waited = max(waited for _, waited in silent)
            self._fail(
                Fault(
                    "unreachable",
                    f"the server had not answered for {waited:.1f} s and a second connection "
                    f"could not reach it within connect_timeout="
                    f"{self.deadlines.connect_timeout:g} s (a network partition or a hung "
                    "server), so the connection was closed",
                ),
                list(self._held),
            )
            return
        after = time.monotonic()
        for held, _ in silent:
            # Measured again: the answer may have arrived while the probe was out.
            if is_closed(held.conn) or held.waited(after) <= limit:
                continue
            if id(held) not in states:
                # Behind a pooler with no transaction to go by, a long statement and a lost
                # reply look alike: left alone rather than ended as a session that is gone.
                continue
            state = states[id(held)]
            if state is None:
                self._fail(Fault("gone", self._gone(held)), [held])
            elif state.reading:
                # Both sides wait for the other: a message between them was lost, unless it
                # is still on its way, so the server must have waited a while. Idle states
                # say since when; between the messages of one statement, count from the
                # first probe that saw it.
                first = self._reading.setdefault(held.pid, after)
                waited = state.idle if _idle(state) else after - first
                if waited > max(_LOST_REPLY_GRACE, 2 * self._probe_rtt):
                    if await self._end_session(state) and held.xid is not None:
                        self._ended_xids.add(held.xid)
                    self._fail(
                        Fault(
                            "lost reply",
                            f"the client waited {held.waited(after):.1f} s for an answer while "
                            f"its server session waited {waited:.1f} s for the client: the "
                            "request or its reply was lost, so that session (pid "
                            f"{state.pid}) was ended and the connection closed",
                        ),
                        [held],
                    )
            else:
                self._reading.pop(held.pid, None)

    def _gone(self, held: _Held) -> str:
        if self._pooled:
            return (
                f"its transaction ({held.xid}) was no longer running on the server, which the "
                "client had not heard, so the connection was closed"
            )
        return (
            f"its server session (pid {held.pid}) had ended without the client noticing, so "
            "the connection was closed"
        )

    def _fail(self, fault: Fault, victims: list[_Held]) -> None:
        if self.fault is None:
            self.fault = fault
        for held in victims:
            # The pending await fails at once; the pool discards the closed connection.
            held.conn.terminate()

    async def _states(self, helds: list[_Held]) -> dict[int, _State | None] | None:
        """The server's view of the sessions of ``helds`` (by ``id`` of each; ``None``: no
        such session), found by pid, or behind a pooler by the transaction each runs (those
        without one are left out: they cannot be told); ``None`` when the server cannot be
        reached."""
        started = time.monotonic()
        try:
            with anyio.fail_after(self.deadlines.connect_timeout):
                probe = await self._connection()
                column = "backend_xid::text" if self._pooled else "pid"
                if self._pooled:
                    helds = [held for held in helds if _in_known_transaction(held)]
                keys = [held.xid if self._pooled else held.pid for held in helds]
                rows = await probe.fetch(
                    f"SELECT {column} AS key, pid, state, state_change, extract(epoch FROM"
                    " pg_catalog.clock_timestamp() - state_change)::float8 AS idle,"
                    " wait_event IS NOT DISTINCT FROM 'ClientRead' AS reading"
                    f" FROM pg_catalog.pg_stat_activity WHERE {column} = ANY($1)",
                    keys,
                )
        except (TimeoutError, OSError, asyncpg.InterfaceError, LinkgressError) as error:
            await self._drop_probe()
            if isinstance(error.__cause__, asyncpg.PostgresError):
                # The server answered (too many connections, say): it is there.
                return self._all_active(helds)
            return None
        except asyncpg.PostgresError:
            await self._drop_probe()
            return self._all_active(helds)
        self._probe_rtt = time.monotonic() - started
        found = {
            row["key"]: _State(
                row["pid"],
                row["state"],
                row["idle"] or 0.0,
                row["state_change"],
                bool(row["reading"]),
            )
            for row in rows
        }
        return {id(held): found.get(key) for held, key in zip(helds, keys, strict=True)}

    @staticmethod
    def _all_active(helds: list[_Held]) -> dict[int, _State | None]:
        return {id(held): _State(held.pid, "active", 0.0, None) for held in helds}

    async def _end_session(self, state: _State) -> bool:
        """Terminate the backend of ``state`` if it is still as ``state`` saw it (the same
        session); whether it was."""
        pid = state.pid
        if self._probe is None or state.state_change is None:
            return False
        try:
            with anyio.fail_after(self.deadlines.connect_timeout):
                if await self._probe.fetchval(
                    self._terminate_sql("state_change"), pid, state.state_change
                ):
                    self._ended.add(pid)
                    return True
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self._drop_probe()
        return False

    def _terminate_sql(self, identity: str) -> str:
        # The session must still be the one observed: a pid can be reused by a new session.
        return (
            f"SELECT {self._terminate_call()}"
            f" FROM pg_catalog.pg_stat_activity WHERE pid = $1 AND {identity} = $2"
        )

    def _terminate_call(self) -> str:
        # On 14+ the call waits (up to connect_timeout) until the backend is gone.
        assert self._probe is not None
        wait = ""
        if self._probe.get_server_version() >= (14, 0):
            wait = f", {max(1, round(self.deadlines.connect_timeout * 1000))}"
        return f"pg_catalog.pg_terminate_backend(pid{wait})"

    # --- after a lost connection -----------------------------------------------------------

    async def settle(
        self,
        pid: int,
        backend_start: datetime | None,
        xid: str | None,
        running: str | None = None,
    ) -> Settled:
        """End session ``pid`` (started at ``backend_start``) if it outlived its connection,
        and read the fate of transaction ``xid``. Behind a pooler, where ``pid`` is the
        pooler's, the session is the one still running transaction ``running`` (the last
        one begun), if any. Bounded by ``connect_timeout``; nothing is known when the
        server cannot be reached."""
        if self.fault is not None and self.fault.kind == "unreachable":
            return Settled()
        if pid in self._ended and xid is None:
            return Settled(gone=True)
        try:
            with anyio.fail_after(self.deadlines.connect_timeout):
                probe = await self._connection()
                gone: bool | None = True if pid in self._ended else None
                if self._pooled:
                    gone = await self._end_transaction_session(probe, running)
                elif backend_start is not None and not gone:
                    await probe.fetchval(self._terminate_sql("backend_start"), pid, backend_start)
                    gone = not await probe.fetchval(
                        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity"
                        " WHERE pid = $1 AND backend_start = $2)",
                        pid,
                        backend_start,
                    )
                status: str | None = None
                while xid is not None:
                    status = await probe.fetchval(xact_status_sql(probe), xid)
                    # In progress: the session is still ending (before 14 there is no wait).
                    if status != "in progress":
                        break
                    await anyio.sleep(0.05)
                return Settled(gone, status)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self._drop_probe()
        except LinkgressError:
            pass
        return Settled()

    async def _end_transaction_session(
        self, probe: asyncpg.Connection[Any], running: str | None
    ) -> bool | None:
        """Behind a pooler: end the session still running transaction ``running``; True
        when it or the watchdog ended one, else ``None`` (a session the pooler keeps may
        still hold session-level locks: nothing is known of it)."""
        if running is None:
            return None
        if running in self._ended_xids:
            return True
        ended = await probe.fetchval(
            f"SELECT bool_or({self._terminate_call()})"
            " FROM pg_catalog.pg_stat_activity WHERE backend_xid::text = $1",
            running,
        )
        return True if ended else None

    # --- the side connection ---------------------------------------------------------------

    async def _connection(self) -> asyncpg.Connection[Any]:
        if self._probe is None or self._probe.is_closed():
            probe = await self.client.connect_direct(within=self.deadlines.connect_timeout)
            try:
                # A pooler hands its clients key data of its own: that pid is no session's.
                real = await probe.fetchval("SELECT pg_catalog.pg_backend_pid()")
            except BaseException:
                probe.terminate()
                raise
            self._pooled = real != probe.get_server_pid()
            self._probe = probe
        return self._probe

    async def _drop_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.terminate()

    async def close(self) -> None:
        """Close the side connection (hard, if it does not close at once)."""
        probe, self._probe = self._probe, None
        if probe is None:
            return
        with (
            anyio.move_on_after(min(1.0, self.deadlines.connect_timeout)),
            suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError),
        ):
            await probe.close()
        probe.terminate()


def _in_known_transaction(held: _Held) -> bool:
    try:
        return held.xid is not None and held.conn.is_in_transaction()
    except asyncpg.InterfaceError:  # a released pool proxy
        return False


def _idle(state: _State) -> bool:
    return state.state is not None and state.state.startswith("idle")


def xact_id_sql(conn: AnyConnection) -> str:
    """An expression for the current transaction's 64-bit id, as text (assigns one)."""
    if conn.get_server_version() >= (13, 0):
        return "pg_catalog.pg_current_xact_id()::text"
    return "pg_catalog.txid_current()::text"


def xact_status_sql(conn: AnyConnection) -> str:
    """A query for the fate of transaction ``$1`` (an id from :func:`xact_id_sql`)."""
    if conn.get_server_version() >= (13, 0):
        return "SELECT pg_catalog.pg_xact_status($1::text::xid8)"
    return "SELECT pg_catalog.txid_status($1::text::bigint)"


def xact_status_hint(xid: str) -> str:
    """The query a user runs to learn whether transaction ``xid`` committed."""
    return f"SELECT pg_xact_status('{int(xid)}')"


def current_watch() -> Watch | None:
    """The watch of the call running in this task, if any."""
    return _current.get()


@asynccontextmanager
async def watching(client: PgClient, what: str) -> AsyncIterator[Watch]:
    """Run the block under a watchdog (see the module docstring); a block inside another
    block of the same client shares its watch."""
    outer = _current.get()
    if outer is not None and outer.client is client:
        yield outer
        return
    watch = Watch(client, what)
    token = _current.set(watch)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(watch.run)
            try:
                yield watch
            finally:
                group.cancel_scope.cancel()
    except BaseExceptionGroup as failure:
        # The watchdog never raises: the failure is the block's own, unwrapped.
        error: BaseException = failure
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        raise error from error.__cause__
    finally:
        _current.reset(token)
