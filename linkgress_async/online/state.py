"""The record of online migrations: which phase each reached, so an interrupted one resumes.

One row per run in ``{journal_schema}.__online_migrations``, written on the migration's own
connection between phases (each write commits at once). A row still ``running`` when the
next online migration takes the migration lock was interrupted (its process was killed, its
task cancelled, its connection lost): the phases it finished are in the database, so the new
run plans what is left and says which run it resumes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import asyncpg
from attrs import frozen

from linkgress_async.catalog import QualifiedName
from linkgress_async.client import AnyConnection
from linkgress_async.online.rewrite import Backfill
from linkgress_async.render.quote import qualified, quote_ident

__all__ = [
    "ONLINE_STATE_TABLE",
    "OnlineRecord",
    "OnlineStatus",
    "advance",
    "ensure_table",
    "finish",
    "latest",
    "start",
]

ONLINE_STATE_TABLE = "__online_migrations"

OnlineStatus = Literal["running", "finished", "failed", "interrupted"]


@frozen
class OnlineRecord:
    """One online migration run as recorded."""

    id: int
    status: OnlineStatus
    phases: tuple[str, ...]
    done: int
    started_at: datetime
    updated_at: datetime
    error: str | None = None
    resumed_from: int | None = None
    backfills: tuple[Backfill, ...] = ()
    """The run's backfills of new columns' NULLs: a resumed run finishes them."""

    @property
    def current(self) -> str | None:
        """The phase it was in (or would run next), ``None`` once all are done."""
        return self.phases[self.done] if self.done < len(self.phases) else None

    def as_json(self) -> dict[str, object]:
        """The record for ``linkgress status --json``."""
        return {
            "id": self.id,
            "status": self.status,
            "phases": list(self.phases),
            "done": self.done,
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "error": self.error,
            "resumed_from": self.resumed_from,
        }

    def describe(self) -> str:
        """One line for ``linkgress status``."""
        when = self.updated_at.isoformat(sep=" ", timespec="seconds")
        head = f"Online migration #{self.id}: {self.status}, {self.done} of {len(self.phases)}"
        text = f"{head} phases done (last change {when})"
        if self.status in ("running", "interrupted") and self.current is not None:
            text += f"; at: {self.current}"
        if self.status == "failed" and self.error:
            text += f"; error: {self.error}"
        if self.status == "running":
            text += "; if no migration is running, run migrate --online again to resume it"
        return text


def _table(schema: str) -> str:
    return qualified(schema, ONLINE_STATE_TABLE)


async def ensure_table(conn: AnyConnection, schema: str) -> None:
    """Create the record table (and its schema) when missing."""
    await conn.execute(
        f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)};"
        f"CREATE TABLE IF NOT EXISTS {_table(schema)} ("
        " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " status text NOT NULL,"
        " phases text[] NOT NULL,"
        " done integer NOT NULL DEFAULT 0,"
        " started_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
        " updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
        " error text,"
        " resumed_from bigint,"
        " backfills jsonb NOT NULL DEFAULT '[]')"
    )


_COLUMNS = "id, status, phases, done, started_at, updated_at, error, resumed_from, backfills"


def _record(row: asyncpg.Record) -> OnlineRecord:
    return OnlineRecord(
        row["id"],
        row["status"],
        tuple(row["phases"]),
        row["done"],
        row["started_at"],
        row["updated_at"],
        row["error"],
        row["resumed_from"],
        tuple(_backfill(item) for item in json.loads(row["backfills"])),
    )


def _backfill(item: dict[str, str]) -> Backfill:
    return Backfill(
        QualifiedName(item["schema"], item["table"]),
        item["key"],
        item["column"],
        item["expression"],
        only_null=True,
    )


def _backfill_json(backfill: Backfill) -> dict[str, str]:
    return {
        "schema": backfill.table.schema,
        "table": backfill.table.name,
        "key": backfill.key,
        "column": backfill.column,
        "expression": backfill.expression,
    }


async def latest(conn: AnyConnection, schema: str) -> OnlineRecord | None:
    """The last online migration recorded, or ``None`` (none ran on this database)."""
    exists = await conn.fetchval("SELECT pg_catalog.to_regclass($1) IS NOT NULL", _table(schema))
    if not exists:
        return None
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM {_table(schema)} ORDER BY id DESC LIMIT 1")
    return None if row is None else _record(row)


async def start(
    conn: AnyConnection,
    schema: str,
    phases: Sequence[str],
    resumed_from: int | None,
    backfills: Sequence[Backfill] = (),
) -> int:
    """Record a new run of ``phases`` (and its backfills of new columns, which a resumed run
    finishes); marks an earlier run left ``running`` interrupted."""
    await conn.execute(
        f"UPDATE {_table(schema)} SET status = 'interrupted' WHERE status = 'running'"
    )
    run_id = await conn.fetchval(
        f"INSERT INTO {_table(schema)} (status, phases, resumed_from, backfills)"
        " VALUES ('running', $1, $2, $3::jsonb) RETURNING id",
        list(phases),
        resumed_from,
        json.dumps([_backfill_json(b) for b in backfills if b.only_null]),
    )
    assert isinstance(run_id, int)
    return run_id


async def advance(conn: AnyConnection, schema: str, run_id: int, done: int) -> None:
    """Record that the first ``done`` phases of run ``run_id`` are finished."""
    await conn.execute(
        f"UPDATE {_table(schema)} SET done = $2, updated_at = clock_timestamp() WHERE id = $1",
        run_id,
        done,
    )


async def finish(conn: AnyConnection, schema: str, run_id: int, error: str | None = None) -> None:
    """Record run ``run_id`` finished, or failed with ``error``."""
    await conn.execute(
        f"UPDATE {_table(schema)} SET status = $2, error = $3, updated_at = clock_timestamp()"
        " WHERE id = $1",
        run_id,
        "failed" if error is not None else "finished",
        error,
    )
