"""Fleet migrations: the same migrations on many databases or tenant schemas at once.

:func:`migrate_many` (automatic migration of a model) and :func:`up_many` (migration files,
also reachable as ``MigrationRunner.up_many``) run each target with its own small pool and
context, at most ``concurrency`` at a time, after ``canary`` targets that run first, and
return a :class:`FleetResult` with one :class:`TargetResult` per target. Modules:
``targets`` (what a target is, target files), ``results`` (the result values and their
table), ``report`` (failures grouped by cause, JSON, JUnit XML), ``schedule`` (canaries,
bounded concurrency, stop on failure), ``waves`` (staged rollouts and their stop rules),
``record`` and ``run_status`` (the run record, resuming, reading the last run back),
``rollout`` (waves and record around a run), ``api`` (the two entry points), ``checks``
(``status_many``, ``drift_many``, ``resolve_many``); ``redact_dsn`` comes from
:mod:`linkgress_async.dsn`.
"""

from __future__ import annotations

from linkgress_async.dsn import redact_dsn
from linkgress_async.fleet.api import ContextFactory, migrate_many, up_many
from linkgress_async.fleet.checks import (
    CheckGroup,
    CheckStatus,
    FleetCheck,
    TargetCheck,
    drift_many,
    resolve_many,
    status_many,
)
from linkgress_async.fleet.record import FileRecord, RecordLike, RunRecordError, TableRecord
from linkgress_async.fleet.report import FailureGroup
from linkgress_async.fleet.results import FleetResult, TargetResult, TargetStatus
from linkgress_async.fleet.run_status import RecordedRun, last_run
from linkgress_async.fleet.schedule import FleetDeadlineError, is_capacity_error
from linkgress_async.fleet.targets import (
    FleetTarget,
    FleetTargetError,
    TargetLike,
    databases_on_server,
    parse_targets,
    read_targets,
)
from linkgress_async.fleet.waves import Wave, WaveLike

__all__ = [
    "CheckGroup",
    "CheckStatus",
    "ContextFactory",
    "FailureGroup",
    "FileRecord",
    "FleetCheck",
    "FleetDeadlineError",
    "FleetResult",
    "FleetTarget",
    "FleetTargetError",
    "RecordLike",
    "RecordedRun",
    "RunRecordError",
    "TableRecord",
    "TargetCheck",
    "TargetLike",
    "TargetResult",
    "TargetStatus",
    "Wave",
    "WaveLike",
    "databases_on_server",
    "drift_many",
    "is_capacity_error",
    "last_run",
    "migrate_many",
    "parse_targets",
    "read_targets",
    "redact_dsn",
    "resolve_many",
    "status_many",
    "up_many",
]
