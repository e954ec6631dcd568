"""Running one migration file in or outside a transaction, with its journal row or failure."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

import anyio

from linkgress_async.boundary import timeout_error
from linkgress_async.client import AnyConnection, is_closed, is_connection_loss
from linkgress_async.context import DbContext
from linkgress_async.errors import (
    APPLIED,
    NOT_APPLIED,
    PARTIAL,
    ConnectionLostError,
    LinkgressError,
    Outcome,
    TransactionEndedError,
    UnresolvedMigrationError,
    one_line,
)
from linkgress_async.execute.retry import run_with_lock_retries
from linkgress_async.execute.session import MigrationSession, TransactionWasEnded
from linkgress_async.migrations.checks import FailedMigration, MigrationResult
from linkgress_async.migrations.files import MigrationFile

if TYPE_CHECKING:
    from linkgress_async.migrations.runner import MigrationRunner

__all__ = ["ms_since", "run_each", "run_file"]


def ms_since(start: float) -> int:
    """Milliseconds since ``start`` (a :func:`time.perf_counter` reading), rounded."""
    return round((time.perf_counter() - start) * 1000)


async def run_each(
    runner: MigrationRunner,
    session: MigrationSession,
    files: list[MigrationFile],
    direction: Literal["up", "down"],
    result: MigrationResult,
) -> None:
    """Run ``files`` in order; the first failure is recorded in ``result`` and stops.

    A lost connection is raised instead: the run cannot go on without its lock.
    """
    for file in files:
        try:
            await run_file(runner, session, file, direction)
        except Exception as error:
            if isinstance(error, ConnectionLostError):
                if error.outcome == APPLIED:
                    # Its COMMIT took effect before the reply was lost: it is applied.
                    result.applied.append(file.filename)
                raise
            if is_connection_loss(error, session.conn):
                # Lost outside the file's transaction (between it and the journal row of
                # a non-transactional file, say).
                outcome: Outcome = (
                    PARTIAL if not file.migration_class.transactional else NOT_APPLIED
                )
                raise await session.lost(f"migration {file.filename}", error, outcome) from error
            if isinstance(error, TimeoutError):
                error = timeout_error(f"migration {file.filename}", error, runner.db.client)
            action = "apply" if direction == "up" else "revert"
            runner._log(f"Failed to {action} {file.filename}: {one_line(error)}", "error")
            result.failed = FailedMigration(file.filename, error)
            return
        result.applied.append(file.filename)


async def run_file(
    runner: MigrationRunner,
    session: MigrationSession,
    file: MigrationFile,
    direction: Literal["up", "down"],
) -> None:
    """Run ``file``'s ``up()`` or ``down()`` and record it in the journal, logging both ends."""
    migration = file.migration_class()
    step = migration.up if direction == "up" else migration.down
    verb = "Applying" if direction == "up" else "Reverting"
    runner._log(f"{verb} {file.filename} ...")
    start = time.perf_counter()
    if not migration.transactional:
        # CREATE INDEX CONCURRENTLY and friends: autocommit, so no retry either.
        elapsed = await _run_outside_transaction(runner, session, file, step, direction, start)
    else:

        async def attempt() -> int:
            return await _run_in_transaction(runner, session, file, step, direction, start)

        elapsed = await run_with_lock_retries(
            attempt,
            runner.lock_policy,
            what=f"Migration {file.filename}",
            client=runner.db.client,
            option="ddl_lock_timeout",
            log=runner._log,
        )
    done = "Applied" if direction == "up" else "Reverted"
    runner._log(f"{done} {file.filename} in {elapsed} ms")
    if direction == "down" and migration.irreversible:
        runner._log(
            f"Not restored by {file.filename}'s down(): " + "; ".join(migration.irreversible),
            "warn",
        )


async def _run_in_transaction(
    runner: MigrationRunner,
    session: MigrationSession,
    file: MigrationFile,
    step: Callable[[DbContext], Awaitable[None]],
    direction: Literal["up", "down"],
    start: float,
) -> int:
    """One attempt at a transactional file: the step and its journal row, committed
    together; a step that ends the transaction itself is refused (and recorded)."""
    ended = False
    try:
        async with (
            session.transaction(
                runner.lock_policy,
                what=f"migration {file.filename}",
                applied_note=f" and recorded in {runner.journal.qualified}",
            ) as conn,
            runner.db.use_connection(conn),
        ):
            try:
                await step(runner.db)
            except BaseException:
                ended = not is_closed(conn) and not conn.is_in_transaction()
                raise
            if not conn.is_in_transaction():
                raise TransactionWasEnded(file.filename)
            elapsed = ms_since(start)
            # The row is written only in the transaction the step began in: a step that
            # ran COMMIT and then BEGIN is in another one.
            if not await _journal_step(runner, conn, file, direction, elapsed, session.xid):
                raise TransactionWasEnded(file.filename)
        return elapsed
    except TransactionWasEnded as error:
        raise await _ended(runner, session, file, direction) from error
    except Exception as error:
        if isinstance(error, LinkgressError) or is_connection_loss(error, session.conn):
            raise
        # COMMIT, BEGIN, then a failure: the transaction the step began in committed.
        if ended or await session.committed(session.xid):
            raise await _ended(runner, session, file, direction) from error
        raise


async def _ended(
    runner: MigrationRunner,
    session: MigrationSession,
    file: MigrationFile,
    direction: Literal["up", "down"],
) -> TransactionEndedError:
    """Record that ``file`` ended the runner's transaction itself; the error to raise."""
    action = f"{direction}() ran COMMIT or ROLLBACK itself"
    await _record_failure(runner, session.conn, file, f"{action}; part of it may be committed")
    return TransactionEndedError(
        f"Migration {file.filename} ended the runner's transaction: {action}, so what it "
        "ran before that may be committed while its journal row is not; it is recorded as "
        f"failed in {runner.journal.qualified}. Remove the COMMIT/ROLLBACK (each file already "
        "runs in a transaction of its own; db.transaction() makes a savepoint, and "
        "transactional = False runs a file outside one), finish or undo its changes by "
        f"hand, then call MigrationRunner.resolve({file.filename!r}, applied=True) if it is "
        "fully applied, or applied=False to run it again",
        file.filename,
    )


async def _run_outside_transaction(
    runner: MigrationRunner,
    session: MigrationSession,
    file: MigrationFile,
    step: Callable[[DbContext], Awaitable[None]],
    direction: Literal["up", "down"],
    start: float,
) -> int:
    """Run a non-transactional step, its journal row saying ``running`` meanwhile.

    The row is committed before the step, so a crash leaves it ``running`` and a failure
    turns it ``failed``: either way the next run refuses until
    :meth:`~linkgress_async.migrations.runner.MigrationRunner.resolve`.
    """
    conn = session.conn
    if direction == "up":
        await runner.journal.start(conn, file.filename, file.checksum)
    else:
        await runner.journal.mark_running(conn, file.filename)
    # No lock_timeout here: CREATE INDEX CONCURRENTLY, what these files are for, waits
    # for older transactions without blocking anyone, and a timeout would leave an
    # invalid index behind.
    try:
        async with runner.db.use_connection(conn):
            await step(runner.db)
    except Exception as error:
        await _record_failure(runner, conn, file, f"{direction}() raised {one_line(error)}")
        if is_connection_loss(error, conn):
            raise await session.lost(f"migration {file.filename}", error, PARTIAL) from error
        raise UnresolvedMigrationError(
            f"Migration {file.filename} failed part-way outside a transaction "
            f"({one_line(error)}); the statements it ran before the failure "
            f"stay applied and it is recorded as failed in {runner.journal.qualified}. "
            "Inspect the database and finish or undo the change by hand, then call "
            f"MigrationRunner.resolve({file.filename!r}, applied=True) if it is now fully "
            "applied, or applied=False to run it again",
            file.filename,
        ) from error
    elapsed = ms_since(start)
    if direction == "up":
        await runner.journal.finish(conn, file.filename, elapsed)
    else:
        await runner.journal.forget(conn, file.filename)
    return elapsed


async def _record_failure(
    runner: MigrationRunner, conn: AnyConnection, file: MigrationFile, message: str
) -> None:
    """Mark ``file`` failed; on a fresh connection when its own is gone. Best effort and
    bounded: if even that fails, the row stays as it was (``running`` for a file that
    ran outside a transaction), which the next run refuses too."""
    deadlines = runner.db.client.deadlines
    with anyio.CancelScope(shield=True) as scope, contextlib.suppress(Exception):
        scope.deadline = anyio.current_time() + 2 * deadlines.cleanup_timeout
        if not is_closed(conn):
            await runner.journal.fail(conn, file.filename, file.checksum, message)
            return
        async with runner.db.client.acquire() as other:
            await runner.journal.fail(other, file.filename, file.checksum, message)


async def _journal_step(
    runner: MigrationRunner,
    conn: AnyConnection,
    file: MigrationFile,
    direction: Literal["up", "down"],
    elapsed: int,
    xid: str | None,
) -> bool:
    """Record the step in the journal if still in transaction ``xid``; whether it was."""
    if direction == "up":
        return await runner.journal.record(conn, file.filename, file.checksum, elapsed, xid=xid)
    return await runner.journal.forget(conn, file.filename, xid=xid)
