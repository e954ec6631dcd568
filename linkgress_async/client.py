"""PgClient: connection settings, the deadlines of its calls, and a lazily created asyncpg
pool whose connections a call's watchdog can see (:mod:`linkgress_async.watch`)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Final, TypeAlias
from urllib.parse import parse_qsl, unquote, urlsplit

import anyio
import asyncpg
from asyncpg.pool import PoolConnectionProxy

from linkgress_async._clean_release import reset_unless_clean, session_changed
from linkgress_async.deadlines import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_NETWORK_TIMEOUT,
    Deadlines,
)
from linkgress_async.dsn import dsn_problem, split_connect_timeout
from linkgress_async.errors import (
    NOT_APPLIED,
    ConnectionFailedError,
    ConnectionLostError,
    Outcome,
    caused_by,
    one_line,
)
from linkgress_async.watch import current_watch, tracked_class

__all__ = [
    "CACHEABLE_STATEMENT_SIZE",
    "AnyConnection",
    "PgClient",
    "connection_lost",
    "is_closed",
    "is_connection_loss",
    "loss_cause",
    "server_version_num",
    "using",
]

# create_pool keywords that are not connection settings (the rest reach asyncpg.connect).
_POOL_ONLY = frozenset(
    {
        "min_size",
        "max_size",
        "max_queries",
        "max_inactive_connection_lifetime",
        "setup",
        "init",
        "reset",
        "loop",
        "connection_class",
    }
)

AnyConnection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
"""A connection, direct or borrowed from a pool."""


CACHEABLE_STATEMENT_SIZE: Final = 256 * 1024
"""asyncpg keeps a connection's prepared statements up to this size (its own default is 15 KiB):
introspection reads the catalog in two statements of about 35 KiB each, which would otherwise be
parsed, planned and described again, one more round trip each, at every call."""


class PgClient:
    """A PostgreSQL client: settings now, an asyncpg pool on first use.

    ``PgClient(host=..., port=..., database=..., user=..., password=...)`` or
    ``PgClient(dsn="postgresql://...")``; ``min_size``/``max_size`` and any other keyword go to
    :func:`asyncpg.create_pool` (``max_cacheable_statement_size`` defaults to
    :data:`CACHEABLE_STATEMENT_SIZE`). The constructor does no I/O.

    ``connect_timeout`` (default: the DSN's ``connect_timeout``, else 10 s),
    ``network_timeout`` (30 s) and ``idle_timeout`` (30 s) bound the library's calls under
    network faults; see :mod:`linkgress_async.deadlines` and docs/reliability.md.
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        user: str | None = None,
        password: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: float | None = None,
        network_timeout: float = DEFAULT_NETWORK_TIMEOUT,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        **pool_options: Any,
    ) -> None:
        if dsn is not None and not isinstance(dsn, str):
            raise TypeError("dsn must be a connection string such as 'postgresql://user@host/db'")
        self.dsn = dsn
        dsn_timeout: float | None = None
        if dsn is not None:
            dsn, dsn_timeout = split_connect_timeout(dsn)
        self._asyncpg_dsn = dsn
        if connect_timeout is None:
            # asyncpg's own name for it, then the DSN's, then ours.
            connect_timeout = pool_options.pop("timeout", None) or dsn_timeout
        self.deadlines = Deadlines(
            connect_timeout or DEFAULT_CONNECT_TIMEOUT, network_timeout, idle_timeout
        )
        """How long calls wait for the server, and the server for an idle migration."""
        connect: dict[str, Any] = {
            "host": host,
            "port": port,
            "database": database,
            "user": user,
            "password": password,
        }
        self._connect_options = {k: v for k, v in connect.items() if v is not None}
        self._pool_options: dict[str, Any] = {
            "min_size": min_size,
            "max_size": max_size,
            "max_cacheable_statement_size": CACHEABLE_STATEMENT_SIZE,
            **pool_options,
        }
        self._pool: asyncpg.Pool | None = None
        self._lock: anyio.Lock | None = None

    def __repr__(self) -> str:
        where = self._connect_options.get("host", "") if self.dsn is None else "dsn"
        return f"PgClient({where!r}, database={self._connect_options.get('database')!r})"

    @property
    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`asyncpg.connect` that reach the same database."""
        options = dict(self._connect_options)
        if self._asyncpg_dsn is not None:
            options["dsn"] = self._asyncpg_dsn
        return options

    @property
    def command_timeout(self) -> float | None:
        """The pool's ``command_timeout`` (asyncpg's per-statement limit), if one was given."""
        value = self._pool_options.get("command_timeout")
        return float(value) if value else None

    def _check_dsn(self) -> None:
        problem = None if self.dsn is None else dsn_problem(self.dsn)
        if problem is not None:
            from linkgress_async.dsn import redact_dsn

            assert self.dsn is not None
            raise ConnectionFailedError(
                f"Cannot connect to PostgreSQL: the DSN {redact_dsn(self.dsn)!r} is malformed: "
                f"{problem}; write it as postgresql://user:password@host:port/database"
            )

    async def connect(self) -> asyncpg.Pool:
        """Create the pool now (it is otherwise created on first use) and return it."""
        if self._pool is not None:
            return self._pool
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self._pool is None:
                self._check_dsn()
                options: dict[str, Any] = {
                    **self._connect_options,
                    **self._pool_options,
                    "timeout": self.deadlines.connect_timeout,
                }
                options["setup"] = _setup_hook(options.get("setup"))
                if options.get("reset") is None:
                    options["reset"] = reset_unless_clean
                options["connection_class"] = tracked_class(
                    options.get("connection_class") or asyncpg.Connection
                )
                try:
                    pool = await asyncpg.create_pool(dsn=self._asyncpg_dsn, **options)
                except (
                    OSError,
                    TimeoutError,
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                ) as error:
                    raise ConnectionFailedError(self._failure_message(error)) from error
                assert pool is not None
                self._pool = pool
        return self._pool

    async def connect_direct(self, *, within: float | None = None) -> asyncpg.Connection[Any]:
        """A new connection outside the pool, with the pool's settings (the caller closes it)."""
        self._check_dsn()
        options: dict[str, Any] = {
            **self._connect_options,
            **{k: v for k, v in self._pool_options.items() if k not in _POOL_ONLY},
            "timeout": within if within is not None else self.deadlines.connect_timeout,
        }
        try:
            connection: asyncpg.Connection[Any] = await asyncpg.connect(
                dsn=self._asyncpg_dsn, **options
            )
            return connection
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise ConnectionFailedError(self._failure_message(error)) from error

    def target(self) -> str:
        """Where this client connects, for messages: host, port, database, user; no password."""
        options = dict(self._connect_options)
        if self.dsn is not None:
            parts = urlsplit(self.dsn)
            # A unix socket's directory comes as ?host=/dir&port=N (the local servers' form).
            query = dict(parse_qsl(parts.query))
            from_dsn = {
                "host": unquote(parts.hostname) if parts.hostname else query.get("host"),
                "port": parts.port or query.get("port"),
                "database": unquote(parts.path.lstrip("/")) or None,
                "user": unquote(parts.username) if parts.username else None,
            }
            for key, value in from_dsn.items():
                if value is not None:
                    options.setdefault(key, value)
        host = options.get("host") or "localhost"
        port = options.get("port") or 5432
        database = options.get("database") or options.get("user") or "(default)"
        user = options.get("user") or "(default)"
        return f"{host}:{port}, database {database!r} as user {user!r}"

    def _failure_message(self, error: BaseException) -> str:
        # Causes are matched by exception type (SQLSTATE classes), never by message text.
        match error:
            case asyncpg.InvalidCatalogNameError():
                hint = "the database does not exist: create it or fix the database name"
            case asyncpg.InvalidPasswordError():
                hint = "password authentication failed: check the user and password"
            case asyncpg.InvalidAuthorizationSpecificationError():
                hint = "the server rejected this role: check the user name and pg_hba.conf"
            case asyncpg.InsufficientPrivilegeError():
                hint = "the role may not connect to this database: GRANT CONNECT to it"
            case asyncpg.TooManyConnectionsError():
                hint = "the server has no free connection slots: lower max_size or retry later"
            case socket.gaierror():
                hint = "the host name does not resolve: check the host"
            case ConnectionRefusedError():
                hint = "nothing listens there: check host and port and that the server runs"
            case TimeoutError():
                hint = (
                    "the server did not answer within connect_timeout="
                    f"{self.deadlines.connect_timeout:g} s: check host, port and firewalls"
                )
            case _:
                hint = "check host, port, database, user and password"
        detail = one_line(error)
        password = self._connect_options.get("password")
        if self.dsn is not None:
            password = urlsplit(self.dsn).password or password
        # Drivers do not echo passwords, but a message must never be the one that does.
        if password and len(str(password)) >= 3:
            detail = detail.replace(str(password), "***")
        return f"Cannot connect to PostgreSQL at {self.target()}: {hint} ({detail})"

    @property
    def is_connected(self) -> bool:
        """Whether the pool exists."""
        return self._pool is not None

    async def close(self) -> None:
        """Close the pool; a later call creates a new one.

        Bounded by ``connect_timeout``: connections that do not close gracefully by then
        (an unreachable server) are closed hard.
        """
        pool, self._pool = self._pool, None
        if pool is None:
            return
        with anyio.CancelScope(shield=True) as scope:
            scope.deadline = anyio.current_time() + self.deadlines.connect_timeout
            await pool.close()
        if scope.cancelled_caught:
            pool.terminate()

    @property
    def acquire_timeout(self) -> float:
        """How long :meth:`acquire` waits for a free (or new) connection, and for the pool to
        reset it afterwards before closing it instead."""
        return self.deadlines.connect_timeout + self.deadlines.network_timeout

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[AnyConnection]:
        """A pool connection for the duration of the block.

        Getting one is bounded by :attr:`acquire_timeout`, and so is the reset when it goes
        back; a connection that cannot be reset is closed, which never fails the block.
        """
        pool = await self.connect()
        try:
            connection = await pool.acquire(timeout=self.acquire_timeout)
        except TimeoutError as error:
            raise ConnectionFailedError(
                f"Cannot get a connection to PostgreSQL at {self.target()}: none of the pool's "
                f"{self._pool_options['max_size']} became free and no new one opened within "
                f"{self.acquire_timeout:g} s; raise max_size, or check the server"
            ) from error
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            # The pool opens connections as it grows; that can fail like connect() does.
            raise ConnectionFailedError(self._failure_message(error)) from error
        try:
            yield connection
        finally:
            # Shielded and bounded: a cancelled block still gives the connection back (or
            # the pool closes it); a failed reset must not turn done work into an error.
            # (asyncpg closes a connection it cannot reset, and then raises.)
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await pool.release(connection, timeout=self.deadlines.cleanup_timeout)

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Run one statement with ``$1..$n`` parameters and return its rows."""
        pool = await self.connect()
        return list(await pool.fetch(sql, *args))

    async def __aenter__(self) -> PgClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


_LOSS_TYPES = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.PostgresConnectionError,
    ConnectionError,
)


@asynccontextmanager
async def using(source: asyncpg.Pool | AnyConnection) -> AsyncIterator[AnyConnection]:
    """A connection of ``source``: a pool's, acquired for the block, or ``source`` itself (a
    connection whose transaction the work must see, or the only one of a small pool)."""
    if isinstance(source, asyncpg.Pool):
        async with source.acquire() as conn:
            yield conn
    else:
        yield source


async def server_version_num(source: asyncpg.Pool | AnyConnection) -> int:
    """The server's version as ``server_version_num`` spells it (``180001``); asyncpg knows it
    from the connection's start-up, so no query runs."""
    if isinstance(source, asyncpg.Pool):
        known = _pool_versions.get(id(source))
        if known is not None and known[0] is source:
            return known[1]
    async with using(source) as conn:
        version = conn.get_server_version()
    number = version.major * 10000 + version.minor
    if isinstance(source, asyncpg.Pool):
        # Acquiring a connection just to read this costs the pool's reset round trip. A pool
        # keeps talking to one server (a restart into another major version is a new pool's
        # business); the strong reference is dropped with the oldest entries.
        _pool_versions[id(source)] = (source, number)
        while len(_pool_versions) > 64:
            _pool_versions.pop(next(iter(_pool_versions)))
    return number


_pool_versions: dict[int, tuple[asyncpg.Pool, int]] = {}


def is_closed(conn: AnyConnection) -> bool:
    """Whether ``conn`` is closed, or is a pool proxy the pool already took back."""
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:
        # The pool detaches a proxy whose connection it saw die; that session is gone.
        return True


def loss_cause(error: BaseException) -> BaseException:
    """The driver error in ``error``'s chain that says how the connection was lost (a later
    "connection is closed" says less), else ``error``."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _LOSS_TYPES):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return error


def is_connection_loss(error: BaseException, conn: AnyConnection | None = None) -> bool:
    """Whether ``error`` means the session is gone (terminated backend, dropped socket)."""
    return (conn is not None and is_closed(conn)) or caused_by(error, _LOSS_TYPES)


def connection_lost(
    what: str,
    error: BaseException,
    *,
    outcome: Outcome = NOT_APPLIED,
    result: str = "nothing was changed",
    locks: str = "",
    reason: str | None = None,
    error_class: type[ConnectionLostError] = ConnectionLostError,
) -> ConnectionLostError:
    """The error to raise when the connection broke while ``what`` was running.

    ``result`` says what of the work is in the database (true for ``outcome``), ``locks``
    what became of the session's locks, ``reason`` why the connection ended (default: the
    driver's error).
    """
    why = reason if reason is not None else one_line(loss_cause(error))
    locks = f"; {locks}" if locks else ""
    return error_class(
        f"The database connection was lost while running {what} ({why}); {result}{locks}. "
        "Check the server and the network (restarts, pg_terminate_backend, partitions), "
        "then run again: it checks what is already applied.",
        outcome,
    )


SetupHook: TypeAlias = "Callable[[PoolConnectionProxy[Any]], Awaitable[None]]"


def _setup_hook(user_setup: SetupHook | None) -> SetupHook:
    """The pool's ``setup``: hand each acquired connection to the running call's watchdog,
    then run the user's own hook."""

    async def setup(connection: PoolConnectionProxy[Any]) -> None:
        watch = current_watch()
        if watch is not None:
            watch.register(connection)
            # The library writes literals as standard SQL ('a\b' is three characters); a
            # database that still sets standard_conforming_strings=off would read them as
            # escapes and compare them wrongly. Its own calls therefore run with it on.
            if connection.get_settings().standard_conforming_strings != "on":
                await connection.execute("SET standard_conforming_strings = on")
                # A session setting of this use: the pool's reset must undo it.
                session_changed(connection)
        if user_setup is not None:
            await user_setup(connection)

    return setup
