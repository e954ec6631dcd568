"""DbSchemaManager: analyze, migrate, ensure_created, ensure_deleted.

analyze = introspect the live database (concurrently with canonicalizing the model) and diff.
migrate = analyze, print the plan, confirm destructive operations, then apply everything in
one transaction that holds an advisory lock and re-checks the plan against the database as it
is once the lock is held, so that two concurrent migrations apply it once.

The class drives the stages; its parts live in the modules of this package: the first read
(:mod:`.reading`), applying a plan (:mod:`.applying`), dropping the model (:mod:`.deletion`)
and confirming drops (:mod:`.confirm`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import asyncpg
import attrs
from attrs import frozen

from linkgress_async._clean_release import left_clean
from linkgress_async._locks import MIGRATE_LOCK_KEY
from linkgress_async.boundary import guarded
from linkgress_async.canonical import (
    Canonical,
    canonicalize,
    shadow,
)
from linkgress_async.catalog import Catalog
from linkgress_async.catalog.comparisons import remembered_comparisons
from linkgress_async.client import AnyConnection, using
from linkgress_async.diff import (
    DiffContext,
    RenameCandidate,
    rename_candidates,
)
from linkgress_async.errors import counted
from linkgress_async.execute.migration_lock import migration_lock_free
from linkgress_async.execute.progress import StatementProgress
from linkgress_async.execute.retry import (
    DEFAULT_LOCK_RETRIES,
    DEFAULT_LOCK_TIMEOUT,
    LockPolicy,
)
from linkgress_async.introspect import CatalogFingerprint, KeptCatalog, read_catalog
from linkgress_async.manager.applying import apply_plan, replan
from linkgress_async.manager.comparing import compare
from linkgress_async.manager.confirm import Confirm
from linkgress_async.manager.confirm import refuse_unconfirmed as refuse_unconfirmed
from linkgress_async.manager.deletion import delete_model
from linkgress_async.manager.reading import read_with_spelling
from linkgress_async.migrations.mixing import migrate_warning
from linkgress_async.ops import CreateIndex, MigrationOperation
from linkgress_async.plan import report as plan_report
from linkgress_async.plan.additive import additive_split
from linkgress_async.plan.concurrent_indexes import build_concurrently, split_concurrent
from linkgress_async.plan.facts import mark_enum_rebuilds, respect_outside_uses
from linkgress_async.plan.hazard_facts import collect_hazard_facts
from linkgress_async.plan.hazards import Hazard, HazardPolicy, find_hazards, risky_tables
from linkgress_async.plan.lifecycle import creation_operations
from linkgress_async.plan.ownership import (
    OwnershipPolicy,
    UnmanagedObject,
)
from linkgress_async.prompt import confirmed
from linkgress_async.render.sql import plan_sql

if TYPE_CHECKING:
    from linkgress_async.context import DbContext

__all__ = ["Confirm", "DbSchemaManager", "Plan"]

# Kept under its old name for the callers that import it from here.
_MIGRATE_LOCK_KEY = MIGRATE_LOCK_KEY
_READ = "analysing the database"


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
    migration_lock_free: bool | None = None
    """Whether no migration held the migration lock when the catalog was read (asked in the
    catalog read's own round trip when ``migrate()`` plans; ``None`` when not asked)."""
    live_read: CatalogFingerprint | None = attrs.field(default=None, eq=False, repr=False)
    """The fingerprint of the catalog read the plan was made from (when made to be applied),
    by which the re-check under the migration lock tells that nothing changed since."""
    owned_operations: tuple[MigrationOperation, ...] = attrs.field(default=(), eq=False, repr=False)
    """The diff of that read before the checks against the database (what the re-check
    computes again)."""


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
        scratch: str | None = None,
        migration_lock_timeout: float | None = 60.0,
        statement_progress: StatementProgress | None = None,
        reuse_unchanged_catalog: bool = True,
    ) -> None:
        self.db = db
        self.reuse_unchanged_catalog = reuse_unchanged_catalog
        """Whether an analysis takes the catalog the client's last analysis read when the
        catalog's state shows no change since (one short statement instead of the read);
        ``False`` reads the catalog every time."""
        self.statement_progress = statement_progress
        """Told about each statement of an applied plan as it runs (they then go one per
        round trip): the command line's progress on a terminal."""
        self.scratch = scratch
        """Where the model is spelled when the database cannot host scratch objects (a
        read-only role or replica): a DSN of a server of the same major version, or
        ``"embedded"``; ``None`` spells it on the database itself."""
        self.skipped: list[MigrationOperation] = []
        """What the last ``migrate(additive_only=True)`` left out (drops), in plan order."""
        self.migration_lock_timeout = migration_lock_timeout
        """How long a migration waits for another one on the database (``None``: no limit)."""
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
        return (await self._introspect())[0]

    @guarded(_READ)
    async def _introspect(
        self, fingerprinted: bool = False, since: KeptCatalog | None = None
    ) -> tuple[Catalog, CatalogFingerprint | None]:
        """:meth:`introspect`, and with ``fingerprinted`` the read's fingerprint (``since``:
        as for :func:`read_catalog`)."""
        pool = await self.db.client.connect()
        catalog, _, fingerprint = await read_catalog(
            pool,
            self.model.schemas,
            exclude_tables=self.db.journal_tables,
            concurrent=self.concurrent_introspection,
            fingerprinted=fingerprinted,
            since=since,
        )
        return catalog, fingerprint

    async def _canonical(self, source: asyncpg.Pool | AnyConnection) -> Canonical:
        async with using(source) as conn:
            canonical = await canonicalize(conn, self.model)
            if isinstance(source, asyncpg.Pool):
                # Its scratch transaction, rolled back, undid all it did (objects, settings,
                # locks): the session is as the pool gave it, and needs no reset round trip.
                left_clean(conn)
            return canonical

    @guarded(_READ)
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
        check_lock: bool = False,
    ) -> Plan:
        """The plan; ``canonical`` reuses an earlier spelling of the model (it does not depend
        on the database's tables). ``creations_only`` (ensure_created) skips what only the other
        operations need: uses of enums outside the model, enum rebuilds' rows, and hazards.
        ``check_lock`` (migrate) also looks at the migration lock where the catalog read can
        (:attr:`Plan.migration_lock_free`), and fingerprints the read for the re-check under
        the lock (:attr:`Plan.live_read`)."""
        # Each pair of tables is compared once however many stages ask.
        with remembered_comparisons():
            pool = await self.db.client.connect()
            lock_free: bool | None = None
            fingerprint: CatalogFingerprint | None = None
            if self.scratch is None:
                if canonical is None:
                    current, canonical, lock_free, fingerprint = await read_with_spelling(
                        self, pool, check_lock
                    )
                else:
                    current, fingerprint = await self._introspect(check_lock)
                compared = await compare(self, pool, pool, current, canonical, renames)
            else:
                current, fingerprint = await self._introspect(check_lock)
                async with pool.acquire() as conn:
                    major = conn.get_server_version().major
                async with shadow(self.scratch, current, major) as speller:
                    if canonical is None:
                        canonical = await self._canonical(speller)
                    compared = await compare(self, speller, pool, current, canonical, renames)
            canonical, context, owned = compared.spelled, compared.context, compared.owned
            plan = Plan(
                owned.operations,
                canonical,
                context,
                unmanaged=owned.unmanaged,
                migration_lock_free=lock_free,
                live_read=fingerprint,
                owned_operations=owned.operations,
            )
            if creations_only:
                return plan
            operations = await respect_outside_uses(
                pool, list(owned.operations), self.model.schemas, self._out
            )
            operations = await mark_enum_rebuilds(pool, operations)
            hazards = await self._hazards(pool, operations)
            return attrs.evolve(plan, operations=tuple(operations), hazards=tuple(hazards))

    async def _hazards(
        self, pool: asyncpg.Pool, operations: Sequence[MigrationOperation]
    ) -> list[Hazard]:
        if not risky_tables(operations):
            return []
        async with pool.acquire() as conn:
            facts = await collect_hazard_facts(
                conn,
                operations,
                self.hazard_policy,
                idle_timeout=self.db.client.deadlines.idle_timeout,
            )
        return find_hazards(operations, facts, self.hazard_policy)

    @guarded(_READ)
    async def hazards(self) -> list[Hazard]:
        """Operations of the current plan that lock or fail on large tables (nothing runs)."""
        return list((await self.plan()).hazards)

    @guarded(_READ)
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

    async def ask_renames(self, plan: Plan, interactive: bool | None = None) -> Plan:
        """In an interactive session (``None``: when stdin is a terminal), ask whether
        same-shaped drops and adds are renames; the plan with the confirmed ones applied."""
        if interactive is None:
            interactive = sys.stdin is not None and sys.stdin.isatty()
        # A kept undeclared table is still a candidate for a table the model creates.
        withheld = [item.operation for item in plan.unmanaged]
        candidates = rename_candidates([*plan.operations, *withheld]) if interactive else []
        accepted: list[RenameCandidate] = []
        for candidate in candidates:
            if await confirmed(candidate.question()):
                accepted.append(candidate)
        if not accepted:
            return plan
        # The model's spelling is the same with the renames: only the diff is done again, and
        # a plan made to be applied stays fingerprinted for the re-check under the lock.
        return await self._plan(
            renames=accepted, canonical=plan.canonical, check_lock=plan.live_read is not None
        )

    @guarded("the schema migration")
    async def migrate(
        self,
        *,
        interactive: bool | None = None,
        allow_destructive: bool = False,
        confirm: Confirm | None = None,
        dry_run: bool = False,
        additive_only: bool = False,
        concurrent_indexes: bool = False,
        online: bool = False,
    ) -> list[MigrationOperation]:
        """Make the database match the model; returns the operations applied.

        ``additive_only=True`` (Linkgress' ``migrate()``) never drops: drops and operations
        that can delete data are printed as skipped and left out; everything else applies.
        ``concurrent_indexes=True`` (Linkgress' ``concurrentIndexes``) builds the indexes of
        existing tables ``CONCURRENTLY``, after the plan's transaction has committed (see
        :mod:`linkgress_async.plan.concurrent_indexes`).
        ``online=True`` applies the plan in phases that hold table locks only briefly
        (indexes built concurrently, constraints validated apart; see
        ``docs/online-migrations.md``); an interrupted online migration resumes where it
        stopped. Online migrations always build indexes concurrently, so
        ``concurrent_indexes`` changes nothing there.
        """
        if online:
            from linkgress_async.online.run import migrate_online

            return await migrate_online(
                self,
                interactive=interactive,
                allow_destructive=allow_destructive,
                confirm=confirm,
                dry_run=dry_run,
                additive_only=additive_only,
            )
        plan = await self._plan_to_apply(interactive)
        if additive_only:
            split = additive_split(plan.operations)
            plan = attrs.evolve(plan, operations=split.applied)
            self.skipped = list(split.skipped)
        operations = list(plan.operations)
        self.print_plan(operations, hazards=plan.hazards, unmanaged=plan.unmanaged)
        # Files recorded in a journal describe this database; migrate() changes it outside them.
        warning: str | None = None
        if operations:
            async with self.db.client.acquire() as conn:
                warning = await migrate_warning(conn, self.db.journal_tables)
            if warning is not None:
                self._out(warning)
        if additive_only and self.skipped:
            self._out(
                f"Skipped (additive only): {counted(len(self.skipped), 'operation')} that "
                "would drop or can delete data:"
            )
            for op in self.skipped:
                self._out(f"  - {op.describe()}")
        if dry_run:
            for statement in self.to_sql(operations):
                self._out(statement + ";")
            return operations
        await refuse_unconfirmed(operations, allow_destructive, interactive, confirm)
        if await self._nothing_to_apply(operations, plan):
            return []
        chosen = _additive_part if additive_only else list
        concurrent: list[CreateIndex] = []
        if concurrent_indexes:
            kept, concurrent = split_concurrent(operations, self.model)
            plan = attrs.evolve(plan, operations=tuple(kept))

        def select(ops: Sequence[MigrationOperation]) -> list[MigrationOperation]:
            selected = chosen(ops)
            return split_concurrent(selected, self.model)[0] if concurrent_indexes else selected

        if not await apply_plan(self, plan, select=select, mark_journals=warning is not None):
            return []
        await build_concurrently(self.db.client, concurrent, self._out)
        if operations:
            self._out(f"Migration complete: {counted(len(operations), 'operation')} applied.")
        return operations

    async def _nothing_to_apply(self, operations: Sequence[MigrationOperation], plan: Plan) -> bool:
        """Whether applying ``operations`` (of ``plan``) can stop before the migration lock:
        none to apply, no hook to run and no migration at work. A change made meanwhile is
        another migration's, as if this one ran first; a migration at work is waited for as
        always."""
        return (
            not operations and not _has_migration_hooks(self.db) and await self._no_migration(plan)
        )

    async def _no_migration(self, plan: Plan) -> bool:
        """Whether no migration held the migration lock when ``plan``'s catalog was read, or,
        when that read could not tell, holds it now (one round trip)."""
        if plan.migration_lock_free is not None:
            return plan.migration_lock_free
        return await migration_lock_free(self.db.client)

    async def _plan_to_apply(self, interactive: bool | None) -> Plan:
        """The plan a migration applies (``migrate()``, online or not): its catalog read
        fingerprinted for the re-check under the lock (see :func:`replan`), with the renames
        confirmed at the prompt."""
        return await self.ask_renames(await self._plan(check_lock=True), interactive)

    async def _replan(self, conn: AnyConnection, plan: Plan) -> list[MigrationOperation]:
        """The plan again, from the database as ``conn``'s locked transaction sees it (the
        online run re-checks through it under its own hold of the lock)."""
        return await replan(self, conn, plan)

    # --- create / delete --------------------------------------------------------------------

    async def creation_operations(self) -> list[MigrationOperation]:
        """What :meth:`ensure_created` would apply now (nothing is run)."""
        return creation_operations((await self._plan(creations_only=True)).operations)

    @guarded("creating the model's objects")
    async def ensure_created(self) -> list[MigrationOperation]:
        """Create the model's objects that are missing, each whole (a table with its keys,
        indexes, triggers and policies; comments, privileges and owners), then run the hook.
        Existing objects are left as they are."""
        plan = await self._plan(creations_only=True, check_lock=True)
        creations = creation_operations(plan.operations)
        if await self._nothing_to_apply(creations, plan):
            return []
        selected = attrs.evolve(plan, operations=tuple(creations))
        if not await apply_plan(self, selected, select=creation_operations):
            return []
        return creations

    @guarded("dropping the model's objects")
    async def ensure_deleted(self) -> list[MigrationOperation]:
        """Drop the model's objects (and its schemas other than ``public`` once empty)."""
        return await delete_model(self)


def _additive_part(operations: Sequence[MigrationOperation]) -> list[MigrationOperation]:
    return list(additive_split(operations).applied)


def _has_migration_hooks(db: DbContext) -> bool:
    """Whether the context overrides a migration hook (they run even when nothing changed)."""
    from linkgress_async.context import DbContext

    kind = type(db)
    return (
        kind.on_migration_start is not DbContext.on_migration_start
        or kind.on_migration_complete is not DbContext.on_migration_complete
    )
