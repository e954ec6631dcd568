"""MigrationRunner: applies and reverts migration files under an advisory lock."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal

import anyio
from attrs import define, frozen

from linkgress_async.client import AnyConnection
from linkgress_async.context import DbContext
from linkgress_async.errors import (
    ChecksumMismatchError,
    MigrationLockTimeoutError,
    MissingMigrationError,
)
from linkgress_async.migrations.files import MigrationFile, load_directory
from linkgress_async.migrations.journal import Journal, JournalEntry

__all__ = ["FailedMigration", "MigrationResult", "MigrationRunner", "MigrationStatus"]

# Polling bounds while another runner holds the lock: short at first so a brief wait costs
# little, then capped so many waiting runners do not hammer the server.
_FIRST_POLL = 0.01
_MAX_POLL = 0.2


@frozen
class FailedMigration:
    """The migration that failed and why; it was rolled back when transactional."""

    filename: str
    error: BaseException


@define
class MigrationResult:
    """What a run did: files applied (or reverted), files already applied, the failure."""

    applied: list[str]
    skipped: list[str]
    failed: FailedMigration | None = None


@frozen
class MigrationStatus:
    """One migration file and whether (and when) it was applied."""

    filename: str
    applied: bool
    applied_at: datetime | None


class MigrationRunner:
    """Applies the migration files of a directory to the database of ``db``."""

    def __init__(
        self,
        db: DbContext,
        migrations_directory: str | Path = "./migrations",
        journal_table: str = "__migrations",
        journal_schema: str = "public",
        verbose: bool = True,
        logger: Callable[[str], object] = print,
        lock_timeout: float = 60.0,
        accept_changed: bool = False,
    ) -> None:
        self.db = db
        self.directory = Path(migrations_directory)
        self.journal = Journal(journal_schema, journal_table)
        self.verbose = verbose
        self.logger = logger
        self.lock_timeout = lock_timeout
        self.accept_changed = accept_changed
        # The schema manager must never diff the journal away.
        db.register_journal(journal_schema, journal_table)

    def _log(self, message: str) -> None:
        if self.verbose:
            self.logger(message)

    # --- queries ----------------------------------------------------------------------------

    async def _entries(self) -> list[JournalEntry]:
        async with self.db.client.acquire() as conn:
            return await self.journal.entries(conn)

    async def get_applied(self) -> list[str]:
        """Filenames recorded as applied, in the order they were applied."""
        return [entry.filename for entry in await self._entries()]

    async def get_pending(self) -> list[str]:
        """Filenames on disk not yet applied, in the order ``up()`` would apply them."""
        files = await load_directory(self.directory)
        applied = set(await self.get_applied())
        return [f.filename for f in files if f.filename not in applied]

    async def status(self) -> list[MigrationStatus]:
        """Every file on disk or in the journal, by filename, with when it was applied."""
        files = await load_directory(self.directory)
        entries = {entry.filename: entry for entry in await self._entries()}
        names = sorted({f.filename for f in files} | entries.keys())
        return [
            MigrationStatus(
                name,
                name in entries,
                entries[name].applied_at if name in entries else None,
            )
            for name in names
        ]

    # --- locking ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[AnyConnection]:
        """One dedicated connection holding the session advisory lock of the journal."""
        key = self.journal.lock_key
        async with self.db.client.acquire() as conn:
            await self._acquire_lock(conn, key)
            try:
                # Created under the lock: concurrent CREATE ... IF NOT EXISTS can still race
                # on the catalog's unique indexes.
                await self.journal.ensure(conn)
                yield conn
            finally:
                # Shielded so a cancelled run still releases the lock; a failure here is
                # ignored because the lock dies with a broken session anyway, and the
                # original error is the one worth reporting.
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    await conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def _acquire_lock(self, conn: AnyConnection, key: int) -> None:
        # pg_advisory_lock would wait forever; polling the try-variant bounds the wait
        # without a statement timeout that would also cancel the migrations themselves.
        deadline = anyio.current_time() + self.lock_timeout
        delay = _FIRST_POLL
        announced = False
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                raise MigrationLockTimeoutError(
                    f"Another migration runner held the lock of journal {self.journal.qualified}"
                    f" for more than lock_timeout={self.lock_timeout:g} s; wait for it to "
                    "finish or raise lock_timeout"
                )
            if not announced:
                self._log(f"Waiting for the migration lock of {self.journal.qualified} ...")
                announced = True
            await anyio.sleep(min(delay, remaining))
            delay = min(delay * 2, _MAX_POLL)

    # --- verification -----------------------------------------------------------------------

    async def _verify(
        self, conn: AnyConnection, files: list[MigrationFile], entries: list[JournalEntry]
    ) -> None:
        on_disk = {f.filename: f for f in files}
        for entry in entries:
            if entry.filename not in on_disk:
                raise MissingMigrationError(
                    f"Migration {entry.filename} is recorded as applied in "
                    f"{self.journal.qualified} but is missing from {self.directory}; restore "
                    "the file (or delete its journal row if it was removed on purpose)"
                )
        for entry in entries:
            current = on_disk[entry.filename].checksum
            if current == entry.checksum:
                continue
            if not self.accept_changed:
                raise ChecksumMismatchError(
                    f"Migration {entry.filename} was changed after it was applied (checksum "
                    f"{entry.checksum[:12]} recorded, {current[:12]} on disk); restore it, or "
                    "run with accept_changed=True to record the new checksum"
                )
            await self.journal.update_checksum(conn, entry.filename, current)
            self._log(f"Accepted the changed file {entry.filename}: recorded its new checksum")

    # --- running ----------------------------------------------------------------------------

    async def _run(
        self, conn: AnyConnection, file: MigrationFile, direction: Literal["up", "down"]
    ) -> None:
        migration = file.migration_class()
        step = migration.up if direction == "up" else migration.down
        verb = "Applying" if direction == "up" else "Reverting"
        self._log(f"{verb} {file.filename} ...")
        start = time.perf_counter()
        # A non-transactional file (CREATE INDEX CONCURRENTLY) runs in autocommit.
        scope = conn.transaction() if migration.transactional else contextlib.nullcontext()
        async with self.db.use_connection(conn), scope:
            await step(self.db)
            elapsed = _ms(start)
            await self._journal_step(conn, file, direction, elapsed)
        done = "Applied" if direction == "up" else "Reverted"
        self._log(f"{done} {file.filename} in {elapsed} ms")

    async def _run_each(
        self,
        conn: AnyConnection,
        files: list[MigrationFile],
        direction: Literal["up", "down"],
        result: MigrationResult,
    ) -> None:
        """Run ``files`` in order; the first failure is recorded in ``result`` and stops."""
        for file in files:
            try:
                await self._run(conn, file, direction)
            except Exception as error:
                action = "apply" if direction == "up" else "revert"
                self._log(f"Failed to {action} {file.filename}: {type(error).__name__}: {error}")
                result.failed = FailedMigration(file.filename, error)
                return
            result.applied.append(file.filename)

    async def _journal_step(
        self,
        conn: AnyConnection,
        file: MigrationFile,
        direction: Literal["up", "down"],
        elapsed: int,
    ) -> None:
        if direction == "up":
            await self.journal.record(conn, file.filename, file.checksum, elapsed)
        else:
            await self.journal.forget(conn, file.filename)

    async def up(self) -> MigrationResult:
        """Apply every pending migration in order, each in its own transaction."""
        # Loading first: a bad file is reported before anything runs or waits for the lock.
        files = await load_directory(self.directory)
        start = time.perf_counter()
        async with self._locked() as conn:
            # Read under the lock: a runner that waited sees what the holder applied.
            entries = await self.journal.entries(conn)
            await self._verify(conn, files, entries)
            done = {entry.filename for entry in entries}
            result = MigrationResult(
                applied=[], skipped=[f.filename for f in files if f.filename in done]
            )
            pending = [f for f in files if f.filename not in done]
            await self._run_each(conn, pending, "up", result)
        self._summary("Applied", result, start)
        return result

    async def down(self, count: int = 1) -> MigrationResult:
        """Revert the ``count`` most recently applied migrations, newest first."""
        if count < 0:
            raise ValueError("count must be zero or more")
        files = await load_directory(self.directory)
        start = time.perf_counter()
        async with self._locked() as conn:
            entries = await self.journal.entries(conn)
            await self._verify(conn, files, entries)
            on_disk = {f.filename: f for f in files}
            result = MigrationResult(applied=[], skipped=[])
            newest = [on_disk[entry.filename] for entry in reversed(entries)][:count]
            await self._run_each(conn, newest, "down", result)
        self._summary("Reverted", result, start)
        return result

    def _summary(self, verb: str, result: MigrationResult, start: float) -> None:
        count = len(result.applied)
        text = f"{verb} {count} migration{'s' if count != 1 else ''} in {_ms(start)} ms"
        if result.skipped:
            text += f" ({len(result.skipped)} already applied)"
        if result.failed is not None:
            text += f"; stopped at {result.failed.filename}"
        self._log(text)


def _ms(start: float) -> int:
    return round((time.perf_counter() - start) * 1000)
