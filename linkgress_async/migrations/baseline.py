"""Baseline: record existing migration files as applied without running them.

For a database created before the project adopted file migrations (Flyway's and Prisma's
"baseline"): the files that describe what the database already holds are written to the
journal with their checksums, so that ``up()`` afterwards applies only the later files.
``record_baseline`` (``MigrationRunner.baseline``) takes the runner's lock and writes the rows;
the pure functions before it decide which files it may record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from linkgress_async.errors import (
    ChecksumMismatchError,
    MigrationError,
    MissingMigrationError,
    counted,
)
from linkgress_async.migrations.files import MigrationFile
from linkgress_async.migrations.journal import JournalEntry
from linkgress_async.migrations.squashed import settle_squashed

if TYPE_CHECKING:
    from linkgress_async.migrations.runner import MigrationRunner

__all__ = ["baseline_targets", "check_baseline", "record_baseline"]


def baseline_targets(files: Sequence[MigrationFile], up_to: str | None) -> list[MigrationFile]:
    """The files a baseline covers: all of ``files`` up to and including ``up_to``."""
    if up_to is None:
        return list(files)
    for position, file in enumerate(files):
        # The stem is accepted too, as people name migrations without the extension.
        if up_to in (file.filename, file.path.stem):
            return list(files[: position + 1])
    known = ", ".join(f.filename for f in files) or "none"
    raise MigrationError(
        f"Cannot baseline up to {up_to!r}: there is no such migration file (files on disk: "
        f"{known}); pass the filename of the last migration the database already contains"
    )


def check_baseline(
    files: Sequence[MigrationFile],
    targets: Sequence[MigrationFile],
    entries: Sequence[JournalEntry],
    journal: str,
) -> list[MigrationFile]:
    """The targets still to record, or an error when the journal conflicts with a baseline.

    Recorded files must be on disk with the same checksum and form a prefix of ``targets``:
    a file recorded after one that is not would mean the baseline claims a migration ran
    before a later one that really did, which nobody can check.
    """
    on_disk = {f.filename: f for f in files}
    covered = {f.filename for f in targets}
    for entry in entries:
        if entry.filename not in on_disk:
            raise MissingMigrationError(
                f"Migration {entry.filename} is recorded as applied in {journal} but is missing "
                "from the migrations directory; restore it before running baseline"
            )
        if not entry.applied:
            raise MigrationError(
                f"Cannot baseline: {entry.filename} is recorded as {entry.status} in {journal}"
                " (a non-transactional migration that failed or was interrupted part-way); "
                "repair it and let the runner finish it before running baseline"
            )
        if entry.filename not in covered:
            raise MigrationError(
                f"Cannot baseline: {entry.filename} is already applied in {journal} but comes "
                f"after the baseline's last file {targets[-1].filename if targets else '(none)'};"
                " baseline up to at least that file, or leave the journal as it is"
            )
        current = on_disk[entry.filename].checksum
        if current != entry.checksum:
            raise ChecksumMismatchError(
                f"Cannot baseline: {entry.filename} was changed after it was applied (checksum "
                f"{entry.checksum[:12]} recorded, {current[:12]} on disk); restore the file first"
            )
    recorded = {entry.filename for entry in entries}
    missing = [f for f in targets if f.filename not in recorded]
    if missing:
        gap = targets.index(missing[0])
        later = [f.filename for f in targets[gap + 1 :] if f.filename in recorded]
        if later:
            raise MigrationError(
                f"Cannot baseline: {later[0]} is already applied in {journal} but the earlier "
                f"{missing[0].filename} is not, so the journal does not say whether the database "
                f"contains {missing[0].filename}; apply it with up() or record it by hand"
            )
    return missing


async def record_baseline(runner: MigrationRunner, up_to: str | None) -> list[str]:
    """What ``MigrationRunner.baseline`` does: under the runner's lock, record the files up to
    ``up_to`` (default: all) as applied without running them; the filenames recorded."""
    # Loaded before the lock: a file that does not import is reported without waiting.
    files = await runner._load_files()
    targets = baseline_targets(files, up_to)
    async with runner._locked() as session:
        conn = session.conn
        entries = await runner.journal.read(conn, unresolved=True)
        entries = await settle_squashed(conn, runner.journal, files, entries, runner._log)
        pending = check_baseline(files, targets, entries, runner.journal.qualified)
        # One transaction: a baseline is recorded entirely or not at all.
        async with conn.transaction():
            for file in pending:
                # A duration of 0 ms: the file was not run, only recorded.
                await runner.journal.record(conn, file.filename, file.checksum, 0)
    for file in pending:
        runner._log(f"Baselined {file.filename}: recorded as applied without running it")
    runner._log(
        f"Baselined {counted(len(pending), 'migration')} in {runner.journal.qualified}"
        f" ({len(targets) - len(pending)} already recorded)"
    )
    return [file.filename for file in pending]
