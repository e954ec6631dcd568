"""What the journal says against what is on disk: unresolved, missing and changed files.

Pure functions shared by ``MigrationRunner.up``/``down`` (which refuse on a problem) and
``MigrationRunner.verify`` (which reports every problem).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Literal

from attrs import define, frozen

from linkgress_async.errors import UnresolvedMigrationError
from linkgress_async.migrations.files import MigrationFile
from linkgress_async.migrations.journal import FAILED, JournalEntry

__all__ = [
    "FailedMigration",
    "MigrationProblem",
    "MigrationResult",
    "MigrationStatus",
    "file_problems",
    "refuse_unresolved",
    "unresolved_note",
]


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
    error: str | None = None
    """Set when the file failed part-way (or was interrupted) outside a transaction."""


@frozen
class MigrationProblem:
    """An applied migration whose file changed (``"changed"``) or is gone (``"missing"``)."""

    filename: str
    kind: Literal["changed", "missing"]
    message: str
    recorded_checksum: str = ""
    disk_checksum: str = ""


def file_problems(
    entries: Iterable[JournalEntry],
    on_disk: Mapping[str, MigrationFile],
    journal: str,
    directory: Path,
) -> list[MigrationProblem]:
    """Applied files that are gone from ``directory``, then those changed since applied."""
    missing: list[MigrationProblem] = []
    changed: list[MigrationProblem] = []
    for entry in entries:
        file = on_disk.get(entry.filename)
        if file is None:
            missing.append(
                MigrationProblem(
                    entry.filename,
                    "missing",
                    f"{entry.filename} is recorded as applied in {journal} but is missing "
                    f"from {directory}",
                    entry.checksum,
                )
            )
        elif file.checksum != entry.checksum:
            changed.append(
                MigrationProblem(
                    entry.filename,
                    "changed",
                    f"{entry.filename} was changed after it was applied (checksum "
                    f"{entry.checksum[:12]} recorded, {file.checksum[:12]} on disk)",
                    entry.checksum,
                    file.checksum,
                )
            )
    return missing + changed


def refuse_unresolved(entries: Iterable[JournalEntry]) -> None:
    """Raise :class:`UnresolvedMigrationError` for the first failed or interrupted file."""
    for entry in entries:
        if entry.applied:
            continue
        if entry.status == FAILED:
            what = f"failed part-way outside a transaction ({entry.error})"
        else:
            what = (
                "was interrupted while it ran outside a transaction (the runner was "
                "killed or lost its connection)"
            )
        raise UnresolvedMigrationError(
            f"Migration {entry.filename} {what}; its statements may be partially applied, "
            "so it is neither skipped nor run again. Inspect the database and finish or "
            "undo the change by hand, then call "
            f"MigrationRunner.resolve({entry.filename!r}, applied=True) if it is now fully "
            "applied, or applied=False to run it again",
            entry.filename,
        )


def unresolved_note(entry: JournalEntry) -> str | None:
    """What ``status()`` says about a failed or interrupted file; ``None`` when applied."""
    if entry.applied:
        return None
    if entry.status == FAILED:
        return f"failed part-way: {entry.error}; see MigrationRunner.resolve()"
    return "interrupted while running outside a transaction; see MigrationRunner.resolve()"
