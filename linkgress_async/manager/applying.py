"""Applying a plan: one transaction under the migration lock that re-checks it first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

from linkgress_async.client import AnyConnection
from linkgress_async.errors import SchemaApplyError
from linkgress_async.execute.migration_lock import migration_transaction
from linkgress_async.execute.retry import run_with_lock_retries
from linkgress_async.execute.session import MigrationSession
from linkgress_async.execute.statements import run_statements
from linkgress_async.introspect import introspect_connection_if_changed
from linkgress_async.manager.comparing import owned_diff_of
from linkgress_async.migrations.mixing import mark_migrated
from linkgress_async.ops import MigrationOperation
from linkgress_async.plan.facts import respect_outside_uses

if TYPE_CHECKING:
    from linkgress_async.manager import DbSchemaManager, Plan

__all__ = ["apply_plan", "migration_connection", "replan", "with_lock_retries"]

_Result = TypeVar("_Result")


@asynccontextmanager
async def migration_connection(manager: DbSchemaManager) -> AsyncIterator[AnyConnection]:
    """A connection in a new migration transaction holding the migration lock, under the
    manager's lock policy and migration lock timeout."""
    async with (
        MigrationSession.open(manager.db.client) as session,
        migration_transaction(
            session, manager.lock_policy, manager.migration_lock_timeout, manager._out
        ) as conn,
    ):
        yield conn


async def with_lock_retries(
    manager: DbSchemaManager, attempt: Callable[[], Awaitable[_Result]], what: str
) -> _Result:
    """``attempt`` (one migration transaction), tried again under the manager's lock policy
    when a lock wait timed out."""
    return await run_with_lock_retries(
        attempt,
        manager.lock_policy,
        what=what,
        client=manager.db.client,
        option="lock_timeout",
        log=manager._out,
    )


async def apply_plan(
    manager: DbSchemaManager,
    plan: Plan,
    *,
    select: Callable[[Sequence[MigrationOperation]], list[MigrationOperation]] = list,
    mark_journals: bool = False,
) -> bool:
    """Apply ``plan`` in one transaction under the migration lock, then run the hook.

    ``mark_journals`` notes the change on the migration journals that record applied
    files, in the same transaction (so the note never outlives or misses the change).

    Once the lock is held the plan is computed again (``select`` picks the part of it
    this call applies): if another process changed the database meanwhile, an empty
    result means there is nothing left to do, and a different one aborts rather than
    apply what was not reviewed. Returns whether this call applied the plan (false when
    another migration had already done it).
    """
    operations = list(plan.operations)

    async def attempt() -> bool:
        async with migration_connection(manager) as conn, manager.db.use_connection(conn):
            fresh = select(await replan(manager, conn, plan))
            if not fresh and operations:
                manager._out("Another migration applied these changes already.")
                return False
            if fresh != operations:
                raise SchemaApplyError(
                    "The database changed while this migration was being prepared;"
                    " nothing was applied. Run the migration again to review the "
                    "new plan."
                )
            await manager.db.run_migration_hook(manager.db.on_migration_start, operations)
            await run_statements(
                conn, manager.to_sql(operations), progress=manager.statement_progress
            )
            await manager.db.run_migration_hook(manager.db.on_migration_complete, operations)
            if mark_journals:
                await mark_migrated(conn, manager.db.journal_tables, len(operations))
        return True

    return await with_lock_retries(manager, attempt, "The schema migration")


async def replan(
    manager: DbSchemaManager, conn: AnyConnection, plan: Plan
) -> list[MigrationOperation]:
    """The plan again, from the database as ``conn``'s locked transaction sees it.

    When the catalog reads exactly as it did for the plan (:attr:`Plan.live_read`), the
    diff is the plan's own and is not computed again while the lock is held; the checks
    against the database's contents run again either way."""
    schemas = manager.model.schemas
    current = await introspect_connection_if_changed(
        conn, schemas, plan.live_read, exclude_tables=manager.db.journal_tables
    )
    if current is None:
        operations = plan.owned_operations
    else:
        operations = owned_diff_of(
            manager, current, plan.canonical.catalog, plan.context
        ).operations
    # On ``conn``: another pool connection could wait forever for this one (a pool of one).
    return await respect_outside_uses(conn, list(operations), schemas, manager._out)
