"""The ``linkgress`` command line (also ``python -m linkgress_async``).

``main(argv)`` parses the arguments, resolves the configuration (:mod:`.config`), finds the
database (configured, or an embedded development one under ``.linkgress/``), runs one
subcommand (:mod:`.commands`) and returns the exit status: 0 ok, 1 differences or failure,
2 usage or configuration error. Errors are one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import anyio
import asyncpg

from linkgress_async.cli import commands, devdb, fleet, fleet_rollout, live, squash
from linkgress_async.cli.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, App
from linkgress_async.cli.config import (
    ConfigurationError,
    Flags,
    Settings,
    deadline_options,
    resolve_settings,
)
from linkgress_async.cli.output import Output, cli_hints
from linkgress_async.cli.parser import COMMAND_HELP as COMMAND_HELP
from linkgress_async.cli.parser import EPILOG as EPILOG
from linkgress_async.cli.parser import build_parser, command_list
from linkgress_async.cli.runtime import (
    database,
    import_context,
    importable_cwd,
)
from linkgress_async.client import PgClient
from linkgress_async.context import DbContext
from linkgress_async.dsn import dsn_problem, redact_dsn
from linkgress_async.errors import (
    DestructiveFilesError,
    DestructiveMigrationError,
    LinkgressError,
    PullError,
    ScratchDatabaseError,
    ScratchUnavailableError,
    counted,
    one_line,
)
from linkgress_async.prompt import waiting_for_input

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

# The parser and its help texts live in .parser; COMMAND_HELP and EPILOG are re-exported above
# because callers (the docs check among them) import them from here.


def _patterns(values: list[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values else None


def _drop_unmanaged(values: list[str] | None) -> bool | tuple[str, ...] | None:
    if not values:
        return None
    return True if "*" in values else tuple(values)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``linkgress`` command line and return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        # --help, --version and usage errors: argparse already printed what to say.
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    output = Output(sys.stdout, sys.stderr, os.environ)
    if args.command is None:
        # `linkgress` alone: what it can do, not an argparse error.
        output.line(command_list())
        return EXIT_OK if not list(argv if argv is not None else sys.argv[1:]) else EXIT_USAGE
    try:
        return _run(args, output)
    except KeyboardInterrupt:
        output.error("interrupted")
        if waiting_for_input():
            # A prompt thread holds stdin's lock: finalizing now would abort the interpreter.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130
    except BaseException as error:
        leaf = _leaf(error)
        if isinstance(leaf, Exception) and not _expected(leaf) and args.command == "diff":
            # A bug, shown whole; but an exit status of 1 would read as "the databases differ".
            traceback.print_exception(error, file=sys.stderr)
            return EXIT_USAGE
        if not isinstance(leaf, Exception) or not _expected(leaf):
            raise
        if args.debug:
            traceback.print_exception(error, file=sys.stderr)
        output.error(_message(leaf))
        # diff's 1 means "different", so anything that stops the comparison is a 2.
        usage = isinstance(leaf, _USAGE_ERRORS) or args.command == "diff"
        return EXIT_USAGE if usage else EXIT_FAILED


def _run(args: argparse.Namespace, output: Output) -> int:
    if args.command == "diff":
        return anyio.run(live.diff, args, output)
    cwd = Path.cwd()
    if args.command == devdb.COMMAND:
        return devdb.run(args, output, cwd)
    if args.command == fleet_rollout.COMMAND:
        # A record names its own place: no context, no database configuration.
        return fleet_rollout.run_status(args, output)
    importable_cwd(cwd)
    flags = Flags(
        dsn=args.dsn,
        context=args.context,
        migrations=args.migrations,
        journal_table=args.journal_table,
        journal_schema=args.journal_schema,
        exclude=_patterns(getattr(args, "exclude", None)),
        drop_unmanaged=_drop_unmanaged(getattr(args, "drop_unmanaged", None)),
    )
    settings = resolve_settings(flags, os.environ, cwd)
    if settings.dsn is not None and (problem := dsn_problem(settings.dsn)) is not None:
        raise ConfigurationError(
            f"the database URL from {settings.dsn_source} ({redact_dsn(settings.dsn)}) is not "
            f"usable: {problem}; write it as postgresql://user:password@host:port/database"
        )
    if args.command == "pull":
        with database(settings, output) as dsn:
            return anyio.run(live.pull, args, output, dsn)
    many = fleet.requested(args)
    context_class, context_module = import_context(settings.context, settings.context_source)
    if many and args.dsn_file is not None:
        # The targets are in the file: the configured database is not needed.
        return anyio.run(fleet.run, args, output, settings, None, context_class)
    if many:
        with database(settings, output) as server_dsn:
            return anyio.run(fleet.run, args, output, settings, server_dsn, context_class)
    if args.command == "sql":
        return commands.offline_sql(context_class(PgClient()), output)
    if args.command == "check":
        # No live database: the files are replayed into a scratch one.
        return anyio.run(commands.check, settings, output, args, context_class)
    if args.command == "scaffold" and args.empty:
        # A template needs no database; the context is still loaded to name its class.
        return anyio.run(_run_async, args, output, settings, None, context_class, context_module)
    with database(settings, output) as dsn:
        return anyio.run(_run_async, args, output, settings, dsn, context_class, context_module)


async def _run_async(
    args: argparse.Namespace,
    output: Output,
    settings: Settings,
    dsn: str | None,
    context_class: type[DbContext],
    context_module: str,
) -> int:
    db = context_class(PgClient(dsn=dsn, min_size=1, max_size=4, **deadline_options(args)))
    if settings.journal_table or settings.journal_schema:
        db.register_journal(*settings.journal(db))
    async with db:
        if dsn is not None:
            # Open the pool first, so that a connection problem is reported as one
            # (PgClient raises ConnectionFailedError, naming the cause).
            await _connect(db.client, output)
        app = App(settings, output, db, context_module, args)
        return await _COMMANDS[args.command](app)


_COMMANDS = {**commands.ASYNC_COMMANDS, "squash": squash.squash}

# Errors about how the command was run rather than about the database's state: exit 2, so
# that `plan --check` (exit 1: differences) never reports one as a difference.
_USAGE_ERRORS = (ConfigurationError, PullError, ScratchUnavailableError, ScratchDatabaseError)


async def _connect(client: PgClient, output: Output) -> None:
    """Open the pool; a note on stderr if that takes more than a second (say where, and for
    how long the command keeps trying), so a silent wait never looks like a hang."""

    async def note() -> None:
        await anyio.sleep(1.0)
        output.note(
            f"connecting to {client.target()} (giving up after "
            f"{client.deadlines.connect_timeout:g} s; --connect-timeout changes that) ..."
        )

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(note)
            try:
                await client.connect()
            finally:
                group.cancel_scope.cancel()
    except BaseExceptionGroup as failure:
        error = _leaf(failure)
        raise error from error.__cause__


def _expected(error: Exception) -> bool:
    return isinstance(
        error,
        LinkgressError | OSError | TimeoutError | asyncpg.PostgresError | asyncpg.InterfaceError,
    )


def _message(error: Exception) -> str:
    if isinstance(error, DestructiveMigrationError):
        listed = "; ".join(op.describe() for op in error.operations)
        return (
            f"{counted(len(error.operations), 'destructive operation')} not confirmed ({listed}); "
            "nothing was changed. Review the plan, then rerun with --yes to apply it"
        )
    if isinstance(error, DestructiveFilesError):
        listed = "; ".join(hazard.describe() for hazard in error.hazards)
        return (
            f"{counted(len(error.hazards), 'migration file')} not confirmed ({listed}); "
            "nothing was run. Review them, then rerun with --yes"
        )
    if isinstance(error, LinkgressError):
        return cli_hints(f"{error}{commands.flag_hint(error)}")
    return one_line(error)


def _leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
