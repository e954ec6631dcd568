"""Drift: how the database differs from what its applied migration files produce.

The files recorded in the journal are replayed, in journal order, into a scratch database
(a temporary database on the same server, dropped afterwards even on failure, or one the user
names); both databases are introspected over every schema either contains, the journal tables
left out, and diffed. The report holds the operations that would turn the live database into
the replayed one: each is a change made by hand (or by anything but the migration files).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import asyncpg
import attrs
from attrs import frozen

from linkgress_async.canonical import diff_context, enum_spellings, reconcile
from linkgress_async.catalog import Catalog
from linkgress_async.client import AnyConnection, PgClient, server_version_num
from linkgress_async.context import DbContext
from linkgress_async.diff import DiffContext, diff, needs_server_version
from linkgress_async.errors import (
    ChecksumMismatchError,
    MigrationError,
    MissingMigrationError,
    counted,
)
from linkgress_async.introspect import introspect, introspect_connection
from linkgress_async.migrations.checks import file_problems
from linkgress_async.migrations.files import MigrationFile, load_directory
from linkgress_async.migrations.journal import Journal, JournalEntry
from linkgress_async.migrations.squashed import logical_entries
from linkgress_async.ops import MigrationOperation
from linkgress_async.plan.report import numbered_steps
from linkgress_async.render.sql import plan_sql
from linkgress_async.scratch_database import temporary_database

if TYPE_CHECKING:
    from linkgress_async.migrations.runner import MigrationRunner

__all__ = ["DriftReport", "detect_drift", "replay_files", "require_empty", "scratch_context"]

# User schemas: not the system ones and not one an extension created.
_USER_SCHEMAS = (
    "SELECT n.nspname FROM pg_catalog.pg_namespace n"
    " WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
    "  WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass"
    "  AND d.objid = n.oid AND d.deptype = 'e')"
    " ORDER BY 1"
)

_HAS_RELATIONS = (
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
    "  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
    "  AND d.objid = c.oid AND d.deptype = 'e'))"
)


@frozen
class DriftReport:
    """The difference between the database and a replay of its applied migration files.

    ``operations`` turn the live database into what the files produce; ``replayed`` names
    the files replayed (journal order) and ``schemas`` the schemas compared.
    """

    operations: tuple[MigrationOperation, ...]
    replayed: tuple[str, ...]
    schemas: tuple[str, ...]

    @property
    def has_drift(self) -> bool:
        """Whether the database differs from what its applied migrations produce."""
        return bool(self.operations)

    def describe(self) -> str:
        """A readable summary: one numbered line per difference."""
        files = counted(len(self.replayed), "applied migration")
        if not self.operations:
            return f"No drift: the database matches its {files}."
        lines = [
            f"Drift: the database differs from the result of its {files} "
            f"({counted(len(self.operations), 'difference')}). To make it match them:"
        ]
        return "\n".join([*lines, *numbered_steps(self.operations)])

    def sql(self) -> list[str]:
        """The statements that would bring the database back to what the migrations produce."""
        return plan_sql(self.operations)

    def render(self) -> str:
        """:meth:`describe` followed by the SQL, as the CLI prints it."""
        if not self.operations:
            return self.describe()
        statements = "\n".join(f"{statement};" for statement in self.sql())
        return f"{self.describe()}\n\nSQL:\n{statements}"


def applied_files(
    files: Sequence[MigrationFile],
    entries: Sequence[JournalEntry],
    journal: str,
    directory: Path,
) -> list[MigrationFile]:
    """The files of the journal's entries, in journal order, checked against the disk."""
    on_disk = {f.filename: f for f in files}
    # A failed or interrupted row did not complete; its partial effect, if any, is drift.
    applied = [entry for entry in entries if entry.applied]
    for problem in file_problems(applied, on_disk, journal, directory):
        if problem.kind == "missing":
            raise MissingMigrationError(
                f"Migration {problem.message}; drift needs every applied file to replay it"
            )
        raise ChecksumMismatchError(
            f"Migration {problem.message}; a replay would not show what ran, so restore the "
            "file first"
        )
    return [on_disk[entry.filename] for entry in applied]


async def user_schemas(conn: AnyConnection) -> list[str]:
    """The schemas of the database that are neither system schemas nor an extension's."""
    return [row["nspname"] for row in await conn.fetch(_USER_SCHEMAS)]


async def detect_drift(runner: MigrationRunner, scratch_dsn: str | None = None) -> DriftReport:
    """Replay the applied files of ``runner`` into a scratch database and diff it with the live one.

    Without ``scratch_dsn`` a temporary database is created on the live database's server
    (the role needs CREATEDB) and dropped afterwards. A ``scratch_dsn`` must name an empty
    database; it is left holding the replayed schema, for inspection.
    """
    files = await load_directory(runner.directory)
    log = runner.logger if runner.verbose else None
    db = runner.db
    journal = runner.journal
    excluded = db.journal_tables
    async with db.client.acquire() as live, _snapshot(live):
        # Journal and catalog are read in one snapshot so that a migration running meanwhile
        # cannot make them disagree.
        # A fully applied squashed run replays as its squashed file.
        entries = logical_entries(files, await journal.entries(live))
        replay = applied_files(files, entries, journal.qualified, runner.directory)
        live_schemas = await user_schemas(live)
        async with _scratch_database(db.client, scratch_dsn, log) as scratch_client:
            scratch_db = scratch_context(db, scratch_client)
            await replay_files(scratch_db, journal, replay, log)
            pool = await scratch_client.connect()
            async with pool.acquire() as conn:
                schemas = sorted(set(live_schemas) | set(await user_schemas(conn)))
                replay_role: str = await conn.fetchval("SELECT current_user")
            replayed = _stated_owners(
                await introspect(pool, schemas, exclude_tables=excluded), replay_role
            )
            current = await introspect_connection(live, schemas, exclude_tables=excluded)
            # Both sides are the server's spelling, but the replay and the live database may
            # have been written from different texts of one meaning.
            replayed = await reconcile(live, current, replayed)
            context = await _diff_context(live, pool, current, replayed)
    operations = diff(current, replayed, context)
    return DriftReport(tuple(operations), tuple(f.filename for f in replay), tuple(schemas))


def _stated_owners(replayed: Catalog, replay_role: str) -> Catalog:
    """The replay without the owners no migration set.

    What a migration creates belongs to the role that replays it, which need not be the role
    that ran it on the live database: only owners a migration gave (``ALTER ... OWNER TO``
    another role) are compared, as the diff compares owners only where the target states one.
    """
    owners = [o for o in replayed.owners if o.role != replay_role]
    if len(owners) == len(replayed.owners):
        return replayed
    return attrs.evolve(replayed, owners=owners)


@asynccontextmanager
async def _snapshot(conn: AnyConnection) -> AsyncIterator[None]:
    # Not read-only: the cast probes create the replayed enums in a rolled-back savepoint.
    async with conn.transaction(isolation="repeatable_read"):
        yield


def scratch_context(db: DbContext, client: PgClient) -> DbContext:
    """A context of ``db``'s class on the scratch database, for migrations that use it."""
    try:
        return type(db)(client)
    except TypeError as error:
        raise MigrationError(
            f"drift needs a {type(db).__name__} on the scratch database, built as "
            f"{type(db).__name__}(client), but the constructor refused: {error}; give the "
            "class a constructor that accepts a PgClient as its only required argument"
        ) from error


async def replay_files(
    db: DbContext,
    journal: Journal,
    files: Iterable[MigrationFile],
    logger: Callable[[str], object] | None,
) -> None:
    """Run the ``up`` of every file on the scratch database, each as the runner would."""
    async with db.client.acquire() as conn:
        # The journal's own schema exists on both sides, so it is no difference.
        await journal.ensure(conn)
        for file in files:
            if logger is not None:
                logger(f"Replaying {file.filename} into the scratch database ...")
            migration = file.migration_class()
            scope = conn.transaction() if migration.transactional else contextlib.nullcontext()
            try:
                async with db.use_connection(conn), scope:
                    await migration.up(db)
            except Exception as error:
                raise MigrationError(
                    f"Replaying {file.filename} into the scratch database failed: "
                    f"{type(error).__name__}: {error}; the applied files no longer reproduce "
                    "the database from scratch, so fix the file (a replay starts empty)"
                ) from error


async def _diff_context(
    live: AnyConnection, scratch: asyncpg.Pool, current: Catalog, replayed: Catalog
) -> DiffContext:
    """The context the manager would build: casts probed on the live side (where the
    statements would run, in a rolled-back savepoint), enums spelled by the scratch side."""
    async with scratch.acquire() as conn:
        spellings = await enum_spellings(conn, replayed)
    context = await diff_context(live, current, replayed, spellings)
    if needs_server_version(current, replayed):
        context = attrs.evolve(context, server_version_num=await server_version_num(live))
    return context


@asynccontextmanager
async def _scratch_database(
    client: PgClient, scratch_dsn: str | None, logger: Callable[[str], object] | None
) -> AsyncIterator[PgClient]:
    """A client of an empty database to replay into; a temporary one is dropped at the end."""
    if scratch_dsn is not None:
        scratch = PgClient(dsn=scratch_dsn, min_size=1, max_size=4)
        try:
            await require_empty(scratch, "drift")
            yield scratch
        finally:
            with anyio.CancelScope(shield=True):
                await scratch.close()
        return
    async with temporary_database(
        client.connect_options,
        purpose="drift",
        prefix="linkgress_drift_",
        logger=logger,
        error=MigrationError,
        no_createdb_hint="grant it, or pass scratch_dsn= naming an empty database to replay into",
    ) as scratch:
        yield scratch


async def require_empty(scratch: PgClient, purpose: str) -> None:
    """Refuse a scratch database that holds user schemas or relations."""
    async with scratch.acquire() as conn:
        schemas = await user_schemas(conn)
        if [s for s in schemas if s != "public"] or await conn.fetchval(_HAS_RELATIONS, schemas):
            database = await conn.fetchval("SELECT current_database()")
            raise MigrationError(
                f"The scratch database {database!r} is not empty; {purpose} replays the "
                "migrations into an empty database: drop and recreate it, or omit the scratch "
                f"database to let {purpose} create a temporary one"
            )
