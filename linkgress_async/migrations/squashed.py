"""Squashed files in the journal: a file that ``replaces`` a run of earlier files.

``squash`` writes one file in place of a run of applied files and moves the originals out of
the directory. Other databases still have the originals' rows in their journal. The rule
(Django's, for its squashed migrations) is decided here, once, for every runner call:

- none of the replaced files applied: the squashed file is pending like any other;
- all of them applied: the squashed file counts as applied; the runner records it in place
  of their rows (at the position of the first, so the journal's order stays true);
- some of them applied: the database is between the originals, and neither the squashed
  file nor the originals that remain can be run safely: refused, naming what it applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from linkgress_async.client import AnyConnection
from linkgress_async.errors import MigrationError, PartlySquashedError
from linkgress_async.migrations.files import MigrationFile
from linkgress_async.migrations.journal import Journal, JournalEntry

__all__ = [
    "ORIGINALS_FOLDER",
    "logical_entries",
    "refuse_replaced_on_disk",
    "settle_squashed",
    "squashed_to_record",
]

ORIGINALS_FOLDER = "_squashed"
"""The subfolder of the migrations directory that ``squash`` moves the originals into (the
runner reads only the directory's own ``*.py`` files, so they are kept, not run)."""


def refuse_replaced_on_disk(files: Sequence[MigrationFile]) -> None:
    """Refuse a directory that holds a squashed file and a file it replaces: a fresh database
    would run both."""
    on_disk = {f.filename for f in files}
    for file in files:
        both = [name for name in file.migration_class.replaces if name in on_disk]
        if both:
            raise MigrationError(
                f"Migration {file.filename} replaces {', '.join(both)}, which is in the "
                f"migrations directory too; keep only one of them (the originals belong in "
                f"{ORIGINALS_FOLDER}/ or in version control)"
            )


def squashed_to_record(
    files: Sequence[MigrationFile], entries: Sequence[JournalEntry], journal: str
) -> list[MigrationFile]:
    """The squashed files to record in place of their originals, all of which are applied.

    Raises :class:`PartlySquashedError` for a database that applied only some of them.
    """
    recorded = {entry.filename for entry in entries}
    applied = {entry.filename for entry in entries if entry.applied}
    found: list[MigrationFile] = []
    for file in files:
        replaces = file.migration_class.replaces
        if not replaces or file.filename in recorded:
            continue
        done = [name for name in replaces if name in applied]
        if not done:
            continue
        if len(done) < len(replaces):
            missing = [name for name in replaces if name not in applied]
            raise PartlySquashedError(
                f"Migration {file.filename} replaces {len(replaces)} files, but {journal} "
                f"records only {', '.join(done)} of them as applied (not {', '.join(missing)}): "
                "the database is part-way through the squashed run. Bring it to the end of the "
                f"run with the original files first (from {ORIGINALS_FOLDER}/ or version "
                f"control, in a directory without {file.filename}: `up --to {replaces[-1]}`), "
                "then run up here again"
            )
        found.append(file)
    return found


def logical_entries(
    files: Sequence[MigrationFile], entries: Sequence[JournalEntry]
) -> list[JournalEntry]:
    """``entries`` as they read once every fully applied squashed run is recorded: for the
    read-only views (status, pending, drift), which do not write the journal."""
    result = list(entries)
    applied = {entry.filename for entry in entries if entry.applied}
    recorded = {entry.filename for entry in entries}
    for file in files:
        replaces = file.migration_class.replaces
        if not replaces or file.filename in recorded or not set(replaces) <= applied:
            continue
        first = next(i for i, entry in enumerate(result) if entry.filename in replaces)
        stand_in = JournalEntry(file.filename, result[first].applied_at, file.checksum)
        result = [
            stand_in if position == first else entry
            for position, entry in enumerate(result)
            if position == first or entry.filename not in replaces
        ]
    return result


async def settle_squashed(
    conn: AnyConnection,
    journal: Journal,
    files: Sequence[MigrationFile],
    entries: Sequence[JournalEntry],
    log: Callable[[str], object],
) -> list[JournalEntry]:
    """Record every fully applied squashed run (under the runner's lock); the new entries."""
    settled = squashed_to_record(files, entries, journal.qualified)
    if not settled:
        return list(entries)
    async with conn.transaction():
        for file in settled:
            replaces = file.migration_class.replaces
            originals = [e.filename for e in entries if e.filename in replaces]
            await journal.replace(conn, originals, file.filename, file.checksum)
    for file in settled:
        log(
            f"Recorded {file.filename} as applied in place of the "
            f"{len(file.migration_class.replaces)} files it replaces"
        )
    return await journal.read(conn, unresolved=True)


def originals_folder(directory: Path) -> Path:
    """Where ``squash`` keeps the files it replaced."""
    return directory / ORIGINALS_FOLDER
