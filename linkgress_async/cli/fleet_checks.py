"""``status``, ``resolve`` and ``drift`` over many databases: ``--all-databases``/``--dsn-file``.

The targets are found as for ``up`` (:mod:`.fleet`); :mod:`linkgress_async.fleet.checks`
runs them. What prints is grouped: targets with the same pending files, the same unresolved
files or the same drift are one group with a count and examples, and failures are grouped by
cause, so a fleet of thousands reads as a few lines. Exit status 1 when a target could not
be checked, has an unresolved file, has drift, or (``status --check``) has pending files.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from linkgress_async.cli.commands import EXIT_FAILED, EXIT_OK
from linkgress_async.cli.config import ConfigurationError, Settings, deadline_options
from linkgress_async.cli.fleet_output import FleetProgress, output_stream, write_junit
from linkgress_async.cli.output import Output
from linkgress_async.client import PgClient
from linkgress_async.context import DbContext
from linkgress_async.fleet import FleetTarget, TargetCheck, drift_many, resolve_many, status_many
from linkgress_async.fleet.checks import check_document

__all__ = ["COMMANDS", "check_arguments", "run"]

COMMANDS = ("status", "resolve", "drift")


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse what a check over many databases cannot do, before anything runs."""
    if args.command == "drift" and getattr(args, "scratch_dsn", None):
        raise ConfigurationError(
            "--scratch-dsn names one empty database, and drift over many databases needs one "
            "per target: drop it (each target replays into a temporary database on its server)"
        )


def _describe(result: TargetCheck) -> str:
    text = f"{result.label} ... {result.status}"
    if result.findings:
        text += f" ({len(result.findings)}: {'; '.join(result.findings[:3])})"
    if result.unresolved:
        text += f" (unresolved: {', '.join(result.unresolved)})"
    if result.error:
        text += f": {result.error}"
    return text


async def run(
    args: argparse.Namespace,
    output: Output,
    settings: Settings,
    targets: list[FleetTarget] | list[str],
    context_class: type[DbContext],
) -> int:
    """Run ``status``, ``resolve`` or ``drift`` on every target and print the grouped result."""
    check_arguments(args)
    journal_schema, journal_table = settings.journal(context_class)

    def context(client: PgClient) -> DbContext:
        db = context_class(client)
        db.register_journal(journal_schema, journal_table)
        return db

    common: dict[str, Any] = {
        "migrations_directory": settings.migrations,
        "journal_table": journal_table,
        "journal_schema": journal_schema,
        "concurrency": args.concurrency or (2 if args.command == "drift" else 4),
        "target_timeout": args.target_timeout,
        "deadline": args.deadline,
        "per_host": args.per_host,
        **deadline_options(args),
    }
    if args.capacity_retries is not None:
        common["capacity_retries"] = args.capacity_retries
    stream = output_stream(output, args)
    total = len(targets)
    if args.command == "resolve":
        return await _resolve(args, output, settings, targets, context, common)
    progress = FleetProgress(
        output,
        stream,
        total,
        log_format=args.log_format,
        verb="checked",
        statuses=("clean", "found", "failed"),
        describe=_describe,
        document=check_document,
    )
    run_check: Callable[..., Any] = status_many if args.command == "status" else drift_many
    try:
        check = await run_check(context, targets, on_result=progress, **common)
    finally:
        progress.finish()
    if args.json:
        output.json(check.as_document())
    else:
        output.line("")
        for line in check.report().splitlines():
            output.line(line)
    counts = check.counts()
    pending = any(target.findings for target in check.targets)
    if args.command == "status":
        failing = bool(counts["failed"] or counts["not-run"] or check.unresolved) or (
            args.check and pending
        )
        if check.unresolved:
            output.error(
                f"{len(check.unresolved)} of {total} targets have a file that failed part-way or "
                "was interrupted outside a transaction; check those databases, then run "
                "`linkgress resolve FILE --applied` or --not-applied with the same targets"
            )
        elif failing:
            output.error(_failing_note(counts, total, "pending files" if pending else ""))
        return EXIT_FAILED if failing else EXIT_OK
    if not check.ok:
        output.error(_failing_note(counts, total, "drift" if counts["found"] else ""))
    return EXIT_OK if check.ok else EXIT_FAILED


def _failing_note(counts: dict[Any, int], total: int, found: str) -> str:
    parts = []
    if found:
        parts.append(f"{counts['found']} of {total} targets have {found}")
    if counts["failed"] or counts["not-run"]:
        parts.append(
            f"{counts['failed']} could not be checked and {counts['not-run']} were not reached "
            "(see the causes above)"
        )
    return "; ".join(parts)


async def _resolve(
    args: argparse.Namespace,
    output: Output,
    settings: Settings,
    targets: list[FleetTarget] | list[str],
    context: Callable[[PgClient], DbContext],
    common: dict[str, Any],
) -> int:
    filename: str = args.file
    progress = FleetProgress(
        output, output_stream(output, args), len(targets), log_format=args.log_format
    )
    try:
        result = await resolve_many(
            context,
            targets,
            filename,
            applied=args.applied,
            lock_timeout=getattr(args, "lock_timeout", None) or 60.0,
            on_result=progress,
            **common,
        )
    finally:
        progress.finish()
    await write_junit(args, settings.cwd, result, "linkgress resolve")
    output.line("")
    for line in result.report().splitlines():
        output.line(line)
    resolved = len(result.with_status("ok"))
    outcome = "recorded as applied" if args.applied else "will run again on the next `linkgress up`"
    if resolved:
        output.success(f"Resolved {filename} on {resolved} targets: {outcome}.")
    if not result.ok:
        counts = result.counts()
        output.error(
            f"{counts['failed']} of {len(targets)} targets failed and {counts['not-run']} did "
            "not run (see the causes above); rerun the same command: resolved targets are "
            "skipped"
        )
        return EXIT_FAILED
    if not resolved:
        output.error(
            f"{filename} is failed or running on none of the {len(targets)} targets, so "
            "nothing was resolved; `linkgress status` with the same targets shows the "
            "unresolved files"
        )
        return EXIT_FAILED
    return EXIT_OK
