"""migrate_many and up_many: one context, one small pool, one result per target."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio

from linkgress_async.client import PgClient
from linkgress_async.context import DbContext
from linkgress_async.deadlines import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_NETWORK_TIMEOUT,
    UNSET,
    Deadlines,
    Unset,
)
from linkgress_async.errors import one_line
from linkgress_async.execute.retry import DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT
from linkgress_async.fleet.record import RecordLike
from linkgress_async.fleet.results import FleetResult, TargetResult
from linkgress_async.fleet.rollout import Rollout, run_rollout
from linkgress_async.fleet.schedule import Limits, Outcome, Progress, check_options, run_fleet
from linkgress_async.fleet.targets import FleetTarget, FleetTargetError, TargetLike, as_targets
from linkgress_async.fleet.waves import WaveLike
from linkgress_async.manager import Confirm
from linkgress_async.migrations.files import load_directory
from linkgress_async.migrations.runner import MigrationRunner

__all__ = ["ContextFactory", "migrate_many", "up_many"]

ContextFactory = Callable[[PgClient], DbContext]
"""The context class itself, or any callable that builds a context on the client given."""

Logger = Callable[[str], object]

# Each target is handled by one task at a time; two connections cover a runner's lock
# connection plus one more, and keep 50 targets at concurrency 8 well under max_connections.
_POOL_DEFAULTS: Mapping[str, Any] = {"min_size": 1, "max_size": 2}
_DEADLINE_DEFAULTS: Mapping[str, Any] = {
    "connect_timeout": DEFAULT_CONNECT_TIMEOUT,
    "network_timeout": DEFAULT_NETWORK_TIMEOUT,
    "idle_timeout": DEFAULT_IDLE_TIMEOUT,
}


def _client(target: FleetTarget, client_options: Mapping[str, Any]) -> PgClient:
    options: dict[str, Any] = {**_POOL_DEFAULTS, **client_options}
    if target.search_path is not None:
        settings = dict(options.get("server_settings") or {})
        settings["search_path"] = target.search_path
        options["server_settings"] = settings
    return PgClient(dsn=target.dsn, **options)


Body = Callable[[FleetTarget, DbContext, Progress], Awaitable[Outcome]]
"""What a run does on one target, given the context made for it."""


async def _run_each(
    targets: list[FleetTarget],
    factory: ContextFactory,
    body: Body,
    *,
    client_options: Mapping[str, Any],
    limits: Limits,
    rollout: Rollout,
    stop_on_failure: bool,
    on_result: Callable[[TargetResult], object] | None,
    logger: Logger | None,
) -> FleetResult:
    """Schedule ``body`` on a new context per target; each pool is closed however it ends."""

    async def work(target: FleetTarget, progress: Progress) -> Outcome:
        client = _client(target, client_options)
        try:
            db = factory(client)
            try:
                return await body(target, db, progress)
            finally:
                # Shielded, so a cancelled target still closes what it opened, and bounded,
                # so a dead network cannot hold the run: client.close() below ends it hard.
                with anyio.CancelScope(shield=True) as scope:
                    scope.deadline = anyio.current_time() + client.deadlines.cleanup_timeout
                    await db.dispose()
        finally:
            with anyio.CancelScope(shield=True):
                await client.close()

    async def schedule(
        chosen: list[FleetTarget], report: Callable[[TargetResult], object] | None, waves: Any
    ) -> FleetResult:
        return await run_fleet(
            chosen,
            work,
            concurrency=limits.concurrency,
            limits=limits,
            stop_on_failure=stop_on_failure,
            on_result=report,
            waves=waves,
        )

    return await run_rollout(targets, rollout, schedule, on_result or _reporter(logger))


def _prefixed(logger: Logger | None, target: FleetTarget) -> Logger | None:
    if logger is None:
        return None
    label = target.name
    return lambda line: logger(f"[{label}] {line}")


def _reporter(logger: Logger | None) -> Callable[[TargetResult], object] | None:
    if logger is None:
        return None

    def report(result: TargetResult) -> None:
        text = f"[{result.label}] {result.status}: {len(result.applied)} applied"
        text += f" in {result.duration:.2f} s"
        if result.error:
            text += f"; {result.error}"
        logger(text)

    return report


async def migrate_many(
    context: ContextFactory,
    targets: Iterable[TargetLike],
    *,
    concurrency: int = 4,
    canary: int = 0,
    stop_on_failure: bool = False,
    allow_destructive: bool = False,
    confirm: Confirm | None = None,
    logger: Logger | None = None,
    client_options: Mapping[str, Any] | None = None,
    on_result: Callable[[TargetResult], object] | None = None,
    manager_options: Mapping[str, Any] | None = None,
    lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
    lock_retries: int = DEFAULT_LOCK_RETRIES,
    migration_lock_timeout: float | None = 60.0,
    target_timeout: float | None = None,
    deadline: float | None = None,
    per_host: int | None = None,
    capacity_retries: int = 3,
    connect_timeout: float | None = None,
    network_timeout: float | None = None,
    idle_timeout: float | Unset | None = UNSET,
    waves: Sequence[WaveLike] | None = None,
    record: RecordLike | None = None,
    resume: bool = False,
) -> FleetResult:
    """Make every target database match the model of ``context`` (automatic migration).

    Each target gets its own client (``max_size=2``; ``client_options`` adds asyncpg pool
    options) and context, and runs ``get_schema_manager(**manager_options).migrate()``
    (``exclude=``, ``drop_unmanaged=``, ``lock_timeout=`` ...) without prompting:
    destructive operations fail that target unless ``allow_destructive`` or ``confirm``
    accepts them. Targets are databases only: a model names its schemas, so tenant schemas
    are for :func:`up_many`. ``result.applied`` holds each operation's description.
    ``lock_timeout``, ``lock_retries`` and ``migration_lock_timeout`` are the schema
    manager's (a table lock's wait, its retries, the wait for another migration); the
    bounds of the run, ``waves``, ``record`` and ``resume`` are described in :func:`up_many`.
    """
    check_options(concurrency, canary)
    limits = _limits(concurrency, per_host, target_timeout, deadline, capacity_retries)
    options = _options(client_options, connect_timeout, network_timeout, idle_timeout)
    manager = {
        "lock_timeout": lock_timeout,
        "lock_retries": lock_retries,
        "migration_lock_timeout": migration_lock_timeout,
        **(manager_options or {}),
    }
    rollout = Rollout.of(
        "migrate_many",
        canary=canary,
        waves=waves,
        record=record,
        resume=resume,
        options={
            "concurrency": concurrency,
            "stop_on_failure": stop_on_failure,
            "allow_destructive": allow_destructive,
            "manager_options": manager,
            **limits.recorded(),
            **_recorded_deadlines(options),
        },
    )
    fleet = as_targets(targets)
    tenants = [target.name for target in fleet if target.schema is not None]
    if tenants:
        raise FleetTargetError(
            f"migrate_many applies a model to whole databases, and {tenants[0]} is a tenant "
            "schema: the model's tables name their own schemas, so they cannot be moved into "
            "another. Use MigrationRunner.up_many with migration files for tenant schemas, or "
            "pass database targets."
        )

    async def migrate(target: FleetTarget, db: DbContext, progress: Progress) -> Outcome:
        schema_manager = db.get_schema_manager(out=_prefixed(logger, target) or _quiet, **manager)
        operations = await schema_manager.migrate(
            interactive=False, allow_destructive=allow_destructive, confirm=confirm
        )
        return Outcome(tuple(op.describe() for op in operations))

    return await _run_each(
        fleet,
        context,
        migrate,
        client_options=options,
        limits=limits,
        rollout=rollout,
        stop_on_failure=stop_on_failure,
        on_result=on_result,
        logger=logger,
    )


async def up_many(
    context: ContextFactory,
    targets: Iterable[TargetLike],
    *,
    migrations_directory: str | Path = "./migrations",
    concurrency: int = 4,
    canary: int = 0,
    stop_on_failure: bool = False,
    journal_table: str = "__migrations",
    journal_schema: str = "public",
    lock_timeout: float = 60.0,
    accept_changed: bool = False,
    logger: Logger | None = None,
    client_options: Mapping[str, Any] | None = None,
    on_result: Callable[[TargetResult], object] | None = None,
    allow_destructive: bool = False,
    ddl_lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
    lock_retries: int = DEFAULT_LOCK_RETRIES,
    target_timeout: float | None = None,
    deadline: float | None = None,
    per_host: int | None = None,
    capacity_retries: int = 3,
    connect_timeout: float | None = None,
    network_timeout: float | None = None,
    idle_timeout: float | Unset | None = UNSET,
    waves: Sequence[WaveLike] | None = None,
    record: RecordLike | None = None,
    resume: bool = False,
) -> FleetResult:
    """Apply the pending migration files of one directory to every target.

    Files that declare destructive changes fail their targets unless ``allow_destructive``
    (no target is asked: many at once cannot share a prompt).

    A database target keeps its journal in ``journal_schema``; a tenant target
    (``FleetTarget(dsn, schema="tenant_a")``) runs with ``search_path`` set to its schema
    alone, which holds its journal too, so unqualified names in the files land there.
    Every target's journal knows what it has applied, which makes a rerun continue where
    a stopped run ended. The files are loaded once first, so a broken file is reported
    (as :class:`~linkgress_async.MigrationFileError`) before any target runs.

    Every option of :class:`MigrationRunner` has its keyword here (``lock_timeout``: the
    wait for another runner; ``ddl_lock_timeout`` and ``lock_retries``: a table lock's wait
    and its retries), and every deadline of :class:`PgClient` (``connect_timeout``,
    ``network_timeout``, ``idle_timeout``) applies to each target. ``target_timeout`` bounds
    a whole target and ``deadline`` the whole run (seconds): past them the target's work is
    cancelled and it fails with :class:`FleetDeadlineError`, and targets not yet started
    stay ``not-run``. ``per_host`` caps the targets running at once on one server, and a
    target refused for want of a connection slot is retried ``capacity_retries`` times
    after a growing, jittered pause.

    ``waves`` stages the rollout (``[1, "1%", "10%"]``: one target, then 1 % of them, then
    10 %, then the rest; see :class:`~linkgress_async.fleet.Wave` for lists and stop rules):
    a wave whose failures break its rule stops the run, and ``result.stopped`` says which
    and why. ``record`` (a file path, a ``postgresql://`` URL or a
    :class:`~linkgress_async.fleet.TableRecord`) writes the run down as each target ends;
    with ``resume=True`` only the targets the last recorded run did not finish run.
    """
    check_options(concurrency, canary)
    limits = _limits(concurrency, per_host, target_timeout, deadline, capacity_retries)
    options = _options(client_options, connect_timeout, network_timeout, idle_timeout)
    directory = Path(migrations_directory)
    rollout = Rollout.of(
        "up_many",
        canary=canary,
        waves=waves,
        record=record,
        resume=resume,
        options={
            "migrations_directory": str(directory),
            "concurrency": concurrency,
            "stop_on_failure": stop_on_failure,
            "journal": f"{journal_schema}.{journal_table}",
            "lock_timeout": lock_timeout,
            "accept_changed": accept_changed,
            "allow_destructive": allow_destructive,
            "ddl_lock_timeout": ddl_lock_timeout,
            "lock_retries": lock_retries,
            **limits.recorded(),
            **_recorded_deadlines(options),
        },
    )
    fleet = as_targets(targets)
    # Loaded once for every target: each runner would otherwise read and compile the files
    # again in a worker thread, work and allocator churn repeated for every target.
    files = await load_directory(directory)

    async def up(target: FleetTarget, db: DbContext, progress: Progress) -> Outcome:
        log = _prefixed(logger, target)
        runner = MigrationRunner(
            db,
            migrations_directory=directory,
            journal_table=journal_table,
            journal_schema=target.schema or journal_schema,
            verbose=log is not None,
            logger=log or _quiet,
            lock_timeout=lock_timeout,
            accept_changed=accept_changed,
            ddl_lock_timeout=ddl_lock_timeout,
            lock_retries=lock_retries,
            loaded_files=files,
        )
        try:
            result = await runner.up(allow_destructive=allow_destructive, interactive=False)
        except BaseException:
            # Lost connection or deadline: say what this target did apply, from the journal
            # rows the runner committed (its COMMIT that took effect included).
            progress.applied[:] = runner.last_result.applied if runner.last_result else []
            raise
        failed = result.failed
        if failed is None:
            return Outcome(tuple(result.applied))
        return Outcome(
            tuple(result.applied),
            error=f"{failed.filename}: {one_line(failed.error)}",
            exception=failed.error,
        )

    return await _run_each(
        fleet,
        context,
        up,
        client_options=options,
        limits=limits,
        rollout=rollout,
        stop_on_failure=stop_on_failure,
        on_result=on_result,
        logger=logger,
    )


def _limits(
    concurrency: int,
    per_host: int | None,
    target_timeout: float | None,
    deadline: float | None,
    capacity_retries: int,
) -> Limits:
    return Limits(
        concurrency=concurrency,
        per_host=per_host,
        target_timeout=target_timeout,
        deadline=deadline,
        capacity_retries=capacity_retries,
    )


def _options(
    client_options: Mapping[str, Any] | None,
    connect_timeout: float | None,
    network_timeout: float | None,
    idle_timeout: float | Unset | None,
) -> dict[str, Any]:
    """The client options of every target: the deadlines given by name over the mapping."""
    options = dict(client_options or {})
    if connect_timeout is not None:
        options["connect_timeout"] = connect_timeout
    if network_timeout is not None:
        options["network_timeout"] = network_timeout
    if not isinstance(idle_timeout, Unset):
        options["idle_timeout"] = idle_timeout
    # Checked now, once, rather than as a failure of every target.
    Deadlines.of({**_DEADLINE_DEFAULTS, **options})
    return options


def _recorded_deadlines(options: Mapping[str, Any]) -> dict[str, Any]:
    """The deadlines among the client options, for the run record (never a password)."""
    names = ("connect_timeout", "network_timeout", "idle_timeout")
    return {name: options[name] for name in names if name in options}


def _quiet(_line: str) -> None:
    """Discard a line of output."""
