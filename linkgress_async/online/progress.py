"""Progress of an online migration's long phases, on a terminal only.

Index builds report what ``pg_stat_progress_create_index`` says (the build's phase and how
many blocks or tuples of how many it has done), polled from another connection; backfills
report rows done and the rate after every batch. Lines are rewritten in place (``\\r``) on
standard error when it is a terminal, and nothing is written otherwise; :func:`progress_to`
sends them to another stream (a log file, a test).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

import anyio
import asyncpg
from attrs import define

from linkgress_async.client import PgClient

__all__ = ["OnlineProgress", "poll_index_build", "progress_to", "terminal_progress"]

POLL_SECONDS = 0.5

_stream: ContextVar[TextIO | None] = ContextVar("linkgress_online_progress", default=None)


@contextmanager
def progress_to(stream: TextIO) -> Iterator[None]:
    """Within the block, online migrations report progress to ``stream``, terminal or not."""
    token = _stream.set(stream)
    try:
        yield
    finally:
        _stream.reset(token)


def terminal_progress() -> OnlineProgress | None:
    """Where this task's online migration reports progress: the stream given to
    :func:`progress_to`, else standard error when it is a terminal, else nowhere."""
    stream = _stream.get()
    if stream is not None:
        return OnlineProgress(stream)
    if sys.stderr is not None and sys.stderr.isatty():
        return OnlineProgress(sys.stderr)
    return None


@define
class OnlineProgress:
    """Writes one progress line at a time, rewritten in place."""

    stream: TextIO
    _open: bool = False

    def show(self, line: str) -> None:
        """Replace the current progress line with ``line``."""
        self.stream.write(f"\r\x1b[K  {line}")
        self.stream.flush()
        self._open = True

    def end(self) -> None:
        """End the current progress line (the next output starts on a new one)."""
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False

    def backfill(self, what: str, rows: int, seconds: float) -> None:
        """After a batch: rows done so far and the rate."""
        rate = rows / seconds if seconds > 0 else 0.0
        self.show(f"{what}: {rows:,} rows ({rate:,.0f} rows/s)")

    def index(self, what: str, row: asyncpg.Record) -> None:
        """One sample of ``pg_stat_progress_create_index``."""
        done, total, unit = row["blocks_done"], row["blocks_total"], "blocks"
        if not total:
            done, total, unit = row["tuples_done"], row["tuples_total"], "tuples"
        share = f" {100 * done / total:.0f}% ({done:,}/{total:,} {unit})" if total else ""
        self.show(f"{what}: {row['phase']}{share}")


_SAMPLE = (
    "SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total"
    " FROM pg_catalog.pg_stat_progress_create_index WHERE pid = $1"
)


async def poll_index_build(client: PgClient, pid: int, what: str, progress: OnlineProgress) -> None:
    """Report the index build of backend ``pid`` until cancelled (best effort: without a
    free connection within a moment, or on an error, it stays quiet)."""
    pool = await client.connect()
    try:
        conn = await pool.acquire(timeout=POLL_SECONDS * 2)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return
    try:
        while True:
            row = await conn.fetchrow(_SAMPLE, pid)
            if row is not None:
                progress.index(what, row)
            await anyio.sleep(POLL_SECONDS)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return
    finally:
        with anyio.CancelScope(shield=True):
            await pool.release(conn)
