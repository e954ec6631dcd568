"""``up`` and ``migrate`` over many databases: ``--all-databases`` or ``--dsn-file``.

The targets come from the server of the configured database (``--all-databases [--like
PATTERN]``) or from a file (``--dsn-file FILE``); :mod:`linkgress_async.fleet` runs them.
Progress and the report (failures grouped by cause) are :mod:`.fleet_output`'s; ``status``,
``resolve`` and ``drift`` over many databases are :mod:`.fleet_checks`'s. The exit status is
1 unless every target is up to date.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from linkgress_async.cli import fleet_checks, fleet_rollout
from linkgress_async.cli.commands import EXIT_FAILED, EXIT_OK
from linkgress_async.cli.config import (
    ConfigurationError,
    Settings,
    deadline_options,
    manager_lock_options,
    positive_seconds,
    runner_lock_options,
    whole_number,
)
from linkgress_async.cli.fleet_output import (
    FleetProgress,
    add_output_options,
    output_stream,
    write_junit,
)
from linkgress_async.cli.output import Output
from linkgress_async.client import PgClient
from linkgress_async.context import DbContext
from linkgress_async.errors import (
    DestructiveFilesError,
    DestructiveMigrationError,
    LinkgressError,
)
from linkgress_async.fleet import (
    FleetResult,
    FleetTarget,
    databases_on_server,
    migrate_many,
    read_targets,
)
from linkgress_async.migrations.runner import MigrationRunner

__all__ = [
    "DEFAULT_CONCURRENCY",
    "NoTargetsError",
    "add_check_options",
    "add_fleet_options",
    "add_target_options",
    "requested",
    "run",
]

DEFAULT_CONCURRENCY = 4
_TUNING = {
    "--concurrency": "concurrency",
    "--canary": "canary",
    "--stop-on-failure": "stop_on_failure",
    "--target-timeout": "target_timeout",
    "--deadline": "deadline",
    "--per-host": "per_host",
    "--capacity-retries": "capacity_retries",
    **fleet_rollout.FLAGS,
    "--log-format": "log_format",
    "--junit-xml": "junit_xml",
}


def add_fleet_options(parser: argparse.ArgumentParser, command: str) -> None:
    """The fleet flags of ``up`` and ``migrate``."""
    group = add_target_options(parser, command)
    group.add_argument(
        "--canary",
        type=whole_number(0, "K"),
        metavar="K",
        help="run the first K targets first, one at a time; stop if one fails",
    )
    group.add_argument(
        "--stop-on-failure",
        action="store_true",
        default=False,
        help="start no new target after a failure",
    )
    add_output_options(group, whole_json=True)
    fleet_rollout.add_rollout_options(parser)


def add_check_options(parser: argparse.ArgumentParser, command: str) -> None:
    """The fleet flags of ``status``, ``resolve`` and ``drift`` (see :mod:`.fleet_checks`)."""
    group = add_target_options(parser, command)
    add_output_options(group, whole_json=False, junit=command == "resolve")


def add_target_options(parser: argparse.ArgumentParser, command: str) -> argparse._ArgumentGroup:
    """The flags that choose the targets and bound the run, shared by every fleet command."""
    group = parser.add_argument_group(f"many databases ({command} each of them; see docs/fleet.md)")
    which = group.add_mutually_exclusive_group()
    which.add_argument(
        "--all-databases",
        action="store_true",
        default=False,
        help="every database of the configured database's server (not templates or 'postgres')",
    )
    which.add_argument(
        "--dsn-file",
        metavar="FILE",
        help="targets from FILE, one a line: DSN [schema=NAME] [label=NAME]; # comments",
    )
    group.add_argument(
        "--like", metavar="PATTERN", help="with --all-databases: names matching this SQL LIKE"
    )
    group.add_argument(
        "--concurrency",
        type=whole_number(1, "N"),
        metavar="N",
        help=f"targets at once (default {DEFAULT_CONCURRENCY})",
    )
    group.add_argument(
        "--target-timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="fail a target that has not finished in SECONDS (its migration rolls back)",
    )
    group.add_argument(
        "--deadline",
        type=positive_seconds,
        metavar="SECONDS",
        help="end the run after SECONDS: running targets fail, the rest do not start",
    )
    group.add_argument(
        "--per-host",
        type=whole_number(1, "N"),
        metavar="N",
        help="at most N targets at once on one server (host:port)",
    )
    group.add_argument(
        "--capacity-retries",
        type=whole_number(0, "N"),
        metavar="N",
        help="retries of a target the server refused for want of connection slots (default 3)",
    )
    return group


class NoTargetsError(LinkgressError):
    """``--all-databases`` or ``--dsn-file`` found no database to run on (exit status 1)."""


def requested(args: argparse.Namespace) -> bool:
    """Whether the command runs over many databases; fleet-only flags alone are an error."""
    fleet = bool(getattr(args, "all_databases", False) or getattr(args, "dsn_file", None))
    if getattr(args, "like", None) is not None and not getattr(args, "all_databases", False):
        raise ConfigurationError("--like selects databases for --all-databases; add that flag")
    given = [
        flag for flag, name in _TUNING.items() if getattr(args, name, None) not in (None, False)
    ]
    if fleet_json(args) and not fleet:
        given.append("--json")
    if given and not fleet:
        raise ConfigurationError(
            f"{', '.join(given)} only apply to many databases: add --all-databases or "
            "--dsn-file FILE"
        )
    if fleet and getattr(args, "large_table_rows", None) is not None:
        raise ConfigurationError(
            "--large-table-rows sets the warnings of one database's plan, which a run over many "
            "databases does not print; use `linkgress plan --large-table-rows N` per database"
        )
    if fleet and getattr(args, "additive_only", False):
        raise ConfigurationError(
            "--additive-only is not offered over many databases yet: run `linkgress migrate "
            "--additive-only --dsn URL` per database"
        )
    if fleet and getattr(args, "online", False):
        raise ConfigurationError(
            "--online is not offered over many databases yet: run `linkgress migrate "
            "--online --dsn URL` per database"
        )
    if fleet and getattr(args, "bootstrap", False):
        raise ConfigurationError(
            "--bootstrap builds one empty database from the model: drop --all-databases/"
            "--dsn-file, or run `linkgress up --bootstrap --dsn URL` per new database"
        )
    if fleet and getattr(args, "dry_run", False):
        raise ConfigurationError(
            "--dry-run shows one database's plan: drop --all-databases/--dsn-file, or run "
            "`linkgress plan --dsn URL` for the database you want to see"
        )
    return fleet


async def _targets(
    args: argparse.Namespace, settings: Settings, server_dsn: str | None
) -> list[FleetTarget] | list[str]:
    if args.dsn_file is not None:
        path = Path(args.dsn_file)
        if not path.is_absolute():
            path = settings.cwd / path
        try:
            return await read_targets(path)
        except OSError as error:
            raise ConfigurationError(
                f"cannot read --dsn-file {args.dsn_file}: {error.strerror or error}"
            ) from error
    assert server_dsn is not None, "--all-databases runs with the configured database"
    return await databases_on_server(server_dsn, like=args.like)


def _nothing_found(args: argparse.Namespace) -> str:
    if args.dsn_file is not None:
        return f"{args.dsn_file} names no target; write one DSN a line"
    if args.like is not None:
        return (
            f"no database on the server matches --like {args.like!r} (templates and "
            "'postgres' are never targets); check the pattern"
        )
    return "the server has no database besides 'postgres' and the templates"


async def run(
    args: argparse.Namespace,
    output: Output,
    settings: Settings,
    server_dsn: str | None,
    context_class: type[DbContext],
) -> int:
    """Run ``up`` or ``migrate`` (or a check) on every target; print progress, the report,
    the status."""
    checking = args.command in fleet_checks.COMMANDS
    # Checked before the targets are read.
    rollout = {} if checking else fleet_rollout.rollout_arguments(args)
    targets = await _targets(args, settings, server_dsn)
    if not targets:
        raise NoTargetsError(_nothing_found(args))
    if checking:
        return await fleet_checks.run(args, output, settings, targets, context_class)
    operation = "up_many" if args.command == "up" else "migrate_many"
    total = await fleet_rollout.resume_count(args, operation, targets)
    journal_schema, journal_table = settings.journal(context_class)

    def context(client: PgClient) -> DbContext:
        db = context_class(client)
        # The schema manager must leave a journal named on the command line alone.
        db.register_journal(journal_schema, journal_table)
        return db

    stream = output_stream(output, args)
    progress = FleetProgress(output, stream, total, log_format=args.log_format)
    common: dict[str, Any] = {
        "concurrency": args.concurrency or DEFAULT_CONCURRENCY,
        "canary": args.canary or 0,
        "stop_on_failure": args.stop_on_failure,
        "on_result": progress,
        "target_timeout": args.target_timeout,
        "deadline": args.deadline,
        "per_host": args.per_host,
        **deadline_options(args),
        **rollout,
    }
    if args.capacity_retries is not None:
        common["capacity_retries"] = args.capacity_retries
    result: FleetResult
    try:
        result = await _run_command(
            args, settings, context, targets, common, (journal_schema, journal_table)
        )
    finally:
        progress.finish()
    await write_junit(args, settings.cwd, result, f"linkgress {args.command}")
    if fleet_json(args):
        output.json(result.as_document())
    else:
        output.line("")
        for line in result.report().splitlines():
            output.line(line)
    if result.ok:
        return EXIT_OK
    counts = result.counts()
    rerun = (
        "rerun with --resume: only the failed and not-run targets run"
        if fleet_rollout.record_of(args) is not None
        else "rerun the same command: targets already up to date are skipped"
    )
    output.error(
        f"{counts['failed']} of {total} targets failed and {counts['not-run']} did not run; "
        f"fix the failures (see the causes above) and {rerun}"
        + ("; destructive changes need --yes" if _refused_destructive(result) else "")
    )
    return EXIT_FAILED


def fleet_json(args: argparse.Namespace) -> bool:
    """Whether ``up``/``migrate`` were asked for ``--json`` (their only use of it)."""
    return args.command in ("up", "migrate") and bool(getattr(args, "json", False))


async def _run_command(
    args: argparse.Namespace,
    settings: Settings,
    context: Callable[[PgClient], DbContext],
    targets: list[FleetTarget] | list[str],
    common: dict[str, Any],
    journal: tuple[str, str],
) -> FleetResult:
    journal_schema, journal_table = journal
    if args.command == "up":
        return await MigrationRunner.up_many(
            context,
            targets,
            migrations_directory=settings.migrations,
            journal_table=journal_table,
            journal_schema=journal_schema,
            **runner_lock_options(args),
            **common,
            allow_destructive=args.yes,
        )
    return await migrate_many(
        context,
        targets,
        allow_destructive=args.yes,
        manager_options={
            "exclude": settings.exclude,
            "drop_unmanaged": settings.drop_unmanaged,
            **manager_lock_options(args),
        },
        **common,
    )


def _refused_destructive(result: FleetResult) -> bool:
    return any(
        isinstance(t.exception, DestructiveMigrationError | DestructiveFilesError)
        for t in result.failed
    )
