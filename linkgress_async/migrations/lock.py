"""The migration lock: the runner's one session holding its journal's advisory lock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from linkgress_async.client import is_connection_loss
from linkgress_async.errors import NOT_APPLIED, LinkgressError, MigrationLockTimeoutError
from linkgress_async.execute.session import MigrationSession

if TYPE_CHECKING:
    from linkgress_async.migrations.runner import MigrationRunner

__all__ = ["locked_session"]


@asynccontextmanager
async def locked_session(
    runner: MigrationRunner, *, ensure: bool = True
) -> AsyncIterator[MigrationSession]:
    """One dedicated session holding the advisory lock of the journal, with the server's
    bounds on it (docs/reliability.md, "Faults"); a lost connection is reported with
    what it means for the lock. ``ensure=False`` leaves the journal table as it is."""
    key = runner.journal.lock_key

    def waited_too_long() -> Exception:
        return MigrationLockTimeoutError(
            f"Another migration runner held the lock of journal {runner.journal.qualified}"
            f" for more than lock_timeout={runner.lock_timeout:g} s; nothing was run. "
            "Wait for it to finish or raise lock_timeout"
        )

    async with MigrationSession.open(runner.db.client) as session:
        try:
            await session.hold_lock(
                key,
                wait=runner.lock_timeout,
                on_wait=lambda: runner._log(
                    f"Waiting for the migration lock of {runner.journal.qualified} ...", "warn"
                ),
                timeout_error=waited_too_long,
            )
            try:
                # Created under the lock: concurrent CREATE ... IF NOT EXISTS can still
                # race on the catalog's unique indexes.
                if ensure:
                    await runner.journal.ensure(session.conn)
                yield session
            finally:
                # Bounded and shielded, so a cancelled run still releases the lock; if
                # it cannot, the connection is closed and the lock goes with the session.
                await session.release_lock(key)
        except Exception as error:
            if isinstance(error, LinkgressError) or not is_connection_loss(error, session.conn):
                raise
            raise await session.lost(
                "the migration runner", error, NOT_APPLIED, result="no migration was run"
            ) from error
