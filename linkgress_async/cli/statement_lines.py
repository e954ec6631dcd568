"""``migrate`` on a terminal: each statement as it runs, and the time of a long one.

Off a terminal (a CI log, a pipe) nothing is added: the plan and the summary say enough, and
a log of rewritten lines reads badly.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from linkgress_async.cli.output import Output

__all__ = ["LONG_STATEMENT_SECONDS", "StatementLines", "statement_lines", "with_clock"]

LONG_STATEMENT_SECONDS = 1.0
"""A statement running longer than this shows its elapsed time, updated every second."""

_WIDTH = 72
_CLEAR_LINE = "\r\033[K"

T = TypeVar("T")


def _summary(statement: str) -> str:
    """The statement on one line, shortened to fit beside the counter."""
    text = " ".join(statement.split())
    return text if len(text) <= _WIDTH else text[: _WIDTH - 3] + "..."


class StatementLines:
    """A :class:`~linkgress_async.execute.progress.StatementProgress` that prints
    ``statement 3 of 12: ALTER TABLE ... ok``, a long statement's seconds counting meanwhile
    (:meth:`keep_time` updates them)."""

    def __init__(self, output: Output, *, long_after: float = LONG_STATEMENT_SECONDS) -> None:
        self.output = output
        self.long_after = long_after
        self._head: str | None = None
        self._began = 0.0
        self._shown = 0

    def started(self, number: int, total: int, statement: str) -> None:
        """Print the statement about to run (the line stays open)."""
        self._head = f"statement {number} of {total}: {_summary(statement)} ..."
        self._began = time.monotonic()
        self._shown = 0
        self.output.write(self._head)

    def finished(self, number: int, total: int, seconds: float, *, failed: bool) -> None:
        """Close the statement's line: ``ok`` (with its time when long) or ``FAILED``."""
        head, self._head = self._head, None
        if head is None:
            return
        verdict = (
            self.output.styled("FAILED", "red") if failed else self.output.styled("ok", "green")
        )
        timing = f" ({seconds:.1f} s)" if seconds >= self.long_after else ""
        redraw = f"{_CLEAR_LINE}{head}" if self._shown else ""
        self.output.line(f"{redraw} {verdict}{timing}")

    def tick(self) -> None:
        """Redraw the running statement's line with its whole seconds, once it is long."""
        if self._head is None:
            return
        elapsed = time.monotonic() - self._began
        if elapsed < self.long_after or int(elapsed) == self._shown:
            return
        self._shown = int(elapsed)
        self.output.write(f"{_CLEAR_LINE}{self._head} {self._shown} s")

    async def keep_time(self, every: float = 0.25) -> None:
        """Call :meth:`tick` for ever (run it beside the migration, cancel it after)."""
        while True:
            await anyio.sleep(every)
            self.tick()


def statement_lines(output: Output) -> StatementLines | None:
    """Statement progress when stdout is a terminal; ``None`` (quiet) otherwise."""
    isatty = getattr(output.stdout, "isatty", None)
    return StatementLines(output) if isatty is not None and isatty() else None


async def with_clock(lines: StatementLines | None, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` while ``lines`` keeps the running statement's time current."""
    if lines is None:
        return await work()
    failure: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(lines.keep_time)
        try:
            result = await work()
        except Exception as error:
            # Raised below, outside the group, so it is not wrapped in an ExceptionGroup.
            failure = error
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return result
