"""The journal table: which migration files have been applied, when, and their checksums."""

from __future__ import annotations

import hashlib
from datetime import datetime

from attrs import frozen

from linkgress_async.client import AnyConnection
from linkgress_async.render.quote import qualified, quote_ident

__all__ = ["Journal", "JournalEntry"]


@frozen
class JournalEntry:
    """One applied migration as recorded in the journal."""

    filename: str
    applied_at: datetime
    checksum: str


class Journal:
    """SQL for one journal table; every method runs on the connection it is given."""

    def __init__(self, schema: str, table: str) -> None:
        self.schema = schema
        self.table = table
        self.qualified = qualified(schema, table)

    @property
    def lock_key(self) -> int:
        """The advisory lock key of this journal: a stable signed 64-bit hash of its name."""
        digest = hashlib.sha256(f"linkgress_async:{self.qualified}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)

    async def ensure(self, conn: AnyConnection) -> None:
        """Create the schema and the table when missing."""
        # Checked first because CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege
        # on the database, which a deployment role often lacks once the journal exists.
        if await self.exists(conn):
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
            "    duration_ms INTEGER\n"
            ")"
        )

    async def exists(self, conn: AnyConnection) -> bool:
        """Whether the table exists (read-only callers do not create it)."""
        found = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", self.qualified)
        return bool(found)

    async def entries(self, conn: AnyConnection) -> list[JournalEntry]:
        """Applied migrations in the order they were applied; empty when there is no table."""
        if not await self.exists(conn):
            return []
        rows = await conn.fetch(
            f"SELECT filename, applied_at, checksum FROM {self.qualified} ORDER BY id"
        )
        return [JournalEntry(row["filename"], row["applied_at"], row["checksum"]) for row in rows]

    async def record(
        self, conn: AnyConnection, filename: str, checksum: str, duration_ms: int
    ) -> None:
        """Record ``filename`` as applied."""
        await conn.execute(
            f"INSERT INTO {self.qualified} (filename, checksum, duration_ms) VALUES ($1, $2, $3)",
            filename,
            checksum,
            duration_ms,
        )

    async def forget(self, conn: AnyConnection, filename: str) -> None:
        """Remove ``filename`` (it was reverted)."""
        await conn.execute(f"DELETE FROM {self.qualified} WHERE filename = $1", filename)

    async def update_checksum(self, conn: AnyConnection, filename: str, checksum: str) -> None:
        """Accept the current contents of an applied file."""
        await conn.execute(
            f"UPDATE {self.qualified} SET checksum = $2 WHERE filename = $1", filename, checksum
        )
