"""Waves, the run record and ``--resume`` for ``up``/``migrate`` over many databases, and
``linkgress fleet status``, which shows the last run of a record.

``--waves 1,1%,10%`` stages the run (``--wave-max-failures``, ``--wave-max-failure-rate``
set every wave's stop rule); ``--record FILE`` (or ``--record postgresql://...``, with
``--record-table [SCHEMA.]NAME``) writes the run down as targets end; ``--resume`` runs only
what the last recorded run did not finish.
"""

from __future__ import annotations

import argparse
from typing import Any

import anyio

from linkgress_async.cli.commands import EXIT_FAILED, EXIT_OK
from linkgress_async.cli.config import ConfigurationError, whole_number
from linkgress_async.cli.output import Output
from linkgress_async.dsn import is_url
from linkgress_async.fleet import FleetTarget, RunRecordError, TableRecord, Wave, last_run
from linkgress_async.fleet.record import (
    DEFAULT_RECORD_TABLE,
    FileRecord,
    as_record,
    resume_targets,
)
from linkgress_async.fleet.targets import as_targets

__all__ = [
    "COMMAND",
    "FLAGS",
    "add_parser",
    "add_rollout_options",
    "record_of",
    "resume_count",
    "rollout_arguments",
    "run_status",
]

COMMAND = "fleet"
HELP = "runs over many databases: show the last run of a run record (fleet status)"

FLAGS = {
    "--waves": "waves",
    "--wave-max-failures": "wave_max_failures",
    "--wave-max-failure-rate": "wave_max_failure_rate",
    "--record": "record",
    "--record-table": "record_table",
    "--resume": "resume",
}
"""The flags of this module that only apply to many databases, by their argparse names."""


def _wave(text: str) -> int | str:
    item = text.strip()
    value: int | str = item if item.endswith("%") else _count(item)
    try:
        Wave(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a wave is a count (10) or a share (10%), got {text!r}"
        ) from None


def _waves(text: str) -> list[int | str]:
    """An argparse ``type``: ``1,1%,10%``."""
    return [_wave(item) for item in text.split(",") if item.strip()]


def _rate(text: str) -> float:
    """An argparse ``type``: a percentage, ``5`` or ``5%``, below 100."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = -1.0
    if not 0 <= value < 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to below 100, got {text!r}")
    return value / 100


def _record_options(parser: argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--record",
        metavar="FILE|URL",
        help="the run record: a JSON Lines file, or a postgresql:// URL of the database that "
        f"holds the record table ({DEFAULT_RECORD_TABLE}, see --record-table)",
    )
    parser.add_argument(
        "--record-table",
        metavar="[SCHEMA.]NAME",
        help=f"with --record URL: the record table (default public.{DEFAULT_RECORD_TABLE})",
    )


def add_rollout_options(parser: argparse.ArgumentParser) -> None:
    """The waves, record and resume flags of ``up`` and ``migrate``."""
    group = parser.add_argument_group(
        "staged runs and the run record (many databases; see docs/fleet.md)"
    )
    group.add_argument(
        "--waves",
        type=_waves,
        metavar="LIST",
        help="run in waves, then the rest: counts or shares, such as 1,1%%,10%%; a wave whose "
        "failures break its rule stops the run",
    )
    group.add_argument(
        "--wave-max-failures",
        type=whole_number(0, "N"),
        metavar="N",
        help="failures a wave tolerates before it stops the run (default 0)",
    )
    group.add_argument(
        "--wave-max-failure-rate",
        type=_rate,
        metavar="PERCENT",
        help="stop the run after a wave in which more than PERCENT of the targets failed",
    )
    _record_options(group)
    group.add_argument(
        "--resume",
        action="store_true",
        default=False,
        help="with --record: run only the targets the last recorded run did not finish",
    )


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``fleet status`` to the ``linkgress`` parser."""
    parser = sub.add_parser(COMMAND, help=HELP, description=HELP)
    actions = parser.add_subparsers(
        dest="fleet_action", metavar="ACTION", required=True, help="what to do"
    )
    status = actions.add_parser(
        "status",
        help="show the last run of a run record (exit 1 unless every target finished)",
        description="Show the last run recorded by `up`/`migrate --record`: its options, counts, "
        "why it stopped, and its failures grouped by cause. Exit status 0 when every target "
        "finished, 1 otherwise.",
    )
    _record_options(status)
    status.add_argument("--json", action="store_true", default=False, help="print it as JSON")


def record_of(args: argparse.Namespace) -> FileRecord | TableRecord | None:
    """The record named by ``--record`` and ``--record-table``, or ``None``."""
    where: str | None = getattr(args, "record", None)
    table: str | None = getattr(args, "record_table", None)
    if where is None:
        if table is not None:
            raise ConfigurationError("--record-table names a table for --record URL; add that")
        return None
    if table is None:
        return as_record(where)
    if not is_url(where):
        raise ConfigurationError(
            f"--record-table applies to a record in a database, and --record {where} is a "
            "file; pass --record postgresql://... or drop --record-table"
        )
    schema, dot, name = table.partition(".")
    try:
        return TableRecord(where, name, schema) if dot else TableRecord(where, table)
    except RunRecordError as error:
        raise ConfigurationError(f"--record-table {table}: {error}") from error


def rollout_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The ``waves``, ``record`` and ``resume`` keywords of the fleet functions."""
    record = record_of(args)
    if args.resume and record is None:
        raise ConfigurationError(
            "--resume continues the run recorded by --record; pass the same --record as the "
            "run to resume"
        )
    rule_given = args.wave_max_failures is not None or args.wave_max_failure_rate is not None
    if rule_given and not args.waves:
        raise ConfigurationError(
            "--wave-max-failures and --wave-max-failure-rate set the rule of --waves; add "
            "--waves LIST"
        )
    waves = None
    if args.waves:
        waves = [
            Wave(
                size,
                max_failures=args.wave_max_failures or 0,
                max_failure_rate=args.wave_max_failure_rate,
            )
            for size in args.waves
        ]
    return {"waves": waves, "record": record, "resume": args.resume}


async def resume_count(
    args: argparse.Namespace, operation: str, targets: list[FleetTarget] | list[str]
) -> int:
    """How many targets a ``--resume`` run will run (all of them without ``--resume``)."""
    record = record_of(args)
    if not args.resume or record is None:
        return len(targets)
    return len((await resume_targets(record, operation, as_targets(targets))).targets)


def run_status(args: argparse.Namespace, output: Output) -> int:
    """``linkgress fleet status``: print the last run of the record."""
    record = record_of(args)
    if record is None:
        raise ConfigurationError(
            "fleet status shows a run record: pass --record FILE (or --record postgresql://...)"
        )
    run = anyio.run(last_run, record)
    if run is None:
        raise RunRecordError(
            f"no run is recorded in {record.describe()}; record one with `linkgress up "
            "--dsn-file FILE --record ...` (or migrate)"
        )
    if args.json:
        output.json(
            {
                "run": run.run_id,
                "operation": run.operation,
                "started": run.started,
                "targets": run.targets,
                "ended": run.ended,
                "finished": run.finished,
                "duration": run.duration,
                "counts": run.counts,
                "unrecorded": run.unrecorded,
                "carried": run.carried,
                "stopped": run.stopped,
                "resumed_from": run.resumed_from,
                "options": run.options,
                "causes": [
                    {"cause": cause, "count": count, "example": example}
                    for cause, count, example in run.causes
                ],
                "failed": [
                    {"label": label, "error": error} for label, error in run.failed_examples
                ],
                "ok": run.ok,
            }
        )
    else:
        for line in run.render().splitlines():
            output.line(line)
    return EXIT_OK if run.ok else EXIT_FAILED
