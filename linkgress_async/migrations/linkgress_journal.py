"""Adopting a database Linkgress (TypeScript) migrated: importing its journal into ours.

Linkgress records applied files in a table of the same default name (``public.__migrations``)
with only ``id``, ``filename`` and ``applied_at``, and names its files ``YYYYMMDD-HHMMSS.ts``.
The import maps every recorded ``.ts`` name to the ported ``.py`` file with the same timestamp
(or, for files not named by timestamp, the same stem), renames the Linkgress table (with its
key index and sequence) to ``{table}_linkgress`` so its rows stay available for an audit or a
way back, and writes our journal with the files' checksums and the original ``applied_at``.
It all happens in one transaction, under the runner's lock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from attrs import frozen

from linkgress_async.client import AnyConnection
from linkgress_async.context import LINKGRESS_JOURNAL_SUFFIX
from linkgress_async.errors import JournalError, MigrationError
from linkgress_async.migrations.files import MigrationFile, load_directory
from linkgress_async.migrations.journal import Journal, is_linkgress_journal
from linkgress_async.plan.report import counted
from linkgress_async.render.quote import qualified, quote_ident

if TYPE_CHECKING:
    from linkgress_async.migrations.runner import MigrationRunner

__all__ = ["ImportedFile", "import_linkgress_journal", "match_linkgress_files"]

# Linkgress' scaffold names files 20240115-093000.ts; ours name them 20240115_093000_name.py.
_TS_STAMP = re.compile(r"^(\d{8})-(\d{6})\.ts$")
_PY_STAMP = re.compile(r"^(\d{8})[_-]?(\d{6})(?:[_-].*)?\.py$")
_SHOWN = 5


@frozen
class ImportedFile:
    """One Linkgress journal row and the ported file it stands for."""

    linkgress_filename: str
    file: MigrationFile
    applied_at: datetime


def _stamp(filename: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.match(filename)
    return match.group(1) + match.group(2) if match else None


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def match_linkgress_files(
    recorded: Sequence[str], files: Sequence[MigrationFile], directory: str
) -> dict[str, MigrationFile]:
    """The ported file of each recorded Linkgress filename, or an error naming the ones
    without exactly one."""
    by_stamp: dict[str, list[MigrationFile]] = {}
    by_stem: dict[str, MigrationFile] = {}
    for file in files:
        stamp = _stamp(file.filename, _PY_STAMP)
        if stamp is not None:
            by_stamp.setdefault(stamp, []).append(file)
        by_stem[file.path.stem] = file
    matched: dict[str, MigrationFile] = {}
    unmatched: list[str] = []
    for name in recorded:
        stamp = _stamp(name, _TS_STAMP)
        if stamp is not None:
            candidates = by_stamp.get(stamp, [])
            if len(candidates) > 1:
                raise MigrationError(
                    f"Cannot import the Linkgress journal: {name} matches "
                    f"{' and '.join(f.filename for f in candidates)} (the same timestamp); "
                    "keep one ported file per Linkgress file"
                )
            found = candidates[0] if candidates else None
        else:
            found = by_stem.get(name.removesuffix(".ts"))
        if found is None:
            unmatched.append(name)
        else:
            matched[name] = found
    if unmatched:
        raise MigrationError(
            f"Cannot import the Linkgress journal: no ported file in {directory} for "
            f"{counted(len(unmatched), 'applied file')} ({_listed(unmatched)}); port each as a "
            ".py file with the same timestamp (20240115-093000.ts -> 20240115_093000_name.py) "
            "or the same stem, then run the import again"
        )
    twice = [f.filename for f in matched.values() if list(matched.values()).count(f) > 1]
    if twice:
        raise MigrationError(
            f"Cannot import the Linkgress journal: {twice[0]} stands for more than one "
            "Linkgress file; give each ported file its own timestamp"
        )
    return matched


async def import_linkgress_journal(runner: MigrationRunner) -> list[str]:
    """Replace the Linkgress journal of ``runner``'s table by ours (see the module's doc)."""
    journal = runner.journal
    archive_name = journal.table + LINKGRESS_JOURNAL_SUFFIX
    try:
        archive = qualified(journal.schema, archive_name)
    except ValueError as error:
        raise JournalError(
            f"Cannot import the Linkgress journal {journal.qualified}: the archive name "
            f"{archive_name!r} cannot be used ({error}); use a shorter journal_table="
        ) from error
    # Loaded before the lock: a file that does not import is reported without waiting.
    files = await load_directory(runner.directory)
    async with runner._locked(ensure=False) as session:
        conn = session.conn
        columns = await journal.columns(conn)
        if columns is None:
            raise MigrationError(
                f"Cannot import the Linkgress journal: there is no table {journal.qualified}; "
                "point journal_table= / journal_schema= at the table Linkgress wrote"
            )
        if not is_linkgress_journal(columns):
            raise MigrationError(
                f"Cannot import the Linkgress journal: {journal.qualified} has the columns "
                f"{', '.join(sorted(columns))}, not Linkgress' id, filename and applied_at "
                "(already imported?); nothing was changed"
            )
        if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", archive):
            raise MigrationError(
                f"Cannot import the Linkgress journal: {archive} already exists; drop or "
                "rename it, then run the import again"
            )
        rows = await conn.fetch(
            f"SELECT filename, applied_at FROM {journal.qualified} ORDER BY filename, id"
        )
        matched = match_linkgress_files(
            [row["filename"] for row in rows], files, str(runner.directory)
        )
        imported = [
            ImportedFile(row["filename"], matched[row["filename"]], row["applied_at"])
            for row in rows
        ]
        async with conn.transaction():
            await _archive(conn, journal, archive_name)
            await journal.ensure(conn)
            for entry in sorted(imported, key=lambda entry: entry.file.filename):
                await journal.record_imported(
                    conn, entry.file.filename, entry.file.checksum, entry.applied_at
                )
    for entry in imported:
        runner._log(f"Imported {entry.linkgress_filename} as {entry.file.filename}")
    runner._log(
        f"Imported {counted(len(imported), 'migration')} from Linkgress into "
        f"{journal.qualified}; its rows are kept in {archive}"
    )
    return sorted(entry.file.filename for entry in imported)


async def _archive(conn: AnyConnection, journal: Journal, archive_name: str) -> None:
    """Rename the Linkgress table, and the key indexes and sequence PostgreSQL named after
    it, so that the new journal gets the usual names."""
    await conn.execute(f"ALTER TABLE {journal.qualified} RENAME TO {quote_ident(archive_name)}")
    for kind, suffix in (("INDEX", "_pkey"), ("INDEX", "_filename_key"), ("SEQUENCE", "_id_seq")):
        try:
            old = qualified(journal.schema, journal.table + suffix)
            new = quote_ident(archive_name + suffix)
        except ValueError:
            # A name too long to be PostgreSQL's own: it was shortened, and is left alone.
            continue
        await conn.execute(f"ALTER {kind} IF EXISTS {old} RENAME TO {new}")
