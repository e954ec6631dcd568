"""The run record: every fleet run written down as it goes, so it can be resumed and shown.

A record lives where the user says: a JSON Lines file (:class:`FileRecord`) or a table
(:class:`TableRecord`, given by DSN and name). It holds the last run: a ``run`` entry (its
id, operation, options and target count), one ``target`` entry per target as the target
ends (status, applied count, time, error and cause), and an ``end`` entry (counts, why the
run stopped) when the run ends. Entries are written by one task as targets end, each batch
with one write and an ``fsync`` (a table: one committed ``INSERT``), so a run killed midway
leaves a readable record of every target that ended; targets without an entry count as
``not-run``.

``resume=True`` reads the last run and runs only its failed and not-run targets (and any
target it never listed); the targets it finished are carried into the new run's record, so
a second resume continues from there.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import anyio
import anyio.to_thread
import asyncpg
from anyio.streams.memory import MemoryObjectReceiveStream
from attrs import field, frozen

from linkgress_async.dsn import is_url, redact_dsn
from linkgress_async.errors import LinkgressError, one_line
from linkgress_async.fleet.results import FleetResult, TargetResult
from linkgress_async.fleet.targets import FleetTarget
from linkgress_async.render.quote import identifier_problem, qualified, quote_ident

__all__ = [
    "DEFAULT_RECORD_TABLE",
    "Entry",
    "FileRecord",
    "RecordLike",
    "RunRecordError",
    "TableRecord",
    "as_record",
    "cause_of",
    "read_last_run",
    "record_key",
    "recording",
    "resume_targets",
]

DEFAULT_RECORD_TABLE = "linkgress_fleet_runs"

Entry = dict[str, Any]
"""One entry of a record: a JSON object with ``"entry"`` set to run, target or end."""

_FINISHED = ("ok", "skipped")
# The record connection's bound on connecting; each statement is small.
_CONNECT_TIMEOUT = 10.0


class RunRecordError(LinkgressError):
    """The run record cannot be read or written, or holds no run to resume."""


@frozen
class FileRecord:
    """A run record in a JSON Lines file (rewritten by each run, appended as targets end)."""

    path: Path = field(converter=Path)

    def describe(self) -> str:
        """Where the record is, for messages."""
        return str(self.path)


def _table_name(value: str) -> str:
    problem = identifier_problem(value)
    if problem is not None:
        raise RunRecordError(f"run record table {value!r}: {problem}; pass a valid table name")
    return value


@frozen
class TableRecord:
    """A run record in a table (created when missing), one row per entry, in database ``dsn``."""

    dsn: str = field(repr=lambda dsn: repr(redact_dsn(dsn)))
    table: str = field(default=DEFAULT_RECORD_TABLE, converter=_table_name)
    schema: str = field(default="public", converter=_table_name)

    def describe(self) -> str:
        """Where the record is, for messages (no password)."""
        return f"table {qualified(self.schema, self.table)} in {redact_dsn(self.dsn)}"


RecordLike = str | os.PathLike[str] | FileRecord | TableRecord
"""What ``record=`` accepts: a file path, a ``postgresql://`` URL (the default table in that
database), a :class:`FileRecord` or a :class:`TableRecord`."""


def as_record(value: RecordLike) -> FileRecord | TableRecord:
    """The record named by ``value``; a ``postgresql://`` URL means a table in that database."""
    if isinstance(value, FileRecord | TableRecord):
        return value
    if isinstance(value, str) and is_url(value):
        return TableRecord(value)
    if isinstance(value, str | os.PathLike):
        return FileRecord(Path(value))
    raise TypeError(f"record must be a path, a postgresql:// URL or a record value, got {value!r}")


def record_key(target: FleetTarget) -> str:
    """How a record names a target across runs: its DSN without password, and its schema."""
    key = redact_dsn(target.dsn)
    return key if target.schema is None else f"{key} schema={target.schema}"


def cause_of(result: TargetResult) -> str | None:
    """A failure's cause, for grouping: the exception type, with its SQLSTATE when it has one."""
    if result.status != "failed":
        return None
    error = result.exception
    if error is None:
        return (result.error or "unknown").split(":", 1)[0]
    sqlstate = getattr(error, "sqlstate", None)
    name = type(error).__name__
    return f"{name} ({sqlstate})" if isinstance(sqlstate, str) else name


def _target_entry(result: TargetResult) -> Entry:
    return {
        "entry": "target",
        "index": result.index,
        "target": record_key(result.target),
        "label": result.label,
        "status": result.status,
        "applied": len(result.applied),
        "duration": round(result.duration, 3),
        "error": result.error,
        "cause": cause_of(result),
    }


def _line(entry: Entry) -> bytes:
    return (json.dumps(entry, default=str, ensure_ascii=False) + "\n").encode()


class _Store(Protocol):
    async def each_of_last_run(self, sink: Callable[[Entry], None]) -> bool: ...

    async def begin(self, run: Entry, carry_from: str | None) -> None: ...

    async def append(self, entries: Sequence[Entry]) -> None: ...

    async def close(self) -> None: ...


class _FileStore:
    """One run a file: written to a temporary file and renamed, then appended with fsync."""

    def __init__(self, record: FileRecord) -> None:
        self.path = record.path
        self.fd: int | None = None

    def _read(self, sink: Callable[[Entry], None]) -> bool:
        try:
            file = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            return False
        with file:
            for line in file:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    # Only a line cut short by a crash can be torn; the entries before it stand.
                    continue
                if isinstance(entry, dict):
                    sink(entry)
        return True

    async def each_of_last_run(self, sink: Callable[[Entry], None]) -> bool:
        return await anyio.to_thread.run_sync(self._read, sink)

    def _begin(self, run: Entry, carry_from: str | None) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        with temporary.open("wb") as out:
            out.write(_line(run))
            if carry_from is not None:

                def carry(entry: Entry) -> None:
                    if entry.get("entry") == "target" and entry.get("status") in _FINISHED:
                        out.write(_line({**entry, "carried": True}))

                self._read(carry)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    async def begin(self, run: Entry, carry_from: str | None) -> None:
        await anyio.to_thread.run_sync(self._begin, run, carry_from)

    def _append(self, entries: Sequence[Entry]) -> None:
        assert self.fd is not None, "begin() opens the record"
        os.write(self.fd, b"".join(_line(entry) for entry in entries))
        os.fsync(self.fd)

    async def append(self, entries: Sequence[Entry]) -> None:
        await anyio.to_thread.run_sync(self._append, entries)

    async def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class _TableStore:
    """Rows of (seq, run_id, recorded_at, entry jsonb); the last run is the newest run row."""

    def __init__(self, record: TableRecord) -> None:
        self.record = record
        self.name = qualified(record.schema, record.table)
        self.connection: asyncpg.Connection | None = None
        self.run_id: str | None = None

    async def _connection(self) -> asyncpg.Connection:
        if self.connection is None:
            self.connection = await asyncpg.connect(self.record.dsn, timeout=_CONNECT_TIMEOUT)
            index = quote_ident(f"{self.record.table}_run_seq")
            await self.connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self.name} ("
                " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                " run_id text NOT NULL,"
                " recorded_at timestamptz NOT NULL DEFAULT now(),"
                " entry jsonb NOT NULL);"
                f" CREATE INDEX IF NOT EXISTS {index} ON {self.name} (run_id, seq)"
            )
        return self.connection

    async def each_of_last_run(self, sink: Callable[[Entry], None]) -> bool:
        connection = await self._connection()
        run_id = await connection.fetchval(
            f"SELECT run_id FROM {self.name} WHERE entry->>'entry' = 'run'"
            " ORDER BY seq DESC LIMIT 1"
        )
        if run_id is None:
            return False
        async with connection.transaction():
            query = f"SELECT entry::text FROM {self.name} WHERE run_id = $1 ORDER BY seq"
            async for row in connection.cursor(query, run_id, prefetch=1000):
                sink(json.loads(row[0]))
        return True

    async def begin(self, run: Entry, carry_from: str | None) -> None:
        connection = await self._connection()
        self.run_id = str(run["run"])
        async with connection.transaction():
            await connection.execute(
                f"INSERT INTO {self.name} (run_id, entry) VALUES ($1, $2::jsonb)",
                self.run_id,
                json.dumps(run, default=str),
            )
            if carry_from is not None:
                await connection.execute(
                    f"INSERT INTO {self.name} (run_id, entry)"
                    " SELECT $1, entry || '{\"carried\": true}'::jsonb"
                    f" FROM {self.name} WHERE run_id = $2 AND entry->>'entry' = 'target'"
                    " AND entry->>'status' = ANY($3::text[]) ORDER BY seq",
                    self.run_id,
                    carry_from,
                    list(_FINISHED),
                )

    async def append(self, entries: Sequence[Entry]) -> None:
        connection = await self._connection()
        await connection.executemany(
            f"INSERT INTO {self.name} (run_id, entry) VALUES ($1, $2::jsonb)",
            [(self.run_id, json.dumps(entry, default=str)) for entry in entries],
        )

    async def close(self) -> None:
        if self.connection is not None:
            with anyio.CancelScope(shield=True):
                await self.connection.close(timeout=_CONNECT_TIMEOUT)
            self.connection = None


def _store(record: FileRecord | TableRecord) -> _Store:
    return _FileStore(record) if isinstance(record, FileRecord) else _TableStore(record)


_STORE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


@asynccontextmanager
async def _guarded(record: FileRecord | TableRecord, doing: str) -> AsyncIterator[None]:
    try:
        yield
    except _STORE_ERRORS as error:
        raise RunRecordError(
            f"cannot {doing} the run record {record.describe()}: {one_line(error)}; "
            "check the path or database, or pass another record="
        ) from error


async def read_last_run(record: RecordLike, sink: Callable[[Entry], None]) -> bool:
    """Feed every entry of the last run recorded in ``record`` to ``sink``, in order.

    Returns ``False`` when the record holds no run (the file or table does not exist yet).
    Entries are streamed, never all held at once.
    """
    where = as_record(record)
    store = _store(where)
    try:
        async with _guarded(where, "read"):
            return await store.each_of_last_run(sink)
    finally:
        await store.close()


@frozen
class Resumption:
    """The targets a resumed run runs, and the recorded run it continues."""

    targets: list[FleetTarget]
    run_id: str
    finished: int


async def resume_targets(
    record: FileRecord | TableRecord, operation: str, targets: Iterable[FleetTarget]
) -> Resumption:
    """The targets of ``targets`` the last recorded run did not finish (failed, not run, or
    not in it); raises :class:`RunRecordError` when there is no run to resume."""
    header: Entry = {}
    finished: set[str] = set()

    def take(entry: Entry) -> None:
        kind = entry.get("entry")
        if kind == "run":
            header.update(entry)
        elif kind == "target" and entry.get("status") in _FINISHED:
            finished.add(str(entry.get("target")))

    if not await read_last_run(record, take) or not header:
        raise RunRecordError(
            f"no run is recorded in {record.describe()} to resume; run without resume first "
            "(with the same record=), or check the record's path"
        )
    if header.get("operation") != operation:
        raise RunRecordError(
            f"the last run recorded in {record.describe()} was {header.get('operation')}, not "
            f"{operation}; resume it with {header.get('operation')} or use another record"
        )
    pending = [target for target in targets if record_key(target) not in finished]
    return Resumption(pending, str(header["run"]), len(finished))


class Recorder:
    """Takes a target's result as it ends (synchronously) and queues its entry for writing."""

    def __init__(self, send: Callable[[Entry], None]) -> None:
        self._send = send

    def target(self, result: TargetResult) -> None:
        """Queue the entry of a target that ended."""
        self._send(_target_entry(result))

    def end(self, result: FleetResult) -> None:
        """Queue the targets that did not run, then the run's last entry: its counts, time
        and why it stopped."""
        for target in result.not_run:
            self.target(target)
        self._send(
            {
                "entry": "end",
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "duration": round(result.duration, 3),
                "counts": result.counts(),
                "stopped": result.stopped,
            }
        )


async def _write(
    store: _Store, record: FileRecord | TableRecord, entries: MemoryObjectReceiveStream[Entry]
) -> None:
    async with entries, _guarded(record, "write"):
        async for first in entries:
            batch = [first]
            # Whatever queued while the last batch was written goes in one write and fsync.
            while True:
                try:
                    batch.append(entries.receive_nowait())
                except (anyio.WouldBlock, anyio.EndOfStream):
                    break
            await store.append(batch)


@asynccontextmanager
async def recording(
    record: FileRecord | TableRecord,
    *,
    operation: str,
    options: Mapping[str, Any],
    targets: int,
    resumed: Resumption | None,
) -> AsyncIterator[Recorder]:
    """Start a run in ``record`` and write its entries as the :class:`Recorder` gets them.

    The run entry (and, when resuming, the finished targets carried over) is durable before
    the body runs; leaving the block waits until every queued entry is written.
    """
    store = _store(record)
    run: Entry = {
        "entry": "run",
        "run": uuid.uuid4().hex,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "operation": operation,
        "targets": targets + (resumed.finished if resumed else 0),
        "options": dict(options),
        "resumed_from": resumed.run_id if resumed else None,
    }
    try:
        async with _guarded(record, "write"):
            await store.begin(run, resumed.run_id if resumed else None)
        # Unbounded in count, but an entry is a few hundred bytes and the writer drains the
        # queue in batches as fast as the disk or database takes them.
        send, receive = anyio.create_memory_object_stream[Entry](max_buffer_size=float("inf"))
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_write, store, record, receive)
                with send:
                    yield Recorder(send.send_nowait)
        except BaseExceptionGroup as failure:
            # The writer's RunRecordError (which cancelled the run), or the run's own error.
            first = failure.exceptions[0]
            raise first from first.__cause__
    finally:
        await store.close()
