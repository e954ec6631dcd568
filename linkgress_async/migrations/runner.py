"""MigrationRunner: applies and reverts migration files under an advisory lock.

Its parts live beside it: the lock in ``lock``, running a file and recording its journal
row or failure in ``step``, confirming destructive files in ``confirmation`` and the
baseline's rows in ``baseline``; ``up_many`` forwards to the fleet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread

from linkgress_async.boundary import guarded
from linkgress_async.client import AnyConnection
from linkgress_async.context import DbContext
from linkgress_async.deadlines import UNSET, Unset
from linkgress_async.errors import (
    ChecksumMismatchError,
    MigrationError,
    MissingMigrationError,
    counted,
)
from linkgress_async.execute.retry import DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT, LockPolicy
from linkgress_async.execute.session import MigrationSession
from linkgress_async.migrations.baseline import record_baseline
from linkgress_async.migrations.bootstrap import bootstrap as bootstrap_database
from linkgress_async.migrations.checks import (
    FailedMigration,
    MigrationProblem,
    MigrationResult,
    MigrationStatus,
    file_problems,
    refuse_unresolved,
    unresolved_note,
)
from linkgress_async.migrations.confirmation import confirm_run, refuse_unconfirmed
from linkgress_async.migrations.files import (
    MigrationFile,
    MigrationLoader,
    load_directory,
    load_file,
)
from linkgress_async.migrations.guard import (
    ConfirmFiles,
    newest_to_revert,
    refuse_out_of_order,
    up_to,
)
from linkgress_async.migrations.journal import Journal, JournalEntry
from linkgress_async.migrations.lock import locked_session
from linkgress_async.migrations.log import LogLevel, call_logger
from linkgress_async.migrations.mixing import migrated_since_files
from linkgress_async.migrations.squashed import (
    logical_entries,
    refuse_replaced_on_disk,
    settle_squashed,
)
from linkgress_async.migrations.step import ms_since, run_each

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from linkgress_async.client import PgClient
    from linkgress_async.fleet import FleetResult, RecordLike, TargetLike, TargetResult, WaveLike
    from linkgress_async.migrations.drift import DriftReport
    from linkgress_async.migrations.squash import SquashResult

__all__ = [
    "FailedMigration",
    "MigrationProblem",
    "MigrationResult",
    "MigrationRunner",
    "MigrationStatus",
]

_RUN = "running migrations"
_READ = "reading the migration journal"


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
        *,
        ddl_lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
        lock_retries: int = DEFAULT_LOCK_RETRIES,
        loaded_files: Sequence[MigrationFile] | None = None,
    ) -> None:
        """``lock_timeout`` bounds the wait for another runner (the advisory lock);
        ``ddl_lock_timeout`` bounds each statement's wait for a table lock (SET LOCAL
        lock_timeout; ``None`` waits forever) and ``lock_retries`` how often a migration that
        hit it is retried, with jittered exponential back-off. A ``logger`` that declares a
        ``level`` parameter is also given ``level="info"``, ``"warn"`` or ``"error"``.

        ``loaded_files`` (from :func:`~linkgress_async.migrations.files.load_directory` of
        the same directory) is used instead of reading the directory again: ``up_many``
        loads the files once for all its targets, so a fleet does not read and compile
        them again for each one."""
        self.db = db
        self._loaded_files = None if loaded_files is None else list(loaded_files)
        self.directory = Path(migrations_directory)
        self.journal = Journal(journal_schema, journal_table)
        self.verbose = verbose
        self.logger = logger
        self.lock_timeout = lock_timeout
        self.accept_changed = accept_changed
        self.lock_policy = LockPolicy(ddl_lock_timeout, lock_retries)
        self.last_result: MigrationResult | None = None
        """The result of the latest ``up()`` or ``down()``, filled in as it runs: after the call
        raised (a lost connection) or was cancelled, the files it applied before that."""
        # The schema manager must never diff the journal away.
        db.register_journal(journal_schema, journal_table)

    def _log(self, message: str, level: LogLevel = "info") -> None:
        if self.verbose:
            call_logger(self.logger, message, level)

    async def _load_files(self) -> list[MigrationFile]:
        if self._loaded_files is not None:
            return list(self._loaded_files)
        return await load_directory(self.directory)

    # --- queries ----------------------------------------------------------------------------

    async def _entries(self, *, unresolved: bool = False) -> list[JournalEntry]:
        async with self.db.client.acquire() as conn:
            return await self.journal.entries(conn, unresolved=unresolved)

    @guarded(_READ)
    async def get_applied(self) -> list[str]:
        """Filenames recorded as applied, in the order they were applied."""
        return [entry.filename for entry in await self._entries()]

    async def _applied_view(self, files: list[MigrationFile]) -> list[str]:
        """Applied filenames, a fully applied squashed run read as its squashed file."""
        return [entry.filename for entry in logical_entries(files, await self._entries())]

    @guarded(_READ)
    async def get_pending(self) -> list[str]:
        """Filenames on disk not yet applied, in the order ``up()`` would apply them."""
        files = await self._load_files()
        applied = set(await self._applied_view(files))
        return [f.filename for f in files if f.filename not in applied]

    @guarded(_READ)
    async def status(self) -> list[MigrationStatus]:
        """Every file on disk or in the journal, by filename, with when it was applied."""
        files = await self._load_files()
        entries = {
            entry.filename: entry
            for entry in logical_entries(files, await self._entries(unresolved=True))
        }
        names = sorted({f.filename for f in files} | entries.keys())
        return [
            MigrationStatus(
                name,
                name in entries and entries[name].applied,
                entries[name].applied_at if name in entries else None,
                unresolved_note(entries[name]) if name in entries else None,
            )
            for name in names
        ]

    # --- locking ----------------------------------------------------------------------------

    def _locked(self, *, ensure: bool = True) -> AbstractAsyncContextManager[MigrationSession]:
        """One dedicated session holding the advisory lock of the journal; see
        :func:`~linkgress_async.migrations.lock.locked_session`."""
        return locked_session(self, ensure=ensure)

    # --- verification -----------------------------------------------------------------------

    async def _verify(
        self, conn: AnyConnection, files: list[MigrationFile], entries: list[JournalEntry]
    ) -> None:
        refuse_unresolved(entries)
        on_disk = {f.filename: f for f in files}
        applied = [entry for entry in entries if entry.applied]
        for problem in file_problems(applied, on_disk, self.journal.qualified, self.directory):
            if problem.kind == "missing":
                raise MissingMigrationError(
                    f"Migration {problem.message}; restore the file (or delete its journal row "
                    "if it was removed on purpose)"
                )
            if not self.accept_changed:
                raise ChecksumMismatchError(
                    f"Migration {problem.message}; restore it, or run with accept_changed=True "
                    "to record the new checksum"
                )
            await self.journal.update_checksum(conn, problem.filename, problem.disk_checksum)
            self._log(
                f"Accepted the changed file {problem.filename}: recorded its new checksum", "warn"
            )

    @guarded(_RUN)
    async def up(
        self,
        *,
        to: str | None = None,
        allow_destructive: bool = False,
        interactive: bool | None = None,
        confirm: ConfirmFiles | None = None,
        allow_out_of_order: bool = False,
        bootstrap: bool = False,
    ) -> MigrationResult:
        """Apply every pending migration in order (up to and including ``to``), each in its
        own transaction.

        Files that declare ``destructive`` changes are confirmed first, like ``migrate()``
        does (``allow_destructive``, ``confirm``, or a prompt on a terminal). A pending file
        older than an applied one is refused unless ``allow_out_of_order``.

        ``bootstrap=True`` is for an empty database: the model is created directly (as
        ``ensure_created()`` would, hooks included) and every file is recorded as applied
        without running it, all in one transaction; refused when the database holds anything.
        """
        if bootstrap and to is not None:
            raise ValueError("bootstrap records every file as applied; it takes no `to`")
        # Loading first: a bad file is reported before anything runs or waits for the lock.
        files = await self._load_files()
        refuse_replaced_on_disk(files)
        # Confirmed before the lock: a prompt must not keep other runners waiting.
        applied_before = await self._applied_view(files)
        pending_before = [f for f in files if f.filename not in set(applied_before)]
        # Bootstrapping runs no file: there is nothing to confirm.
        chosen = [] if bootstrap else pending_before[: up_to(pending_before, to, applied_before)]
        confirmed = await confirm_run(
            chosen, "up", allow_destructive, interactive, confirm, self.logger
        )
        start = time.perf_counter()
        async with self._locked() as session:
            conn = session.conn
            # Read under the lock: a runner that waited sees what the holder applied.
            entries = await self.journal.read(conn, unresolved=True)
            if not bootstrap:
                entries = await settle_squashed(conn, self.journal, files, entries, self._log)
            if bootstrap:
                created = await bootstrap_database(
                    self.db, conn, self.journal, files, entries, self._log
                )
                self._log(
                    f"Bootstrapped: created the model ({counted(len(created), 'operation')}) "
                    f"and recorded {counted(len(files), 'migration')} as applied"
                )
                return MigrationResult(applied=[f.filename for f in files], skipped=[])
            await self._verify(conn, files, entries)
            done = {entry.filename for entry in entries}
            result = MigrationResult(
                applied=[], skipped=[f.filename for f in files if f.filename in done]
            )
            pending = [f for f in files if f.filename not in done]
            pending = pending[: up_to(pending, to, list(done))]
            if not allow_out_of_order:
                refuse_out_of_order(pending, list(done), self.journal.qualified)
            refuse_unconfirmed(pending, "up", confirmed)
            # Read before the run: a failure after it must not hide what it applied. A file
            # applied now is newer than what migrate() did, so it settles the warning.
            warning = await migrated_since_files(conn, self.journal)
            self.last_result = result
            await run_each(self, session, pending, "up", result)
        self._summary("Applied", result, start)
        if warning is not None and not result.applied:
            self.logger(warning)
        return result

    @guarded(_RUN)
    async def down(
        self,
        count: int = 1,
        *,
        to: str | None = None,
        allow_destructive: bool = False,
        interactive: bool | None = None,
        confirm: ConfirmFiles | None = None,
    ) -> MigrationResult:
        """Revert the ``count`` most recently applied migrations, newest first; or, with
        ``to``, every migration applied after that file (which stays applied).

        Asking for more than are applied is refused. Files whose ``down`` deletes data or
        cannot restore everything are confirmed first, as in :meth:`up`.
        """
        if count < 0:
            raise ValueError("count must be zero or more")
        files = await self._load_files()
        on_disk = {f.filename: f for f in files}
        refuse_replaced_on_disk(files)
        wanted = newest_to_revert(await self._applied_view(files), count, to)
        chosen = [on_disk[name] for name in wanted if name in on_disk]
        confirmed = await confirm_run(
            chosen, "down", allow_destructive, interactive, confirm, self.logger
        )
        start = time.perf_counter()
        async with self._locked() as session:
            conn = session.conn
            entries = await self.journal.read(conn, unresolved=True)
            entries = await settle_squashed(conn, self.journal, files, entries, self._log)
            await self._verify(conn, files, entries)
            result = MigrationResult(applied=[], skipped=[])
            names = newest_to_revert([entry.filename for entry in entries], count, to)
            newest = [on_disk[name] for name in names]
            refuse_unconfirmed(newest, "down", confirmed)
            self.last_result = result
            await run_each(self, session, newest, "down", result)
        self._summary("Reverted", result, start)
        return result

    @guarded(_RUN)
    async def resolve(self, filename: str, *, applied: bool) -> None:
        """Settle a non-transactional migration that failed or was interrupted.

        Check the database by hand first. ``applied=True`` records the file as applied (its
        changes are all in place now); ``applied=False`` removes its journal row, so the next
        ``up()`` runs it again (its changes were undone or never happened).
        """
        path = self.directory / filename
        file = await anyio.to_thread.run_sync(load_file, path) if applied else None
        async with self._locked() as session:
            conn = session.conn
            entries = await self.journal.read(conn, unresolved=True)
            entry = next((e for e in entries if e.filename == filename), None)
            if entry is None or entry.applied:
                state = "not in" if entry is None else "recorded as applied in"
                raise MigrationError(
                    f"Migration {filename} is {state} {self.journal.qualified}, so there is "
                    "nothing to resolve; status() shows the failed and interrupted files"
                )
            if file is not None:
                await self.journal.resolve(conn, filename, file.checksum)
            else:
                await self.journal.forget(conn, filename)
        outcome = "recorded as applied" if applied else "will run again on the next up()"
        self._log(f"Resolved {filename}: {outcome}")

    def _summary(self, verb: str, result: MigrationResult, start: float) -> None:
        text = f"{verb} {counted(len(result.applied), 'migration')} in {ms_since(start)} ms"
        if result.skipped:
            text += f" ({len(result.skipped)} already applied)"
        if result.failed is not None:
            text += f"; stopped at {result.failed.filename}"
        self._log(text)

    @classmethod
    async def up_many(
        cls,
        context: Callable[[PgClient], DbContext],
        targets: Iterable[TargetLike],
        *,
        migrations_directory: str | Path = "./migrations",
        concurrency: int = 4,
        canary: int = 0,
        stop_on_failure: bool = False,
        journal_table: str = "__migrations",
        journal_schema: str = "public",
        lock_timeout: float = 60.0,
        accept_changed: bool = False,
        logger: Callable[[str], object] | None = None,
        client_options: Mapping[str, Any] | None = None,
        on_result: Callable[[TargetResult], object] | None = None,
        allow_destructive: bool = False,
        ddl_lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
        lock_retries: int = DEFAULT_LOCK_RETRIES,
        target_timeout: float | None = None,
        deadline: float | None = None,
        per_host: int | None = None,
        capacity_retries: int = 3,
        connect_timeout: float | None = None,
        network_timeout: float | None = None,
        idle_timeout: float | Unset | None = UNSET,
        waves: Sequence[WaveLike] | None = None,
        record: RecordLike | None = None,
        resume: bool = False,
    ) -> FleetResult:
        """Apply the pending files to many databases or tenant schemas; see docs/fleet.md.

        The keywords are those of :func:`linkgress_async.fleet.up_many`.
        """
        # Imported here: the fleet module builds on this one.
        from linkgress_async.fleet import up_many

        return await up_many(
            context,
            targets,
            migrations_directory=migrations_directory,
            concurrency=concurrency,
            canary=canary,
            stop_on_failure=stop_on_failure,
            journal_table=journal_table,
            journal_schema=journal_schema,
            lock_timeout=lock_timeout,
            accept_changed=accept_changed,
            logger=logger,
            client_options=client_options,
            on_result=on_result,
            allow_destructive=allow_destructive,
            ddl_lock_timeout=ddl_lock_timeout,
            lock_retries=lock_retries,
            target_timeout=target_timeout,
            deadline=deadline,
            per_host=per_host,
            capacity_retries=capacity_retries,
            connect_timeout=connect_timeout,
            network_timeout=network_timeout,
            idle_timeout=idle_timeout,
            waves=waves,
            record=record,
            resume=resume,
        )

    @guarded(_RUN)
    async def baseline(self, up_to: str | None = None) -> list[str]:
        """Record the files up to ``up_to`` (default: all) as applied without running them."""
        return await record_baseline(self, up_to)

    @guarded("squashing migration files")
    async def squash(
        self,
        context_import: str | None = None,
        *,
        first: str | None = None,
        last: str | None = None,
        name: str | None = None,
        scratch: str | None = None,
    ) -> SquashResult:
        """Replace the applied files ``first`` to ``last`` (default: all applied) by one file
        that builds the same schema; see docs/file-migrations.md, "Squashing".

        The run is replayed into scratch databases (on this database's server, or on
        ``scratch``: a server's DSN or ``"embedded"``) and the new file proven equivalent
        before the originals move to ``_squashed/``; this database's journal then records the
        new file in their place, as every other database's does on its next ``up()``.
        ``context_import`` is the module the file's type hint imports the context from.
        """
        # Imported on use: squash pulls in the comparison and the renderers.
        from linkgress_async.migrations.squash import squash_files

        result = await squash_files(
            self,
            context_import or type(self.db).__module__,
            first=first,
            last=last,
            name=name,
            scratch=scratch,
        )
        files = await self._load_files()
        async with self._locked() as session:
            entries = await self.journal.read(session.conn, unresolved=True)
            await settle_squashed(session.conn, self.journal, files, entries, self._log)
        return result

    @guarded(_RUN)
    async def import_linkgress_journal(self) -> list[str]:
        """Turn the journal Linkgress (TypeScript) wrote into this library's, mapping each
        recorded ``.ts`` file to its ported ``.py`` file; the Linkgress table is kept, renamed
        ``{journal_table}_linkgress``. Returns the ``.py`` files recorded as applied."""
        from linkgress_async.migrations.linkgress_journal import import_linkgress_journal

        return await import_linkgress_journal(self)

    def get_loader(self) -> MigrationLoader:
        """The loader of this runner's migration files (Linkgress' ``getLoader()``)."""
        return MigrationLoader(self.directory)

    def get_journal(self) -> Journal:
        """The journal table this runner records applied files in (``getJournal()``)."""
        return self.journal

    @guarded("comparing the database with its migrations")
    async def drift(self, scratch_dsn: str | None = None) -> DriftReport:
        """How the database differs from a replay of its applied files into a scratch database."""
        # Imported on use: drift pulls in introspection and the diff, which up() never needs.
        from linkgress_async.migrations.drift import detect_drift

        return await detect_drift(self, scratch_dsn)

    @guarded(_READ)
    async def verify(self) -> list[MigrationProblem]:
        """Applied files that changed since they were applied or are gone; nothing is run.

        Read-only: the journal is neither created nor updated, and no lock is taken.
        """
        files = await self._load_files()
        on_disk = {f.filename: f for f in files}
        entries = logical_entries(files, await self._entries())
        return file_problems(entries, on_disk, self.journal.qualified, self.directory)
