"""DbSchemaManager: analyze, migrate, ensure_created, ensure_deleted.

analyze = introspect the live database (concurrently with canonicalizing the model) and diff.
migrate = analyze, print the plan, confirm destructive operations, then apply everything in
one transaction that holds an advisory lock and re-checks the plan against the database as it
is once the lock is held, so that two concurrent migrations apply it once.
"""

from __future__ import annotations

import inspect
import sys
import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import asyncpg
import attrs
from attrs import frozen

from linkgress_async import plan_report
from linkgress_async._gc import paused_gc
from linkgress_async.canonical import Canonical, canonicalize, diff_context
from linkgress_async.canonical_routines import canonicalize_routines
from linkgress_async.catalog import Catalog
from linkgress_async.client import AnyConnection, connection_lost, is_connection_loss
from linkgress_async.diff import (
    DiffContext,
    RenameCandidate,
    rename_candidates,
    with_renames,
)
from linkgress_async.diff.routines import drop_declared_routines, routine_creations
from linkgress_async.errors import DestructiveMigrationError, SchemaApplyError
from linkgress_async.execute import run_statements
from linkgress_async.facts import mark_enum_rebuilds, respect_outside_uses
from linkgress_async.hazard_facts import collect_hazard_facts
from linkgress_async.hazards import Hazard, HazardPolicy, find_hazards, risky_tables
from linkgress_async.introspect import introspect, introspect_connection
from linkgress_async.ops import (
    CreateCompositeType,
    CreateDomain,
    CreateEnum,
    CreateExtension,
    CreateForeignKey,
    CreateIndex,
    CreateSchema,
    CreateSequence,
    CreateTable,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropSequence,
    DropTable,
    MigrationOperation,
)
from linkgress_async.ownership import (
    OwnershipPolicy,
    OwnershipSplit,
    UnmanagedObject,
    hide_excluded,
    owned_diff,
)
from linkgress_async.plan_report import counted
from linkgress_async.render.quote import quote_ident
from linkgress_async.render.sql import plan_sql
from linkgress_async.retry import (
    DEFAULT_LOCK_RETRIES,
    DEFAULT_LOCK_TIMEOUT,
    LockPolicy,
    run_with_lock_retries,
)

if TYPE_CHECKING:
    from linkgress_async.context import DbContext

__all__ = ["Confirm", "DbSchemaManager", "Plan"]

Confirm = Callable[[list[MigrationOperation]], bool | Awaitable[bool]]

# Serialises migrate() calls on one database (pg_advisory_xact_lock key).
_MIGRATE_LOCK_KEY = zlib.crc32(b"linkgress_async:migrate")


@frozen
class Plan:
    """The operations of one analysis and what is needed to re-check them under a lock."""

    operations: tuple[MigrationOperation, ...]
    canonical: Canonical
    context: DiffContext
    hazards: tuple[Hazard, ...] = ()
    """Operations that lock or fail on large tables, with the safe alternative (warnings)."""
    unmanaged: tuple[UnmanagedObject, ...] = ()
    """Objects of the managed schemas the model does not declare, kept (not in operations)."""


class DbSchemaManager:
    """Compares the model of a :class:`DbContext` with its database and applies the changes."""

    def __init__(
        self,
        db: DbContext,
        *,
        out: Callable[[str], object] | None = None,
        concurrent_introspection: bool = True,
        hazard_policy: HazardPolicy | None = None,
        large_table_rows: int | None = None,
        lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
        lock_retries: int = DEFAULT_LOCK_RETRIES,
        exclude: str | Sequence[str] = (),
        drop_unmanaged: bool | str | Sequence[str] = False,
        ownership: OwnershipPolicy | None = None,
    ) -> None:
        self.db = db
        if ownership is None:
            ownership = OwnershipPolicy(exclude=exclude, drop_unmanaged=drop_unmanaged)
        elif exclude or drop_unmanaged:
            raise TypeError("pass either ownership= or exclude=/drop_unmanaged=, not both")
        self.ownership = ownership
        """Which undeclared objects are dropped, kept and reported, or invisible."""
        self.lock_policy = LockPolicy(lock_timeout, lock_retries)
        """Each statement's wait for a table lock in seconds, and the retries after a timeout."""
        self._out = out if out is not None else print
        self.concurrent_introspection = concurrent_introspection
        policy = hazard_policy if hazard_policy is not None else HazardPolicy()
        if large_table_rows is not None:
            policy = attrs.evolve(policy, large_table_rows=large_table_rows)
        self.hazard_policy = policy
        """When a table counts as large for :attr:`Plan.hazards`."""

    # --- analysis -------------------------------------------------------------------------

    @property
    def model(self) -> Catalog:
        """The model this manager makes the database match."""
        return self.db.model

    async def introspect(self) -> Catalog:
        """The live database, limited to the schemas the model uses."""
        pool = await self.db.client.connect()
        return await introspect(
            pool,
            self.model.schemas,
            exclude_tables=self.db.journal_tables,
            concurrent=self.concurrent_introspection,
        )

    async def _canonical(self, pool: asyncpg.Pool) -> Canonical:
        async with pool.acquire() as conn:
            canonical = await canonicalize(conn, self.model)
            if canonical.catalog.views or canonical.catalog.functions:
                routines = await canonicalize_routines(conn, canonical.catalog)
                canonical = attrs.evolve(canonical, catalog=routines)
            return canonical

    async def plan(self, *, renames: Sequence[RenameCandidate] = ()) -> Plan:
        """Analyze and keep what is needed to apply the result safely.

        ``renames`` are confirmed renames, applied as ``renamed_from`` hints on the model.
        """
        return await self._plan(renames=renames)

    async def _plan(
        self,
        *,
        renames: Sequence[RenameCandidate] = (),
        canonical: Canonical | None = None,
        creations_only: bool = False,
    ) -> Plan:
        """The plan; ``canonical`` reuses an earlier spelling of the model (it does not depend
        on the database's tables). ``creations_only`` (ensure_created) skips what only the other
        operations need: uses of enums outside the model, enum rebuilds' rows, and hazards."""
        pool = await self.db.client.connect()
        if canonical is None:
            current, canonical = await self._read(pool)
        else:
            current = await self.introspect()
        if renames:
            canonical = attrs.evolve(canonical, catalog=with_renames(canonical.catalog, renames))
        context = await diff_context(pool, current, canonical.catalog, canonical.enum_type_names)
        owned = self._owned_diff(current, canonical.catalog, context)
        if creations_only:
            return Plan(owned.operations, canonical, context, unmanaged=owned.unmanaged)
        operations = await respect_outside_uses(
            pool, list(owned.operations), self.model.schemas, self._out
        )
        operations = await mark_enum_rebuilds(pool, operations)
        hazards = await self._hazards(pool, operations)
        return Plan(tuple(operations), canonical, context, tuple(hazards), owned.unmanaged)

    async def _read(self, pool: asyncpg.Pool) -> tuple[Catalog, Canonical]:
        """The live database and the model's spelling, read concurrently."""
        results: dict[str, Any] = {}

        async def run_introspection() -> None:
            results["current"] = await self.introspect()

        async def run_canonical() -> None:
            results["canonical"] = await self._canonical(pool)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(run_introspection)
                group.start_soon(run_canonical)
        except BaseExceptionGroup as failure:
            # A ModelError (or a driver error) is what the caller can handle, not a group.
            error = _first_failure(failure)
            raise error from error.__cause__
        return results["current"], results["canonical"]

    def _owned_diff(
        self, current: Catalog, target: Catalog, context: DiffContext
    ) -> OwnershipSplit:
        """The diff, less the drops of undeclared objects the ownership policy keeps."""
        with paused_gc():
            visible = hide_excluded(current, target, self.ownership)
            return owned_diff(visible, target, self.ownership, context)

    async def _hazards(
        self, pool: asyncpg.Pool, operations: Sequence[MigrationOperation]
    ) -> list[Hazard]:
        if not risky_tables(operations):
            return []
        async with pool.acquire() as conn:
            facts = await collect_hazard_facts(conn, operations, self.hazard_policy)
        return find_hazards(operations, facts, self.hazard_policy)

    async def hazards(self) -> list[Hazard]:
        """Operations of the current plan that lock or fail on large tables (nothing runs)."""
        return list((await self.plan()).hazards)

    async def analyze(self) -> list[MigrationOperation]:
        """The operations that would make the database match the model; nothing is run.

        Undeclared objects that are kept (see :attr:`Plan.unmanaged`) are not among them.
        """
        return list((await self.plan()).operations)

    def to_sql(self, operations: Sequence[MigrationOperation]) -> list[str]:
        """The exact statements ``migrate`` would run for ``operations``."""
        return plan_sql(operations)

    # --- migrate ----------------------------------------------------------------------------

    def print_plan(
        self,
        operations: Sequence[MigrationOperation] | Plan,
        *,
        hazards: Sequence[Hazard] = (),
        unmanaged: Sequence[UnmanagedObject] = (),
    ) -> None:
        """Print the numbered plan, its hazards with safe alternatives, the
        destructive-operation warning and the undeclared objects kept; given a :class:`Plan`,
        its own hazards and kept objects are printed."""
        if isinstance(operations, Plan):
            hazards = hazards or operations.hazards
            unmanaged = unmanaged or operations.unmanaged
            operations = operations.operations
        plan_report.print_plan(self._out, operations, hazards=hazards, unmanaged=unmanaged)

    async def _ask_renames(self, plan: Plan, interactive: bool | None) -> Plan:
        """In an interactive session, ask whether same-shaped drops and adds are renames."""
        if interactive is None:
            interactive = sys.stdin is not None and sys.stdin.isatty()
        # A kept undeclared table is still a candidate for a table the model creates.
        withheld = [item.operation for item in plan.unmanaged]
        candidates = rename_candidates([*plan.operations, *withheld]) if interactive else []
        accepted: list[RenameCandidate] = []
        for candidate in candidates:
            reply = await anyio.to_thread.run_sync(input, candidate.question() + " (yes/no): ")
            if reply.strip().lower() in ("y", "yes"):
                accepted.append(candidate)
        if not accepted:
            return plan
        # The model's spelling is the same with the renames: only the diff is done again.
        return await self._plan(renames=accepted, canonical=plan.canonical)

    async def _confirmed(
        self,
        destructive: list[MigrationOperation],
        interactive: bool | None,
        confirm: Confirm | None,
    ) -> bool:
        if confirm is not None:
            answer = confirm(destructive)
            if inspect.isawaitable(answer):
                answer = await answer
            return bool(answer)
        if interactive is None:
            interactive = sys.stdin is not None and sys.stdin.isatty()
        if not interactive:
            return False
        reply = await anyio.to_thread.run_sync(
            input, "These operations may cause data loss. Continue? (yes/no): "
        )
        return reply.strip().lower() in ("y", "yes")

    async def migrate(
        self,
        *,
        interactive: bool | None = None,
        allow_destructive: bool = False,
        confirm: Confirm | None = None,
        dry_run: bool = False,
    ) -> list[MigrationOperation]:
        """Make the database match the model; returns the operations applied."""
        plan = await self._ask_renames(await self.plan(), interactive)
        operations = list(plan.operations)
        self.print_plan(operations, hazards=plan.hazards, unmanaged=plan.unmanaged)
        if dry_run:
            for statement in self.to_sql(operations):
                self._out(statement + ";")
            return operations
        destructive = [op for op in operations if op.destructive]
        if (
            destructive
            and not allow_destructive
            and not await self._confirmed(destructive, interactive, confirm)
        ):
            raise DestructiveMigrationError(
                f"Migration aborted: {counted(len(destructive), 'destructive operation')} not "
                "confirmed (" + "; ".join(op.describe() for op in destructive) + "). "
                "Nothing was changed. Review them, then pass allow_destructive=True, a "
                "confirm= callback, or run interactively.",
                destructive,
            )
        if not await self._apply(plan):
            return []
        if operations:
            self._out(f"Migration complete: {counted(len(operations), 'operation')} applied.")
        return operations

    async def _apply(
        self,
        plan: Plan,
        *,
        select: Callable[[Sequence[MigrationOperation]], list[MigrationOperation]] = list,
    ) -> bool:
        """Apply ``plan`` in one transaction under the migration lock, then run the hook.

        Once the lock is held the plan is computed again (``select`` picks the part of it
        this call applies): if another process changed the database meanwhile, an empty
        result means there is nothing left to do, and a different one aborts rather than
        apply what was not reviewed. Returns whether this call applied the plan (false when
        another migration had already done it).
        """
        operations = list(plan.operations)

        async def attempt() -> bool:
            async with self.db.client.acquire() as conn:
                try:
                    async with conn.transaction(), self.db.use_connection(conn):
                        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATE_LOCK_KEY)
                        # After the advisory lock: lock_timeout bounds waits for table locks,
                        # never the wait for another migrate() to finish.
                        await self.lock_policy.apply_local(conn)
                        fresh = select(await self._replan(conn, plan))
                        if not fresh and operations:
                            self._out("Another migration applied these changes already.")
                            return False
                        if fresh != operations:
                            raise SchemaApplyError(
                                "The database changed while this migration was being prepared;"
                                " nothing was applied. Run the migration again to review the "
                                "new plan."
                            )
                        await run_statements(conn, self.to_sql(operations))
                        await self.db.on_migration_complete(self.db)
                except Exception as error:
                    # The pool discards a closed connection on release; the error says why.
                    if is_connection_loss(error, conn):
                        raise connection_lost("the schema migration", error) from error
                    raise
            return True

        return await run_with_lock_retries(
            attempt,
            self.lock_policy,
            what="The schema migration",
            client=self.db.client,
            option="lock_timeout",
            log=self._out,
        )

    async def _replan(self, conn: AnyConnection, plan: Plan) -> list[MigrationOperation]:
        """The plan again, from the database as ``conn``'s locked transaction sees it."""
        current = await introspect_connection(
            conn, self.model.schemas, exclude_tables=self.db.journal_tables
        )
        owned = self._owned_diff(current, plan.canonical.catalog, plan.context)
        # On ``conn``: another pool connection could wait forever for this one (a pool of one).
        return await respect_outside_uses(
            conn, list(owned.operations), self.model.schemas, self._out
        )

    # --- create / delete --------------------------------------------------------------------

    async def ensure_created(self) -> list[MigrationOperation]:
        """Create the model's schemas, enums, sequences, tables, keys and indexes that are
        missing, then run the hook. Existing objects are left as they are."""
        plan = await self._plan(creations_only=True)
        creations = _creations(plan.operations)
        selected = Plan(tuple(creations), plan.canonical, plan.context)
        if not await self._apply(selected, select=_creations):
            return []
        return creations

    async def ensure_deleted(self) -> list[MigrationOperation]:
        """Drop the model's objects (and its schemas other than ``public`` once empty)."""
        current = await self.introspect()
        model = self.model
        operations: list[MigrationOperation] = []
        if model.views or model.functions:
            # Views and functions first: they may use the tables. Functions are matched by
            # their argument types, which only the server can spell.
            pool = await self.db.client.connect()
            async with pool.acquire() as probe:
                spelled = await canonicalize_routines(probe, model)
            operations.extend(drop_declared_routines(current, spelled))
        for table in model.tables:
            live = current.table(table.schema, table.name)
            if live is None:
                continue
            live_fks = {fk.name for fk in live.foreign_keys}
            live_indexes = {index.name for index in live.indexes}
            operations.extend(
                DropForeignKey(table.name, fk.name, table.schema, fk)
                for fk in table.foreign_keys
                if fk.name in live_fks
            )
            operations.extend(
                DropIndex(table.name, index.name, table.schema, index)
                for index in table.indexes
                if index.name in live_indexes
            )
        operations.extend(
            DropTable(t.name, t.schema, t)
            for t in model.tables
            if current.table(t.schema, t.name) is not None
        )
        live_sequences = {s.qualified_name for s in current.sequences}
        operations.extend(
            DropSequence(s.name, s.schema, s)
            for s in model.sequences
            if s.qualified_name in live_sequences
        )
        operations.extend(
            DropEnum(e.name, e.schema, e.values)
            for e in model.enums
            if current.enum(e.schema, e.name) is not None
        )
        async with self.db.client.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATE_LOCK_KEY)
            await run_statements(conn, self.to_sql(operations))
            for schema in model.schemas:
                if schema == "public" or schema not in current.schemas:
                    continue
                if await _schema_is_empty(conn, schema):
                    await conn.execute(f"DROP SCHEMA {quote_ident(schema)}")
        return operations


def _creations(operations: Sequence[MigrationOperation]) -> list[MigrationOperation]:
    """What ensure_created applies: missing objects, and the keys and indexes of new tables."""
    new_tables = {
        (op.schema_name, op.table_name) for op in operations if isinstance(op, CreateTable)
    }
    routines = {id(op) for op in routine_creations(operations)}
    return [
        op
        for op in operations
        if isinstance(
            op,
            CreateSchema
            | CreateExtension
            | CreateEnum
            | CreateDomain
            | CreateCompositeType
            | CreateSequence
            | CreateTable,
        )
        or (
            isinstance(op, CreateForeignKey | CreateIndex)
            and (op.schema_name, op.table_name) in new_tables
        )
        or id(op) in routines
    ]


async def _schema_is_empty(conn: AnyConnection, schema: str) -> bool:
    """Whether nothing (no relation, type, function) is left in ``schema``."""
    return bool(
        await conn.fetchval(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
            "  WHERE c.relnamespace = n.oid)"
            " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid)"
            " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid)"
            " FROM pg_catalog.pg_namespace n WHERE n.nspname = $1",
            schema,
        )
    )


def _first_failure(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a task group's failure, nested groups flattened."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
