"""PgClient: connection settings and a lazily created asyncpg pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import anyio
import asyncpg
from asyncpg.pool import PoolConnectionProxy

__all__ = ["AnyConnection", "PgClient"]

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
                pool = await asyncpg.create_pool(
                    dsn=self.dsn, **self._connect_options, **self._pool_options
                )
                assert pool is not None
                self._pool = pool
        return self._pool

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
