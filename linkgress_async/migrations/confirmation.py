"""A run's destructive files: confirmed before the runner's lock, rechecked under it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from linkgress_async.errors import DestructiveFilesError
from linkgress_async.migrations.files import MigrationFile
from linkgress_async.migrations.guard import ConfirmFiles, FileHazard, confirm_files, file_hazards

__all__ = ["confirm_run", "refuse_unconfirmed"]


async def confirm_run(
    files: list[MigrationFile],
    direction: Literal["up", "down"],
    allow_destructive: bool,
    interactive: bool | None,
    confirm: ConfirmFiles | None,
    log: Callable[[str], object],
) -> set[str] | None:
    """Confirm ``files``' hazards; the filenames confirmed (``None``: all allowed)."""
    if allow_destructive:
        return None
    hazards = file_hazards(files, direction)
    await confirm_files(
        hazards,
        direction,
        allow_destructive=False,
        interactive=interactive,
        confirm=confirm,
        log=log,
    )
    return {hazard.filename for hazard in hazards}


def refuse_unconfirmed(
    files: list[MigrationFile],
    direction: Literal["up", "down"],
    confirmed: set[str] | None,
) -> None:
    """Files that another runner's work brought into this run were never confirmed."""
    if confirmed is None:
        return
    unconfirmed: list[FileHazard] = [
        hazard for hazard in file_hazards(files, direction) if hazard.filename not in confirmed
    ]
    if unconfirmed:
        raise DestructiveFilesError(
            "The migration files changed while this run waited for the lock; nothing "
            "was run. Run it again to review "
            + "; ".join(hazard.describe() for hazard in unconfirmed),
            unconfirmed,
        )
