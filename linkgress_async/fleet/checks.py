"""The read side of a fleet, and its repair: ``status_many``, ``drift_many``, ``resolve_many``.

Each runs on every target with the machinery of :func:`~linkgress_async.fleet.up_many`
(bounded concurrency, ``per_host``, per-target and run deadlines, capacity retries, a pool
per target closed however it ends). ``status_many`` and ``drift_many`` change nothing and
return a :class:`FleetCheck`: what each target has to show (pending and unresolved files,
or differences from its migrations), grouped so that 5,000 targets read as a few lines.
``resolve_many`` settles a non-transactional file left failed or running after a kill, on
the targets where it is in that state only, and returns a :class:`FleetResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from attrs import field, frozen

from linkgress_async.context import DbContext
from linkgress_async.deadlines import UNSET, Unset
from linkgress_async.errors import MigrationFileError
from linkgress_async.fleet import report as reports
from linkgress_async.fleet.api import Body, ContextFactory, _limits, _options, _run_each
from linkgress_async.fleet.report import FailureGroup
from linkgress_async.fleet.results import FleetResult, TargetResult
from linkgress_async.fleet.rollout import Rollout
from linkgress_async.fleet.schedule import Limits, Outcome, Progress, check_options
from linkgress_async.fleet.targets import FleetTarget, FleetTargetError, TargetLike, as_targets
from linkgress_async.migrations.files import load_directory
from linkgress_async.migrations.runner import MigrationRunner

__all__ = [
    "CheckGroup",
    "CheckStatus",
    "FleetCheck",
    "TargetCheck",
    "drift_many",
    "resolve_many",
    "status_many",
]

CheckStatus = Literal["clean", "found", "failed", "not-run"]
"""``clean``: nothing to report (up to date, or no drift); ``found``: pending or unresolved
files, or drift; ``failed``: the target could not be checked; ``not-run``: never reached
(the run's deadline passed first)."""

CheckKind = Literal["status", "drift"]

_WORDS: Mapping[CheckKind, tuple[str, str]] = {
    "status": ("up to date", "behind"),
    "drift": ("without drift", "with drift"),
}
_LISTED = 5


@frozen
class TargetCheck:
    """What one target showed: pending files and unresolved ones (``status_many``), or the
    differences from its applied migrations (``drift_many``)."""

    index: int
    target: FleetTarget
    status: CheckStatus
    findings: tuple[str, ...] = ()
    """Pending files in the order ``up`` applies them, or the differences, described."""
    unresolved: tuple[str, ...] = ()
    """Files that failed part-way or were interrupted outside a transaction: run
    ``resolve_many`` (``linkgress resolve FILE --applied/--not-applied``) on them."""
    duration: float = 0.0
    error: str | None = None
    exception: BaseException | None = field(default=None, eq=False, repr=False)

    @property
    def label(self) -> str:
        """The target's name, with no password in it."""
        return self.target.name


@frozen
class CheckGroup:
    """Targets that showed the same thing: ``count`` of them, the first few as examples."""

    findings: tuple[str, ...]
    unresolved: tuple[str, ...]
    count: int
    examples: tuple[str, ...]


@frozen
class FleetCheck:
    """One :class:`TargetCheck` per target, in the order given; ``kind`` is ``"status"`` or
    ``"drift"``."""

    kind: CheckKind
    targets: tuple[TargetCheck, ...]
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether every target was checked and has nothing to show."""
        return all(target.status == "clean" for target in self.targets)

    @property
    def failed(self) -> list[TargetCheck]:
        """The targets that could not be checked."""
        return [target for target in self.targets if target.status == "failed"]

    @property
    def unresolved(self) -> list[TargetCheck]:
        """The targets with a file left failed or running (``status_many``)."""
        return [target for target in self.targets if target.unresolved]

    def counts(self) -> dict[CheckStatus, int]:
        """How many targets ended in each status."""
        statuses: tuple[CheckStatus, ...] = ("clean", "found", "failed", "not-run")
        return {s: sum(1 for t in self.targets if t.status == s) for s in statuses}

    def groups(self, *, examples: int = 3) -> list[CheckGroup]:
        """The targets that showed something, grouped by what they showed, largest first."""
        grouped: dict[tuple[tuple[str, ...], tuple[str, ...]], list[TargetCheck]] = {}
        for target in self.targets:
            if target.status == "found":
                grouped.setdefault((target.findings, target.unresolved), []).append(target)
        ordered = sorted(grouped.items(), key=lambda item: -len(item[1]))
        return [
            CheckGroup(
                findings, unresolved, len(members), tuple(m.label for m in members[:examples])
            )
            for (findings, unresolved), members in ordered
        ]

    def failures_by_cause(self, *, examples: int = 3) -> list[FailureGroup]:
        """The targets that could not be checked, grouped by cause (see
        :meth:`FleetResult.failures_by_cause`)."""
        return reports.group_failures(self.failed, examples=examples)

    def summary(self) -> str:
        """One line: how many targets are in each state."""
        clean, found = _WORDS[self.kind]
        counts = self.counts()
        return (
            f"{len(self.targets)} targets: {counts['clean']} {clean}, {counts['found']} {found}, "
            f"{counts['failed']} failed, {counts['not-run']} not-run in {self.duration:.2f} s"
        )

    def report(self, *, examples: int = 3) -> str:
        """The summary, the groups of what the targets showed and the failures by cause: a
        few lines at any size."""
        lines = [self.summary()]
        groups = self.groups(examples=examples)
        for group in groups[: reports.MAX_GROUPS_SHOWN]:
            lines.append(f"  {_group_line(self.kind, group)}")
            more = group.count - len(group.examples)
            lines.append(
                f"    e.g. {', '.join(group.examples)}" + (f" (+{more} more)" if more > 0 else "")
            )
        if len(groups) > reports.MAX_GROUPS_SHOWN:
            rest = groups[reports.MAX_GROUPS_SHOWN :]
            lines.append(
                f"  ... and {len(rest)} more groups ({sum(g.count for g in rest)} targets); "
                "--json lists every target"
            )
        failures = reports.render_groups(self.failures_by_cause(examples=examples))
        if failures:
            lines.append(failures)
        return "\n".join(lines)

    def as_document(self) -> dict[str, Any]:
        """The whole check as JSON-ready values: counts, groups, failures, every target."""
        return {
            "ok": self.ok,
            "kind": self.kind,
            "counts": dict(self.counts()),
            "duration": round(self.duration, 3),
            "groups": [
                {
                    "count": group.count,
                    "findings": list(group.findings),
                    "unresolved": list(group.unresolved),
                    "examples": list(group.examples),
                }
                for group in self.groups()
            ],
            "failures_by_cause": [
                {"cause": g.cause, "count": g.count, "examples": list(g.examples)}
                for g in self.failures_by_cause()
            ],
            "targets": [check_document(target) for target in self.targets],
        }


def check_document(target: TargetCheck) -> dict[str, Any]:
    """One target's check as JSON-ready values (also a ``--log-format json`` line)."""
    document: dict[str, Any] = {
        "index": target.index,
        "target": target.label,
        "status": target.status,
        "findings": list(target.findings),
        "unresolved": list(target.unresolved),
        "duration": round(target.duration, 3),
    }
    if target.error is not None:
        document["error"] = target.error
        document["cause"] = reports.cause_of(target)
    return document


def _listed(items: tuple[str, ...]) -> str:
    shown = "; ".join(items[:_LISTED])
    return shown + (f"; +{len(items) - _LISTED} more" if len(items) > _LISTED else "")


def _group_line(kind: CheckKind, group: CheckGroup) -> str:
    count = "1 target" if group.count == 1 else f"{group.count} targets"
    if kind == "drift":
        differences = (
            "1 difference" if len(group.findings) == 1 else f"{len(group.findings)} differences"
        )
        return f"{count}: {differences} ({_listed(group.findings)})"
    parts = []
    if group.findings:
        parts.append(f"{len(group.findings)} pending ({_listed(group.findings)})")
    if group.unresolved:
        parts.append(
            f"{len(group.unresolved)} unresolved ({_listed(group.unresolved)}): "
            "failed or interrupted outside a transaction, resolve it"
        )
    return f"{count}: {', '.join(parts)}"


_Found = dict[FleetTarget, tuple[tuple[str, ...], tuple[str, ...]]]


def _as_check(kind: CheckKind, result: TargetResult, found: _Found) -> TargetCheck:
    findings, unresolved = found.get(result.target, ((), ()))
    status: CheckStatus
    if result.status in ("failed", "not-run"):
        status = result.status
    else:
        status = "found" if findings or unresolved else "clean"
    return TargetCheck(
        index=result.index,
        target=result.target,
        status=status,
        findings=findings,
        unresolved=unresolved,
        duration=result.duration,
        error=result.error,
        exception=result.exception,
    )


def _runner(
    db: DbContext, target: FleetTarget, directory: Path, journal: tuple[str, str], lock: float
) -> MigrationRunner:
    journal_schema, journal_table = journal
    return MigrationRunner(
        db,
        migrations_directory=directory,
        journal_table=journal_table,
        journal_schema=target.schema or journal_schema,
        lock_timeout=lock,
    )


async def status_many(
    context: ContextFactory,
    targets: Iterable[TargetLike],
    *,
    migrations_directory: str | Path = "./migrations",
    journal_table: str = "__migrations",
    journal_schema: str = "public",
    concurrency: int = 4,
    per_host: int | None = None,
    target_timeout: float | None = None,
    deadline: float | None = None,
    capacity_retries: int = 3,
    connect_timeout: float | None = None,
    network_timeout: float | None = None,
    idle_timeout: float | Unset | None = UNSET,
    client_options: Mapping[str, Any] | None = None,
    on_result: Callable[[TargetCheck], object] | None = None,
) -> FleetCheck:
    """The pending and unresolved migration files of every target; nothing is changed.

    Targets are those of :func:`up_many` (databases, tenant schemas), and so are the bounds
    (``concurrency``, ``per_host``, ``target_timeout``, ``deadline``, ``capacity_retries``
    and the client deadlines). The files are loaded once; each target only reads its
    journal (a target without one has every file pending). ``on_result`` is called with
    each :class:`TargetCheck` as its target ends.
    """
    check_options(concurrency, 0)
    directory = Path(migrations_directory)
    files = [file.filename for file in await load_directory(directory)]
    found: _Found = {}

    async def inspect(target: FleetTarget, db: DbContext, progress: Progress) -> Outcome:
        runner = _runner(db, target, directory, (journal_schema, journal_table), 60.0)
        async with db.client.acquire() as conn:
            entries = await runner.journal.entries(conn, unresolved=True)
        done = {entry.filename for entry in entries if entry.applied}
        unresolved = tuple(entry.filename for entry in entries if not entry.applied)
        pending = tuple(name for name in files if name not in done and name not in unresolved)
        found[target] = (pending, unresolved)
        return Outcome()

    return await _check(
        "status",
        context,
        targets,
        inspect,
        found,
        on_result,
        _limits(concurrency, per_host, target_timeout, deadline, capacity_retries),
        _options(client_options, connect_timeout, network_timeout, idle_timeout),
    )


async def drift_many(
    context: ContextFactory,
    targets: Iterable[TargetLike],
    *,
    migrations_directory: str | Path = "./migrations",
    journal_table: str = "__migrations",
    journal_schema: str = "public",
    concurrency: int = 2,
    per_host: int | None = None,
    target_timeout: float | None = None,
    deadline: float | None = None,
    capacity_retries: int = 3,
    connect_timeout: float | None = None,
    network_timeout: float | None = None,
    idle_timeout: float | Unset | None = UNSET,
    client_options: Mapping[str, Any] | None = None,
    on_result: Callable[[TargetCheck], object] | None = None,
) -> FleetCheck:
    """Compare every target database with a replay of its applied files; nothing is changed.

    Each target is compared as ``MigrationRunner.drift()`` does, replaying into a temporary
    database on the target's server (its role needs CREATEDB), so the default concurrency
    is 2. Databases only: a tenant schema raises :class:`FleetTargetError`. Targets with the
    same differences are grouped in :meth:`FleetCheck.report`.
    """
    check_options(concurrency, 0)
    fleet = as_targets(targets)
    tenants = [target.name for target in fleet if target.schema is not None]
    if tenants:
        raise FleetTargetError(
            f"drift_many compares whole databases, and {tenants[0]} is a tenant schema; "
            "pass database targets (status_many takes tenant schemas)"
        )
    directory = Path(migrations_directory)
    await load_directory(directory)
    found: _Found = {}

    async def compare(target: FleetTarget, db: DbContext, progress: Progress) -> Outcome:
        runner = _runner(db, target, directory, (journal_schema, journal_table), 60.0)
        drift = await runner.drift()
        described = tuple(
            op.describe() + ("  [DESTRUCTIVE]" if op.destructive else "") for op in drift.operations
        )
        found[target] = (described, ())
        return Outcome()

    return await _check(
        "drift",
        context,
        fleet,
        compare,
        found,
        on_result,
        _limits(concurrency, per_host, target_timeout, deadline, capacity_retries),
        _options(client_options, connect_timeout, network_timeout, idle_timeout),
    )


async def resolve_many(
    context: ContextFactory,
    targets: Iterable[TargetLike],
    filename: str,
    *,
    applied: bool,
    migrations_directory: str | Path = "./migrations",
    journal_table: str = "__migrations",
    journal_schema: str = "public",
    lock_timeout: float = 60.0,
    concurrency: int = 4,
    per_host: int | None = None,
    target_timeout: float | None = None,
    deadline: float | None = None,
    capacity_retries: int = 3,
    connect_timeout: float | None = None,
    network_timeout: float | None = None,
    idle_timeout: float | Unset | None = UNSET,
    client_options: Mapping[str, Any] | None = None,
    on_result: Callable[[TargetResult], object] | None = None,
) -> FleetResult:
    """Settle ``filename`` wherever it was left failed or running outside a transaction.

    As ``MigrationRunner.resolve`` on each target: ``applied=True`` records it as applied
    (you completed its changes), ``applied=False`` forgets it so the next ``up`` runs it
    again. Only targets where the file is in that state change (status ``ok``, ``applied ==
    (filename,)``); the others are ``skipped``. Check the databases before you resolve
    them: this records what you say, it does not look at the schema. With ``applied=True``
    the file must be in ``migrations_directory`` (its checksum is recorded).
    """
    check_options(concurrency, 0)
    directory = Path(migrations_directory)
    names = {file.filename for file in await load_directory(directory)}
    if applied and filename not in names:
        raise MigrationFileError(
            f"{filename} is not in {directory}; resolving it as applied records its "
            "checksum, so name a file of the directory (ls it), or use applied=False"
        )

    async def settle(target: FleetTarget, db: DbContext, progress: Progress) -> Outcome:
        runner = _runner(db, target, directory, (journal_schema, journal_table), lock_timeout)
        async with db.client.acquire() as conn:
            entries = await runner.journal.entries(conn, unresolved=True)
        if not any(entry.filename == filename and not entry.applied for entry in entries):
            return Outcome()
        await runner.resolve(filename, applied=applied)
        return Outcome((filename,))

    bounds = _limits(concurrency, per_host, target_timeout, deadline, capacity_retries)
    return await _run_each(
        as_targets(targets),
        context,
        settle,
        client_options=_options(client_options, connect_timeout, network_timeout, idle_timeout),
        limits=bounds,
        rollout=Rollout("resolve_many"),
        stop_on_failure=False,
        on_result=on_result,
        logger=None,
    )


async def _check(
    kind: CheckKind,
    context: ContextFactory,
    targets: Iterable[TargetLike],
    body: Body,
    found: _Found,
    on_result: Callable[[TargetCheck], object] | None,
    limits: Limits,
    options: dict[str, Any],
) -> FleetCheck:
    def each(result: TargetResult) -> None:
        if on_result is not None:
            on_result(_as_check(kind, result, found))

    result = await _run_each(
        as_targets(targets),
        context,
        body,
        client_options=options,
        limits=limits,
        rollout=Rollout(f"{kind}_many"),
        stop_on_failure=False,
        on_result=each,
        logger=None,
    )
    return FleetCheck(
        kind,
        tuple(_as_check(kind, target, found) for target in result.targets),
        result.duration,
    )
