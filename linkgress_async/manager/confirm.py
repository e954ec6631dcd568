"""Confirming a plan's destructive operations: the ``confirm=`` callback and the refusal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from linkgress_async.errors import DestructiveMigrationError, counted
from linkgress_async.ops import MigrationOperation
from linkgress_async.prompt import confirmed_by

__all__ = ["Confirm", "refuse_unconfirmed"]

Confirm = Callable[[list[MigrationOperation]], bool | Awaitable[bool]]


async def refuse_unconfirmed(
    operations: Sequence[MigrationOperation],
    allow_destructive: bool,
    interactive: bool | None,
    confirm: Confirm | None,
    what: str = "Migration",
) -> None:
    """Raise :class:`DestructiveMigrationError` unless the plan's destructive operations are
    allowed or confirmed (by ``confirm``, else on the terminal when interactive)."""
    destructive = [op for op in operations if op.destructive]
    if (
        not destructive
        or allow_destructive
        or await confirmed_by(
            destructive, interactive, confirm, "These operations may cause data loss. Continue?"
        )
    ):
        return
    raise DestructiveMigrationError(
        f"{what} aborted: {counted(len(destructive), 'destructive operation')} not "
        "confirmed (" + "; ".join(op.describe() for op in destructive) + "). "
        "Nothing was changed. Review them, then pass allow_destructive=True, a "
        "confirm= callback, or run interactively.",
        destructive,
    )
