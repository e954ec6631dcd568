"""Run a plan's statements on a connection, turning failures into clear errors.

Statements are sent several to a round trip, each batch inside a savepoint; if a batch fails,
the savepoint is rolled back and the batch replayed one statement at a time to name the
statement the server rejected. The caller owns the transaction, so a failure leaves nothing
applied.

The savepoints cost no round trips of their own but the first: each batch's message ends
by releasing its savepoint and setting the next one. It must be set before the batch, in an
earlier message: the server parses a whole message before running any of it, so a batch with
a syntax error runs nothing, not even a savepoint at its start.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

import asyncpg
import attrs
from asyncpg.pool import PoolConnectionProxy

from linkgress_async.client import AnyConnection
from linkgress_async.errors import LockTableExhaustedError, SchemaApplyError
from linkgress_async.execute.progress import StatementProgress

__all__ = ["Executor", "RecordingExecutor", "run_statements"]

STATEMENTS_PER_ROUND_TRIP = 200
_SAVEPOINT = "linkgress_batch"


class Executor(Protocol):
    """Something that runs SQL text (several statements allowed)."""

    async def execute(self, sql: str) -> object:
        """Run ``sql``."""
        ...


@attrs.define
class RecordingExecutor:
    """An executor that records the SQL it is given instead of running it (for tests)."""

    statements: list[str] = attrs.field(factory=list)

    async def execute(self, sql: str) -> object:
        """Record ``sql``."""
        self.statements.append(sql)
        return None


def _failure(statement: str, error: asyncpg.PostgresError) -> SchemaApplyError:
    if isinstance(error, asyncpg.OutOfMemoryError):
        return LockTableExhaustedError(
            f"the plan needs more locks than the server's lock table holds ({error}). "
            "Nothing was applied. Raise max_locks_per_transaction on the server (it needs a "
            "restart), or migrate the model in smaller steps.",
            statement,
        )
    detail = f"{type(error).__name__}: {error}"
    return SchemaApplyError(
        f"the plan failed and was rolled back; nothing was applied.\n"
        f"  statement: {statement}\n  error: {detail}",
        statement,
    )


async def _locate(conn: AnyConnection, batch: Sequence[str], error: Exception) -> Exception:
    """Replay ``batch`` statement by statement in a savepoint to find the failing one."""
    for statement in batch:
        try:
            async with conn.transaction():
                await conn.execute(statement)
        except asyncpg.PostgresError as failure:
            return _failure(statement, failure)
    return error


async def run_statements(
    executor: Executor | AnyConnection,
    statements: Sequence[str],
    *,
    batch_size: int = STATEMENTS_PER_ROUND_TRIP,
    progress: StatementProgress | None = None,
) -> None:
    """Run ``statements`` in order inside the caller's transaction; ``progress`` is told
    about each one (they then go one per round trip)."""
    if not isinstance(executor, asyncpg.Connection | PoolConnectionProxy):
        for statement in statements:
            await executor.execute(statement)
        return
    if progress is not None:
        batch_size = 1
    if not statements:
        return
    await executor.execute(f"SAVEPOINT {_SAVEPOINT}")
    for start in range(0, len(statements), batch_size):
        batch = statements[start : start + batch_size]
        last = start + batch_size >= len(statements)
        # The newline before the semicolon ends a line comment the last statement may end
        # with, which would otherwise swallow what follows.
        ending = f"\n;\nRELEASE SAVEPOINT {_SAVEPOINT}" + (
            "" if last else f";\nSAVEPOINT {_SAVEPOINT}"
        )
        began = time.monotonic()
        if progress is not None:
            progress.started(start + 1, len(statements), batch[0])
        try:
            try:
                await executor.execute(";\n".join(batch) + ending)
            except BaseException:
                if progress is not None:
                    progress.finished(start + 1, len(statements), _since(began), failed=True)
                raise
            if progress is not None:
                progress.finished(start + 1, len(statements), _since(began), failed=False)
        except asyncpg.PostgresError as error:
            # The batch's savepoint was set before it: whatever ran of the batch is undone,
            # and the transaction can run the statements again one by one.
            await executor.execute(
                f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}; RELEASE SAVEPOINT {_SAVEPOINT}"
            )
            if len(batch) == 1:
                raise _failure(batch[0], error) from error
            located = await _locate(executor, batch, error)
            raise located from error


def _since(began: float) -> float:
    return time.monotonic() - began
