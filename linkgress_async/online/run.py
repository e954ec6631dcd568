"""Apply a plan online: phase by phase, each holding its table locks briefly.

The run holds the migration lock at session level for its whole length (other migrations of
the database wait, as for the migration runner), so phases can run outside a transaction.
Under the lock it first drops the invalid indexes an interrupted concurrent build left
behind (the model declares them; introspection cannot tell them from built ones), then
computes the plan again as the database is now, so that what is printed and confirmed is what
runs, and an interrupted run's finished phases are not repeated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import anyio
import asyncpg

from linkgress_async._locks import MIGRATE_LOCK_KEY
from linkgress_async.catalog import Catalog, QualifiedName
from linkgress_async.client import AnyConnection
from linkgress_async.errors import (
    MigrationLockTimeoutError,
    SchemaApplyError,
)
from linkgress_async.execute.retry import LockPolicy, run_with_lock_retries
from linkgress_async.execute.session import MigrationSession
from linkgress_async.execute.statements import run_statements
from linkgress_async.manager import refuse_unconfirmed
from linkgress_async.online import state
from linkgress_async.online.backfill import run_batches
from linkgress_async.online.phases import Phase, online_phases
from linkgress_async.online.progress import OnlineProgress, poll_index_build, terminal_progress
from linkgress_async.online.rewrite import Backfill, rewrite_facts, without_reused_helpers
from linkgress_async.ops import CreateTable, MigrationOperation
from linkgress_async.plan.additive import additive_split
from linkgress_async.plan.facts import mark_enum_rebuilds
from linkgress_async.plan.hazard_facts import partition_trees
from linkgress_async.plan.report import counted
from linkgress_async.render.quote import qualified

if TYPE_CHECKING:
    from linkgress_async.manager import Confirm, DbSchemaManager, Plan

__all__ = ["drop_invalid_indexes", "migrate_online", "online_plan", "print_phases"]

_INVALID_INDEXES = """
SELECT n.nspname AS schema_name, c.relname AS index_name, c.relkind = 'I' AS partitioned
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid
  AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
  -- an index of a partition attached to an invalid parent goes with the parent
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = c.oid)
ORDER BY 1, 2
"""


async def drop_invalid_indexes(
    conn: AnyConnection, model: Catalog, policy: LockPolicy, out: Callable[[str], object]
) -> list[QualifiedName]:
    """Drop the model's indexes that are invalid (a concurrent build that did not finish);
    the plan then builds them again. Returns the indexes dropped."""
    declared = [(t.schema, index.name) for t in model.tables for index in t.indexes]
    if not declared:
        return []
    rows = await conn.fetch(
        _INVALID_INDEXES, [schema for schema, _ in declared], [name for _, name in declared]
    )
    dropped: list[QualifiedName] = []
    for row in rows:
        name = QualifiedName(row["schema_name"], row["index_name"])
        out(f"Index '{name}' is invalid (a concurrent build was interrupted): rebuilding it")
        index = qualified(name.schema, name.name)
        if row["partitioned"]:
            # An index of a partitioned table cannot be dropped concurrently; dropping it
            # only touches the catalog, under lock_timeout.
            await conn.execute(
                "SELECT pg_catalog.set_config('lock_timeout', $1, false)", policy.setting
            )
            await conn.execute(f"DROP INDEX IF EXISTS {index}")
        else:
            await conn.execute("SELECT pg_catalog.set_config('lock_timeout', '0', false)")
            await conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")
        dropped.append(name)
    return dropped


_EXISTING_COLUMNS = """
SELECT n.nspname, c.relname, a.attname
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT a.attisdropped
  AND (n.nspname, c.relname, a.attname)
      IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
"""


def print_phases(out: Callable[[str], object], phases: Sequence[Phase], *, sql: bool) -> None:
    """The phases, numbered, with the lock each takes (and their SQL when ``sql``)."""
    out(f"Online plan: {counted(len(phases), 'phase')}:")
    for number, phase in enumerate(phases, 1):
        out(f"  {number}. {phase.description} [{phase.kind}; lock: {phase.lock}]")
        if sql:
            for statement in phase.statements:
                out(f"       {statement};")


async def online_plan(
    conn: AnyConnection,
    operations: Sequence[MigrationOperation],
    resumed: Sequence[Backfill] = (),
) -> list[Phase]:
    """The phases of ``operations`` (and of ``resumed`` backfills), with the facts of the
    tables they touch read on ``conn``."""
    tables = list(
        dict.fromkeys(
            QualifiedName(schema, table)
            for op in operations
            if isinstance(schema := getattr(op, "schema_name", None), str)
            and isinstance(table := getattr(op, "table_name", None), str)
        )
    )
    created = {
        QualifiedName(op.schema_name, op.table_name)
        for op in operations
        if isinstance(op, CreateTable)
    }
    partitions = await partition_trees(conn, tables)
    existing = {t for t in tables if t not in created and t not in partitions}
    facts = await rewrite_facts(conn, operations, existing)
    if resumed:
        rows = await conn.fetch(
            _EXISTING_COLUMNS,
            [b.table.schema for b in resumed],
            [b.table.name for b in resumed],
            [b.column for b in resumed],
        )
        present = {(QualifiedName(r[0], r[1]), r[2]) for r in rows}
        resumed = [b for b in resumed if (b.table, b.column) in present]
    return online_phases(operations, partitions, facts, resumed)


async def _with_index_progress(
    manager: DbSchemaManager,
    conn: AnyConnection,
    backend_pid: int,
    statement: str,
    description: str,
    progress: OnlineProgress,
) -> None:
    """Run ``statement`` while another task reports its index build (``backend_pid``: the
    server process running ``conn``'s session)."""
    failure: list[asyncpg.PostgresError] = []
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(
                poll_index_build, manager.db.client, backend_pid, description, progress
            )
            try:
                await conn.execute(statement)
            except asyncpg.PostgresError as error:
                failure.append(error)  # raised below, not as an exception group
            finally:
                group.cancel_scope.cancel()
    finally:
        progress.end()
    if failure:
        raise failure[0]


async def _run_outside_transaction(
    manager: DbSchemaManager,
    conn: AnyConnection,
    statements: Sequence[str],
    description: str,
) -> None:
    """Autocommit statements; a concurrent build or drop waits for old transactions with
    lock_timeout off (its lock blocks neither reads nor writes), the others under it."""
    for statement in statements:
        # Our own generated statements: the keyword tells the form, not server text.
        concurrent = " CONCURRENTLY " in statement
        setting = "0" if concurrent else manager.lock_policy.setting
        # The server process the build's progress is found by, asked of the server: behind a
        # pooler, the connection's own key data names the pooler's client, not that process.
        backend_pid: int = await conn.fetchval(
            "SELECT pg_catalog.pg_backend_pid(), pg_catalog.set_config('lock_timeout', $1, false)",
            setting,
        )
        progress = terminal_progress() if statement.startswith("CREATE ") else None
        try:
            if progress is None:
                await conn.execute(statement)
            else:
                await _with_index_progress(
                    manager, conn, backend_pid, statement, description, progress
                )
        except asyncpg.PostgresError as error:
            raise SchemaApplyError(
                f"an online migration phase failed; the phases before it are applied and "
                f"the next run continues from it.\n  statement: {statement}\n"
                f"  error: {type(error).__name__}: {error}",
                statement,
            ) from error


async def _run_phase(
    manager: DbSchemaManager, session: MigrationSession, phase: Phase, number: int, total: int
) -> None:
    policy = manager.lock_policy
    what = f"Online phase {number}/{total} ({phase.description})"

    if phase.backfill is not None:
        await _backfill(manager, session, phase.backfill, what)
        return

    async def attempt() -> None:
        if not phase.transactional:
            await _run_outside_transaction(
                manager, session.conn, phase.statements, phase.description
            )
            return
        async with session.transaction(policy, what=what) as conn:
            await run_statements(conn, phase.statements)

    await run_with_lock_retries(
        attempt,
        policy,
        what=what,
        client=manager.db.client,
        option="lock_timeout",
        log=manager._out,
    )


async def _backfill(
    manager: DbSchemaManager, session: MigrationSession, backfill: Backfill, what: str
) -> None:
    """The backfill's batches, each a transaction under lock_timeout with the retries."""
    policy = manager.lock_policy

    async def fetch(sql: str, args: tuple[object, ...]) -> asyncpg.Record | None:
        async def attempt() -> asyncpg.Record | None:
            async with session.transaction(policy, what=what) as conn:
                return await conn.fetchrow(sql, *args)

        return await run_with_lock_retries(
            attempt,
            policy,
            what=what,
            client=manager.db.client,
            option="lock_timeout",
            log=manager._out,
        )

    updated, elapsed = await run_batches(fetch, backfill)
    manager._out(f"  {backfill.describe()}: {updated:,} rows in {elapsed:.1f} s")


async def _run_hook(
    manager: DbSchemaManager,
    session: MigrationSession,
    start: bool,
    operations: Sequence[MigrationOperation],
) -> None:
    db = manager.db
    hook = db.on_migration_start if start else db.on_migration_complete
    what = "the online migration's " + ("start" if start else "completion") + " hook"
    async with session.transaction(manager.lock_policy, what=what) as conn, db.use_connection(conn):
        await db.run_migration_hook(hook, operations)


async def migrate_online(
    manager: DbSchemaManager,
    *,
    interactive: bool | None,
    allow_destructive: bool,
    confirm: Confirm | None,
    dry_run: bool,
    additive_only: bool,
) -> list[MigrationOperation]:
    """``migrate(online=True)``: see :meth:`DbSchemaManager.migrate`."""
    plan = await manager._plan_to_apply(interactive)
    if dry_run:
        operations = without_reused_helpers(_selected(manager, plan.operations, additive_only))
        manager.print_plan(operations, unmanaged=plan.unmanaged)
        async with manager.db.client.acquire() as conn:
            phases = await online_plan(conn, operations)
        print_phases(manager._out, phases, sql=True)
        return operations
    db = manager.db

    def waited_too_long() -> Exception:
        return MigrationLockTimeoutError(
            "Another migration of this database held the migration lock for more than "
            f"migration_lock_timeout={manager.migration_lock_timeout:g} s; nothing was "
            "applied. Wait for it to finish, or raise migration_lock_timeout"
        )

    async with MigrationSession.open(db.client) as session:
        await session.hold_lock(
            MIGRATE_LOCK_KEY,
            wait=manager.migration_lock_timeout,
            on_wait=lambda: manager._out("Waiting for another migration to finish ..."),
            timeout_error=waited_too_long,
        )
        try:
            return await _under_lock(
                manager, session, plan, interactive, allow_destructive, confirm, additive_only
            )
        finally:
            await session.release_lock(MIGRATE_LOCK_KEY)


def _selected(
    manager: DbSchemaManager, operations: Sequence[MigrationOperation], additive_only: bool
) -> list[MigrationOperation]:
    if not additive_only:
        return list(operations)
    split = additive_split(operations)
    manager.skipped = list(split.skipped)
    return list(split.applied)


async def _under_lock(
    manager: DbSchemaManager,
    session: MigrationSession,
    plan: Plan,
    interactive: bool | None,
    allow_destructive: bool,
    confirm: Confirm | None,
    additive_only: bool,
) -> list[MigrationOperation]:
    conn, out = session.conn, manager._out
    schema = manager.db.journal_schema
    await conn.execute("SELECT pg_catalog.set_config('lock_timeout', $1, false)", "0")
    await state.ensure_table(conn, schema)
    previous = await state.latest(conn, schema)
    resumed = previous if previous is not None and previous.status != "finished" else None
    if resumed is not None:
        out(
            f"Resuming online migration #{resumed.id} ({resumed.status}; "
            f"{resumed.done} of {len(resumed.phases)} phases were done): planning what is left."
        )
    await drop_invalid_indexes(conn, manager.model, manager.lock_policy, out)
    pool = await manager.db.client.connect()
    fresh = await mark_enum_rebuilds(pool, await manager._replan(conn, plan))
    operations = without_reused_helpers(_selected(manager, fresh, additive_only))
    manager.print_plan(operations, unmanaged=plan.unmanaged)
    await refuse_unconfirmed(
        operations, allow_destructive, interactive, confirm, what="Online migration"
    )
    carried = resumed.backfills if resumed is not None else ()
    phases = await online_plan(conn, operations, carried)
    if not phases:
        if resumed is not None:
            await state.finish(conn, schema, resumed.id)
        return []
    print_phases(out, phases, sql=False)
    run_id = await state.start(
        conn,
        schema,
        [p.description for p in phases],
        None if resumed is None else resumed.id,
        [p.backfill for p in phases if p.backfill is not None],
    )
    try:
        await _run_hook(manager, session, True, operations)
        for number, phase in enumerate(phases, 1):
            out(f"Phase {number}/{len(phases)}: {phase.description} ...")
            await _run_phase(manager, session, phase, number, len(phases))
            await state.advance(conn, schema, run_id, number)
        await _run_hook(manager, session, False, operations)
        await state.finish(conn, schema, run_id)
    except Exception as error:
        await _record_failure(conn, schema, run_id, error)
        raise
    out(
        f"Online migration complete: {counted(len(operations), 'operation')} applied in "
        f"{counted(len(phases), 'phase')}."
    )
    return operations


async def _record_failure(conn: AnyConnection, schema: str, run_id: int, error: Exception) -> None:
    """Best effort: the run is marked failed (if the connection still works, else it stays
    ``running`` and the next run calls it interrupted)."""
    with anyio.CancelScope(shield=True) as scope:
        scope.deadline = anyio.current_time() + 5
        try:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            await state.finish(conn, schema, run_id, message)
        except (Exception, asyncpg.InterfaceError):
            pass
