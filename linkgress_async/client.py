"""PgClient: connection settings and a lazily created asyncpg pool."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias
from urllib.parse import unquote, urlsplit

import anyio
import asyncpg
from asyncpg.pool import PoolConnectionProxy

from linkgress_async.errors import (
    ConnectionFailedError,
    ConnectionLostError,
    caused_by,
    one_line,
)

__all__ = [
    "AnyConnection",
    "PgClient",
    "connection_lost",
    "is_closed",
    "is_connection_loss",
    "server_version_num",
    "using",
]

AnyConnection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
"""A connection, direct or borrowed from a pool."""


class PgClient:
    """A PostgreSQL client: settings now, an asyncpg pool on first use.

    ``PgClient(host=..., port=..., database=..., user=..., password=...)`` or
    ``PgClient(dsn="postgresql://...")``; ``min_size``/``max_size`` and any other keyword go to
    :func:`asyncpg.create_pool`. The constructor does no I/O.
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
        **pool_options: Any,
    ) -> None:
        if dsn is not None and not isinstance(dsn, str):
            raise TypeError("dsn must be a connection string such as 'postgresql://user@host/db'")
        self.dsn = dsn
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
        if self.dsn is not None:
            options["dsn"] = self.dsn
        return options

    async def connect(self) -> asyncpg.Pool:
        """Create the pool now (it is otherwise created on first use) and return it."""
        if self._pool is not None:
            return self._pool
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if self._pool is None:
                try:
                    pool = await asyncpg.create_pool(
                        dsn=self.dsn, **self._connect_options, **self._pool_options
                    )
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

    def target(self) -> str:
        """Where this client connects, for messages: host, port, database, user; no password."""
        options = dict(self._connect_options)
        if self.dsn is not None:
            parts = urlsplit(self.dsn)
            from_dsn = {
                "host": unquote(parts.hostname) if parts.hostname else None,
                "port": parts.port,
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
                hint = "the server did not answer in time: check host, port and firewalls"
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
        """Close the pool; a later call creates a new one."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[AnyConnection]:
        """A pool connection for the duration of the block."""
        pool = await self.connect()
        async with pool.acquire() as connection:
            yield connection

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
    async with using(source) as conn:
        version = conn.get_server_version()
    return version.major * 10000 + version.minor


def is_closed(conn: AnyConnection) -> bool:
    """Whether ``conn`` is closed, or is a pool proxy the pool already took back."""
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:
        # The pool detaches a proxy whose connection it saw die; that session is gone.
        return True


def is_connection_loss(error: BaseException, conn: AnyConnection | None = None) -> bool:
    """Whether ``error`` means the session is gone (terminated backend, dropped socket)."""
    return (conn is not None and is_closed(conn)) or caused_by(error, _LOSS_TYPES)


def connection_lost(
    what: str, error: BaseException, *, partial: bool = False
) -> ConnectionLostError:
    """The error to raise when the connection broke while ``what`` was running."""
    outcome = (
        "its statements ran outside a transaction and may be partially applied"
        if partial
        else "the server rolled its transaction back, so nothing of it was applied"
    )
    return ConnectionLostError(
        f"The database connection was lost while running {what} "
        f"({one_line(error)}); {outcome}, and the "
        "session's locks were released with it. Check the server (restarts, "
        "pg_terminate_backend, network) and run again."
    )
