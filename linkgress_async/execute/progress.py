"""Watching a plan's statements as they run: the hook ``migrate()`` reports them through.

``DbSchemaManager(statement_progress=...)`` makes the plan run one statement per round trip
and calls the hook before and after each: the command line shows every statement as it runs
on a terminal, with the time of a long one. Without the hook statements go in batches.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["StatementProgress"]


class StatementProgress(Protocol):
    """Told about each statement of a plan as it starts and ends (``number`` counts from 1)."""

    def started(self, number: int, total: int, statement: str) -> None:
        """``statement`` is about to be sent."""
        ...

    def finished(self, number: int, total: int, seconds: float, *, failed: bool) -> None:
        """The statement ended after ``seconds``; ``failed`` when the server rejected it."""
        ...
