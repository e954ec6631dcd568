"""What migration files may do without asking: destructive files, out-of-order files, targets.

The scaffold declares on each class what ``up`` deletes (``destructive``), what ``down``
deletes (``destructive_down``) and what ``down`` cannot restore (``irreversible``); here those
declarations become a confirmation asked before anything runs, like ``migrate()`` asks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

from attrs import frozen

from linkgress_async.errors import (
    DestructiveFilesError,
    MigrationError,
    OutOfOrderMigrationError,
    counted,
)
from linkgress_async.migrations.files import MigrationFile
from linkgress_async.prompt import confirmed_by

__all__ = [
    "ConfirmFiles",
    "FileHazard",
    "confirm_files",
    "file_hazards",
    "newest_to_revert",
    "refuse_out_of_order",
    "up_to",
]


@frozen
class FileHazard:
    """One file of a run that deletes data, or whose ``down`` leaves something unrestored."""

    filename: str
    deletes: tuple[str, ...]
    not_restored: tuple[str, ...] = ()

    def describe(self) -> str:
        """``file (deletes: ...; not restored by down: ...)``, for prompts and errors."""
        parts = []
        if self.deletes:
            parts.append("deletes: " + "; ".join(self.deletes))
        if self.not_restored:
            parts.append("not restored by down: " + "; ".join(self.not_restored))
        return f"{self.filename} ({', '.join(parts)})"


ConfirmFiles = Callable[[list[FileHazard]], bool | Awaitable[bool]]
"""Decides, in place of the prompt, whether the listed files may run."""


def file_hazards(
    files: Sequence[MigrationFile], direction: Literal["up", "down"]
) -> list[FileHazard]:
    """The files among ``files`` whose declared effects need a confirmation."""
    hazards = []
    for file in files:
        cls = file.migration_class
        if direction == "up":
            hazard = FileHazard(file.filename, tuple(cls.destructive))
        else:
            hazard = FileHazard(file.filename, tuple(cls.destructive_down), tuple(cls.irreversible))
        if hazard.deletes or hazard.not_restored:
            hazards.append(hazard)
    return hazards


async def confirm_files(
    hazards: Sequence[FileHazard],
    direction: Literal["up", "down"],
    *,
    allow_destructive: bool,
    interactive: bool | None,
    confirm: ConfirmFiles | None,
    log: Callable[[str], object],
) -> None:
    """Raise :class:`DestructiveFilesError` unless ``hazards`` are allowed or confirmed.

    Like ``migrate()``: ``confirm`` decides when given; else a terminal is asked (never when
    ``interactive`` is false); with neither, the files are refused.
    """
    if not hazards or allow_destructive:
        return
    verb = "apply" if direction == "up" else "revert"
    log(f"WARNING: {counted(len(hazards), 'migration file')} to {verb} may lose data:")
    for hazard in hazards:
        log(f"  - {hazard.describe()}")
    if await confirmed_by(
        list(hazards), interactive, confirm, "These migrations may cause data loss. Continue?"
    ):
        return
    listed = "; ".join(hazard.describe() for hazard in hazards)
    raise DestructiveFilesError(
        f"Migration aborted: {counted(len(hazards), 'file')} to {verb} not confirmed "
        f"({listed}); nothing was run. Review them, then pass allow_destructive=True, a "
        "confirm= callback, or run interactively",
        hazards,
    )


def refuse_out_of_order(
    pending: Sequence[MigrationFile], applied: Sequence[str], journal: str
) -> None:
    """Refuse pending files that sort before the newest applied one (Flyway's rule)."""
    if not applied:
        return
    newest = max(applied)
    older = [file.filename for file in pending if file.filename < newest]
    if older:
        raise OutOfOrderMigrationError(
            f"Migration {counted(len(older), 'file')} older than the newest applied one "
            f"({newest} in {journal}) {'is' if len(older) == 1 else 'are'} pending: "
            f"{', '.join(older)}; it would run after newer files it may depend on. Rename it "
            "to sort last, or pass allow_out_of_order=True to apply it anyway",
            older,
        )


def up_to(pending: Sequence[MigrationFile], target: str | None, known: Sequence[str]) -> int:
    """How many of ``pending`` run with ``to=target`` (all when ``target`` is ``None``)."""
    if target is None:
        return len(pending)
    names = [file.filename for file in pending]
    if target in names:
        return names.index(target) + 1
    if target in known:
        raise MigrationError(
            f"Migration {target} is already applied; there is nothing to apply up to it"
        )
    raise MigrationError(f"Migration {target} is not a migration file; `status` lists them")


def newest_to_revert(applied: Sequence[str], count: int | None, target: str | None) -> list[str]:
    """The applied files to revert, newest first: ``count`` of them, or those after ``target``.

    A count larger than the number applied is refused rather than reverting everything.
    """
    newest_first = list(reversed(applied))
    if target is not None:
        if target not in applied:
            raise MigrationError(
                f"Migration {target} is not applied, so down cannot stop at it; `status` "
                "lists the applied files"
            )
        return newest_first[: newest_first.index(target)]
    wanted = 1 if count is None else count
    if wanted > len(applied):
        verb = "is" if len(applied) == 1 else "are"
        have = f"only {len(applied)} {verb}" if applied else "none is"
        raise MigrationError(
            f"Cannot revert {counted(wanted, 'migration')}: {have} applied; nothing was "
            f"reverted. Ask for at most {len(applied)}, or use --to/to= to name the file to "
            "stop at"
        )
    return newest_first[:wanted]
