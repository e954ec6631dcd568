"""``up(bootstrap=True)``: an empty database built from the model, every file marked applied.

Linkgress' ``MigrationRunner.up()`` does this on its own when the database is empty; here it
is asked for, because replaying hundreds of files is what a test database should not pay for,
and because a database that only *looks* empty (the wrong DSN) must never be stamped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkgress_async.errors import MigrationError
from linkgress_async.execute.statements import run_statements
from linkgress_async.render.sql import plan_sql

if TYPE_CHECKING:
    from collections.abc import Callable

    from linkgress_async.client import AnyConnection
    from linkgress_async.context import DbContext
    from linkgress_async.migrations.files import MigrationFile
    from linkgress_async.migrations.journal import Journal, JournalEntry
    from linkgress_async.ops import MigrationOperation

__all__ = ["bootstrap"]

# The first user object in the given schemas, other than the journal and what belongs to it
# (its id sequence, its indexes) or to an extension.
_FIRST_OBJECT = """
SELECT format('%s %s.%s', kind, schema_name, object_name) AS what FROM (
  SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view'
           WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
           ELSE 'table' END AS kind, n.nspname AS schema_name, c.relname AS object_name
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
     AND c.oid IS DISTINCT FROM pg_catalog.to_regclass($2)
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                        AND (d.deptype = 'e' OR d.refobjid = pg_catalog.to_regclass($2)))
  UNION ALL
  SELECT 'type', n.nspname, t.typname
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname = ANY($1::text[]) AND t.typtype IN ('e', 'd')
     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid
                        AND d.deptype = 'e')
) found
ORDER BY schema_name, object_name LIMIT 1
"""


async def first_object(conn: AnyConnection, schemas: list[str], journal: Journal) -> str | None:
    """The first table, view, sequence or type in ``schemas`` (not the journal's), if any."""
    found = await conn.fetchval(_FIRST_OBJECT, schemas, journal.qualified)
    return None if found is None else str(found)


async def bootstrap(
    db: DbContext,
    conn: AnyConnection,
    journal: Journal,
    files: list[MigrationFile],
    entries: list[JournalEntry],
    log: Callable[[str], None],
) -> list[MigrationOperation]:
    """Create the model on ``conn`` (which holds the runner's lock) and record every file
    as applied, in one transaction with both hooks; refused unless the database is empty."""
    if entries:
        raise MigrationError(
            f"up(bootstrap=True) needs an empty database, but {journal.qualified} already "
            f"records {entries[-1].filename}; run up() without bootstrap"
        )
    occupied = await first_object(conn, list(db.model.schemas), journal)
    if occupied is not None:
        raise MigrationError(
            f"up(bootstrap=True) needs an empty database, but it holds {occupied}; run up() "
            "without bootstrap, or baseline() when the database already matches the files"
        )
    manager = db.get_schema_manager(out=log)
    creations = await manager.creation_operations()
    async with conn.transaction(), db.use_connection(conn):
        await db.run_migration_hook(db.on_migration_start, creations)
        await run_statements(conn, plan_sql(creations))
        await db.run_migration_hook(db.on_migration_complete, creations)
        for file in files:
            # A duration of 0 ms: the file was not run, its result was built from the model.
            await journal.record(conn, file.filename, file.checksum, 0)
    return creations
