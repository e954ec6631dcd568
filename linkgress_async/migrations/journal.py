"""The journal table: which migration files have been applied, when, and their checksums.

Besides the columns of the public contract (``id``, ``filename``, ``applied_at``) and the
``checksum``/``duration_ms`` of earlier versions, a row has a ``status``: ``applied``;
``running`` while a non-transactional file runs (a crash leaves it so); ``failed`` when such a
file failed part-way, with the ``error``. Journals of earlier versions get the two columns added
the next time a runner takes the lock.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Final

import asyncpg
from attrs import frozen

from linkgress_async.client import AnyConnection
from linkgress_async.errors import JournalError
from linkgress_async.render.quote import qualified, quote_ident
from linkgress_async.watch import xact_id_sql

__all__ = ["APPLIED", "FAILED", "RUNNING", "Journal", "JournalEntry", "is_linkgress_journal"]

APPLIED: Final = "applied"
FAILED: Final = "failed"
RUNNING: Final = "running"

# Column -> accepted types (format_type without modifiers), for the columns this code reads
# or writes. A journal altered by hand is reported instead of failing somewhere obscure.
_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "filename": ("character varying", "text"),
    "applied_at": ("timestamp with time zone",),
    "checksum": ("text", "character varying"),
    "duration_ms": ("integer", "bigint"),
}
_ADDED: Final[dict[str, tuple[str, ...]]] = {
    "status": ("text", "character varying"),
    "error": ("text", "character varying"),
}


def is_linkgress_journal(columns: dict[str, str]) -> bool:
    """Whether a journal table has the columns of a Linkgress (TypeScript) journal only."""
    return set(columns) == {"id", "filename", "applied_at"}


@frozen
class JournalEntry:
    """One journal row: an applied migration, or one that failed or was interrupted."""

    filename: str
    applied_at: datetime
    checksum: str
    status: str = APPLIED
    error: str | None = None

    @property
    def applied(self) -> bool:
        """Whether the row records a completed migration."""
        return self.status == APPLIED


class Journal:
    """SQL for one journal table; every method runs on the connection it is given."""

    def __init__(self, schema: str, table: str) -> None:
        self.schema = schema
        self.table = table
        try:
            self.qualified = qualified(schema, table)
        except ValueError as error:
            # A name PostgreSQL would truncate (or an empty one), seen before any SQL runs.
            raise JournalError(
                f"Migration journal {schema!r}.{table!r} cannot be used: {error}; pass a "
                "shorter journal_table= / journal_schema="
            ) from error

    @property
    def lock_key(self) -> int:
        """The advisory lock key of this journal: a stable signed 64-bit hash of its name."""
        digest = hashlib.sha256(f"linkgress_async:{self.qualified}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    async def columns(self, conn: AnyConnection) -> dict[str, str] | None:
        """The table's columns and their types, or ``None`` when the table does not exist."""
        rows = await conn.fetch(
            "SELECT r.oid IS NOT NULL AS found, a.attname,"
            " pg_catalog.format_type(a.atttypid, NULL) AS type"
            " FROM (SELECT pg_catalog.to_regclass($1) AS oid) r"
            " LEFT JOIN pg_catalog.pg_attribute a"
            "  ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped",
            self.qualified,
        )
        if not rows or not rows[0]["found"]:
            return None
        return {row["attname"]: row["type"] for row in rows if row["attname"] is not None}

    def check(self, columns: dict[str, str]) -> None:
        """Raise :class:`JournalError` when a column this library uses is missing or mistyped."""
        if is_linkgress_journal(columns):
            raise JournalError(
                f"Migration journal {self.qualified} was written by Linkgress (TypeScript): it "
                "has only id, filename and applied_at; import it once with `linkgress baseline "
                "--from-linkgress-journal` (MigrationRunner.import_linkgress_journal())"
            )
        problems: list[str] = []
        for name, types in (_REQUIRED | _ADDED).items():
            found = columns.get(name)
            if found is None:
                if name in _REQUIRED:
                    problems.append(f"column {name} is missing (dropped or renamed?)")
            elif found not in types:
                problems.append(f"column {name} has type {found}, expected {' or '.join(types)}")
        if problems:
            raise JournalError(
                f"Migration journal {self.qualified} was altered by hand: "
                + "; ".join(problems)
                + ". Restore its columns (id serial, filename varchar(255) unique, applied_at "
                "timestamptz, checksum text, duration_ms integer, status text, error text) "
                "or point journal_table= at a new journal"
            )

    async def ensure(self, conn: AnyConnection) -> None:
        """Create the schema and the table when missing; check and upgrade an existing one."""
        try:
            await self._ensure(conn)
        except asyncpg.InsufficientPrivilegeError as error:
            raise JournalError(
                f"Cannot create or upgrade the migration journal {self.qualified}: {error}. "
                "Grant the role CREATE on the schema (and on the database for a new schema), "
                "or create the journal once as a role that may"
            ) from error

    async def _ensure(self, conn: AnyConnection) -> None:
        # Checked first because CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege
        # on the database, which a deployment role often lacks once the journal exists.
        columns = await self.columns(conn)
        if columns is not None:
            self.check(columns)
            if _ADDED.keys() - columns.keys():
                # A journal of an earlier version: every existing row was applied.
                await conn.execute(
                    f"ALTER TABLE {self.qualified}"
                    f" ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT '{APPLIED}',"
                    " ADD COLUMN IF NOT EXISTS error TEXT"
                )
            return
        schema_exists = await conn.fetchval(
            "SELECT to_regnamespace($1) IS NOT NULL", quote_ident(self.schema)
        )
        if not schema_exists:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.schema)}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.qualified} (\n"
            "    id SERIAL PRIMARY KEY,\n"
            "    filename VARCHAR(255) NOT NULL UNIQUE,\n"
            "    applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),\n"
            "    checksum TEXT NOT NULL,\n"
            "    duration_ms INTEGER,\n"
            f"    status TEXT NOT NULL DEFAULT '{APPLIED}',\n"
            "    error TEXT\n"
            ")"
        )

    async def entries(self, conn: AnyConnection, *, unresolved: bool = False) -> list[JournalEntry]:
        """Applied migrations in the order recorded; empty when there is no table. Read-only.

        With ``unresolved=True`` the failed and interrupted (``running``) rows come too.
        """
        columns = await self.columns(conn)
        if columns is None:
            return []
        self.check(columns)
        if "status" not in columns:
            # A journal of an earlier version: every row of it was applied.
            rows = await conn.fetch(
                f"SELECT filename, applied_at, checksum FROM {self.qualified} ORDER BY id"
            )
            return [JournalEntry(r["filename"], r["applied_at"], r["checksum"]) for r in rows]
        return await self.read(conn, unresolved=unresolved)

    async def read(self, conn: AnyConnection, *, unresolved: bool = False) -> list[JournalEntry]:
        """:meth:`entries` of a journal :meth:`ensure` has just checked and upgraded."""
        rows = await conn.fetch(
            f"SELECT filename, applied_at, checksum, status, error FROM {self.qualified}"
            " WHERE status = $1 OR $2 ORDER BY id",
            APPLIED,
            unresolved,
        )
        return [
            JournalEntry(r["filename"], r["applied_at"], r["checksum"], r["status"], r["error"])
            for r in rows
        ]

    async def record(
        self,
        conn: AnyConnection,
        filename: str,
        checksum: str,
        duration_ms: int,
        *,
        xid: str | None = None,
    ) -> bool:
        """Record ``filename`` as applied; given ``xid``, only inside that transaction.

        Returns whether the row was written (always, without ``xid``).
        """
        if xid is None:
            await conn.execute(
                f"INSERT INTO {self.qualified} (filename, checksum, duration_ms)"
                " VALUES ($1, $2, $3)",
                filename,
                checksum,
                duration_ms,
            )
            return True
        return bool(
            await conn.fetchval(
                f"WITH here AS (SELECT {xact_id_sql(conn)} = $4 AS same),"
                f" written AS (INSERT INTO {self.qualified} (filename, checksum, duration_ms)"
                "  SELECT $1, $2, $3 FROM here WHERE same RETURNING 1)"
                " SELECT same FROM here",
                filename,
                checksum,
                duration_ms,
                xid,
            )
        )

    async def record_imported(
        self, conn: AnyConnection, filename: str, checksum: str, applied_at: datetime
    ) -> None:
        """Record ``filename`` as applied at ``applied_at`` (imported from another journal;
        its duration is unknown)."""
        await conn.execute(
            f"INSERT INTO {self.qualified} (filename, checksum, applied_at) VALUES ($1, $2, $3)",
            filename,
            checksum,
            applied_at,
        )

    async def start(self, conn: AnyConnection, filename: str, checksum: str) -> None:
        """Record that a non-transactional ``filename`` is being applied (committed at once)."""
        await conn.execute(
            f"INSERT INTO {self.qualified} (filename, checksum, status) VALUES ($1, $2, $3)",
            filename,
            checksum,
            RUNNING,
        )

    async def finish(self, conn: AnyConnection, filename: str, duration_ms: int) -> None:
        """Mark a running ``filename`` applied."""
        await self._update(
            conn,
            filename,
            "status = $2, error = NULL, applied_at = now(), duration_ms = $3",
            APPLIED,
            duration_ms,
        )

    async def mark_running(self, conn: AnyConnection, filename: str) -> None:
        """Mark an applied ``filename`` as being reverted outside a transaction."""
        await self._update(conn, filename, "status = $2", RUNNING)

    async def fail(self, conn: AnyConnection, filename: str, checksum: str, error: str) -> None:
        """Record that ``filename`` failed part-way (its row is kept, marked failed)."""
        await conn.execute(
            f"INSERT INTO {self.qualified} (filename, checksum, status, error)"
            " VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (filename) DO UPDATE SET status = $3, error = $4, applied_at = now()",
            filename,
            checksum,
            FAILED,
            error,
        )

    async def resolve(self, conn: AnyConnection, filename: str, checksum: str) -> None:
        """Mark a failed or interrupted ``filename`` applied, with the file's current checksum."""
        await self._update(
            conn, filename, "status = $2, error = NULL, checksum = $3", APPLIED, checksum
        )

    async def forget(self, conn: AnyConnection, filename: str, *, xid: str | None = None) -> bool:
        """Remove ``filename`` (reverted, or to run again); given ``xid``, only inside that
        transaction. Returns whether it was inside it (always, without ``xid``)."""
        if xid is None:
            await conn.execute(f"DELETE FROM {self.qualified} WHERE filename = $1", filename)
            return True
        return bool(
            await conn.fetchval(
                f"WITH here AS (SELECT {xact_id_sql(conn)} = $2 AS same),"
                f" removed AS (DELETE FROM {self.qualified}"
                "  WHERE filename = $1 AND (SELECT same FROM here) RETURNING 1)"
                " SELECT same FROM here",
                filename,
                xid,
            )
        )

    async def replace(
        self, conn: AnyConnection, originals: list[str], filename: str, checksum: str
    ) -> None:
        """Record ``filename`` as applied in place of ``originals``: the row of the first
        original is renamed, keeping its position in the journal's order, the others go."""
        await conn.execute(
            f"UPDATE {self.qualified} SET filename = $2, checksum = $3, duration_ms = 0"
            " WHERE filename = $1",
            originals[0],
            filename,
            checksum,
        )
        await conn.execute(
            f"DELETE FROM {self.qualified} WHERE filename = ANY($1::text[])", originals[1:]
        )

    async def update_checksum(self, conn: AnyConnection, filename: str, checksum: str) -> None:
        """Accept the current contents of an applied file."""
        await self._update(conn, filename, "checksum = $2", checksum)

    async def _update(
        self, conn: AnyConnection, filename: str, assignments: str, *values: object
    ) -> None:
        """Run ``SET assignments`` on the row of ``filename`` ($1); ``values`` are $2, $3..."""
        await conn.execute(
            f"UPDATE {self.qualified} SET {assignments} WHERE filename = $1", filename, *values
        )
