"""The edge of each public call that talks to the server: a watchdog, and errors that are ours.

``@guarded("analysing the database")`` on a method of an object with a ``client`` (or a
``db.client``) runs the method under the client's watchdog (:mod:`linkgress_async.watch`)
and turns what the driver raises past the library's own handling into the error tree: a
lost connection into :class:`ConnectionLostError` (:class:`ServerUnresponsiveError` when the
watchdog closed it), an empty builtin :class:`TimeoutError` into
:class:`StatementTimeoutError` or :class:`ConnectionFailedError`, and a statement the server
cancelled (``statement_timeout``, ``pg_cancel_backend``) into :class:`StatementTimeoutError`.
Work that changes the database reports its own outcome before it gets here
(:mod:`linkgress_async.execute.session`), so what reaches this edge changed nothing.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

import asyncpg

from linkgress_async.client import PgClient, connection_lost, is_connection_loss, loss_cause
from linkgress_async.errors import (
    ConnectionFailedError,
    ConnectionLostError,
    LinkgressError,
    ServerUnresponsiveError,
    StatementTimeoutError,
    one_line,
)
from linkgress_async.watch import Watch, watching

__all__ = ["guarded", "guarding", "timeout_error", "translated"]

P = ParamSpec("P")
T = TypeVar("T")


def timeout_error(what: str, error: BaseException, client: PgClient) -> LinkgressError:
    """Our error for a bare :class:`TimeoutError` (asyncpg's ``command_timeout``, or its
    connect timeout while the pool grows), which says nothing by itself."""
    limit = client.command_timeout
    if limit is None:
        return ConnectionFailedError(
            f"A new connection to PostgreSQL at {client.target()} did not open within "
            f"connect_timeout={client.deadlines.connect_timeout:g} s while running {what}; "
            "nothing was changed. Check the server and the network, or raise connect_timeout"
        )
    return StatementTimeoutError(
        f"A statement of {what} ran longer than command_timeout={limit:g} s (the asyncpg "
        "pool option) and was cancelled, or a new connection took longer than "
        f"connect_timeout={client.deadlines.connect_timeout:g} s; it was rolled back. "
        "Raise or remove command_timeout for schema changes (the library bounds waits on "
        "an unresponsive server by itself, without cutting long statements)"
    )


def translated(error: BaseException, what: str, watch: Watch) -> BaseException | None:
    """Our error for driver ``error`` escaping ``what``, or ``None`` to let it pass."""
    if isinstance(error, LinkgressError) or not isinstance(error, Exception):
        return None
    fault = watch.fault
    if fault is not None and (
        is_connection_loss(error) or isinstance(error, asyncpg.InterfaceError)
    ):
        error_class = ServerUnresponsiveError if fault.kind != "gone" else ConnectionLostError
        return connection_lost(what, error, reason=fault.detail, error_class=error_class)
    # asyncpg reports a closed connection's later use as a plain InterfaceError; the call
    # lost a connection if one of those it used is closed.
    if is_connection_loss(error) or (
        isinstance(error, asyncpg.InterfaceError) and watch.lost_a_connection()
    ):
        return connection_lost(what, error)
    if isinstance(error, TimeoutError):
        return timeout_error(what, error, watch.client)
    if isinstance(error, asyncpg.QueryCanceledError):
        return StatementTimeoutError(
            f"The server cancelled a statement of {what} ({one_line(error)}): the "
            "statement_timeout of the role, database or session ran out, or someone called "
            "pg_cancel_backend; nothing was changed. The catalog reads run without that "
            "limit; raise it for the role the library connects as, or run again"
        )
    return None


@asynccontextmanager
async def guarding(client: PgClient, what: str) -> AsyncIterator[Watch]:
    """Run the block under ``client``'s watchdog, raising our errors for driver failures."""
    async with watching(client, what) as watch:
        try:
            yield watch
        except Exception as error:
            ours = translated(error, what, watch)
            if ours is None:
                raise
            raise ours from error


def _client_of(owner: Any) -> PgClient:
    client = getattr(owner, "client", None)
    if not isinstance(client, PgClient):
        client = owner.db.client
    assert isinstance(client, PgClient)
    return client


def guarded(
    what: str,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]:
    """Decorate an async method so that it runs under :func:`guarding` (see the module)."""

    def decorate(
        method: Callable[P, Coroutine[Any, Any, T]],
    ) -> Callable[P, Coroutine[Any, Any, T]]:
        @functools.wraps(method)
        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            async with guarding(_client_of(args[0]), what):
                return await method(*args, **kwargs)

        return run

    return decorate


def lost_reason(watch: Watch | None, error: BaseException) -> str:
    """Why a connection ended: the watchdog's finding, else the driver's error."""
    if watch is not None and watch.fault is not None:
        return watch.fault.detail
    return one_line(loss_cause(error))


def lost_class(watch: Watch | None) -> type[ConnectionLostError]:
    """:class:`ServerUnresponsiveError` when the watchdog found the server silent."""
    if watch is not None and watch.fault is not None and watch.fault.kind != "gone":
        return ServerUnresponsiveError
    return ConnectionLostError
