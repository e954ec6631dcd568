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
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import anyio
import asyncpg

from linkgress_async.cli import commands, devdb, fleet, fleet_rollout, live, squash
from linkgress_async.cli.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE, App
from linkgress_async.cli.config import (
    ConfigurationError,
    Flags,
    Settings,
    deadline_options,
    positive_seconds,
    resolve_settings,
    whole_number,
)
from linkgress_async.cli.output import Output, cli_hints
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

EPILOG = """\
configuration (highest first): flags; the environment (DATABASE_URL, or DB_HOST DB_PORT
DB_NAME DB_USER DB_PASSWORD; LINKGRESS_CONTEXT, LINKGRESS_MIGRATIONS); a .env file in the
working directory; [tool.linkgress] in ./pyproject.toml (context, migrations, journal_table,
journal_schema). With no database configured, commands use a persistent embedded development
database in .linkgress/ (outside production: LINKGRESS_ENV, APP_ENV or ENV = production),
which only your account can connect to; `linkgress dev-db url` prints its URL.

exit status:
  0  success (plan --check: the database matches the model; drift: no drift)
  1  failure, refused destructive changes, differences found by plan --check / check /
     verify / drift, files pending for status --check, a failed migration shown by status,
     or a target of up/migrate --all-databases/--dsn-file that failed or did not run
  2  usage or configuration error (bad arguments, no --context, no database in production);
     diff: the databases could not be compared (a connection failed)

pull and diff need no --context: they read live databases only.
"""

COMMAND_HELP = {
    "migrate": "make the database match the model (automatic migration)",
    "plan": "print the operations migrate would apply",
    "create": "create the model's missing objects (ensure_created)",
    "drop": "drop the model's objects (ensure_deleted)",
    "reset": "drop, then create the model's objects",
    "up": "apply pending migration files",
    "down": "revert the newest applied migration files",
    "status": "list migration files and whether they are applied",
    "resolve": "settle a non-transactional migration that failed part-way",
    "scaffold": "write a migration file from the current differences",
    "verify": "check applied migration files against their journal checksums",
    "baseline": "record existing migration files as applied without running them",
    "drift": "compare the database with a replay of its applied migration files",
    "sql": "print the DDL of the whole model (offline, no database)",
    "pull": "write a Python module declaring the database's schema (adopt a database)",
    "diff": "print the plan that turns one database into another (exit 1 when they differ)",
    "check": "replay the migration files into a scratch database and compare with the model",
    "dev": "scaffold a migration file from the model and apply it (development)",
    "squash": "replace a run of applied migration files by one equivalent file",
}

SUBCOMMAND_EPILOG = "global options, configuration and exit status: linkgress --help"


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # In subcommands the defaults are suppressed so flags given before the subcommand survive.
    default: Any = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument("--dsn", default=default, help="postgresql:// URL of the database")
    group.add_argument(
        "--context", default=default, metavar="MODULE:CLASS", help="the DbContext subclass"
    )
    group.add_argument(
        "--migrations", default=default, metavar="DIR", help="migration files (./migrations)"
    )
    group.add_argument(
        "--journal-table",
        default=default,
        metavar="NAME",
        help="the migration journal's table (default __migrations)",
    )
    group.add_argument(
        "--journal-schema",
        default=default,
        metavar="NAME",
        help="the migration journal's schema (default public)",
    )
    group.add_argument(
        "--connect-timeout",
        default=default,
        type=positive_seconds,
        metavar="SECONDS",
        help="give up connecting after SECONDS (default: the DSN's connect_timeout, else 10)",
    )
    group.add_argument(
        "--network-timeout",
        default=default,
        type=positive_seconds,
        metavar="SECONDS",
        help="how long the server may say nothing before the call checks on it (default 30)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="show tracebacks",
    )


def _lock_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("locks")
    group.add_argument(
        "--lock-timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="wait this long for another migration of the same database (default 60)",
    )
    group.add_argument(
        "--ddl-lock-timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="each statement's wait for a table lock before it is retried (default 5)",
    )
    group.add_argument(
        "--lock-retries",
        type=whole_number(0, "N"),
        metavar="N",
        help="retries of a migration whose statement waited past --ddl-lock-timeout (default 3)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``linkgress`` command."""
    parser = argparse.ArgumentParser(
        prog="linkgress",
        description="Manage a PostgreSQL schema declared in a linkgress_async DbContext.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {_version()}",
        help="print the version and exit",
    )
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str) -> argparse.ArgumentParser:
        # Its own options first, then the global ones; the long configuration text stays on
        # `linkgress --help`.
        command = sub.add_parser(
            name,
            help=COMMAND_HELP[name],
            description=COMMAND_HELP[name],
            epilog=SUBCOMMAND_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        subcommands.append(command)
        return command

    subcommands: list[argparse.ArgumentParser] = []

    migrate = add("migrate")
    migrate.add_argument("--yes", "-y", action="store_true", help="apply destructive changes")
    migrate.add_argument("--dry-run", action="store_true", help="print the SQL, change nothing")
    migrate.add_argument(
        "--additive-only",
        action="store_true",
        help="never drop: list drops (and data-losing changes) as skipped, apply the rest",
    )
    migrate.add_argument(
        "--online",
        action="store_true",
        help="apply in phases that lock tables only briefly (indexes built concurrently, "
        "constraints validated apart); resumes an interrupted online migration",
    )
    _scratch_option(migrate)
    _large_table_rows(migrate)
    _ownership_options(migrate)
    _lock_options(migrate)
    fleet.add_fleet_options(migrate, "migrate")
    plan = add("plan")
    plan.add_argument("--check", action="store_true", help="exit 1 when there are differences")
    plan.add_argument("--sql", action="store_true", help="also print the SQL statements")
    _json_option(plan)
    _scratch_option(plan)
    _large_table_rows(plan)
    _ownership_options(plan)
    add("create")
    for name in ("drop", "reset"):
        add(name).add_argument("--force", action="store_true", help="allowed in production")
    up = add("up")
    _confirm_option(up, "apply files that declare destructive changes (see `status`)")
    up.add_argument(
        "--allow-out-of-order",
        action="store_true",
        help="apply pending files older than the newest applied one (refused by default)",
    )
    up.add_argument(
        "--accept-changed",
        action="store_true",
        help="record the new checksum of applied files edited since (instead of refusing)",
    )
    up.add_argument(
        "--to", metavar="FILE", help="stop after this pending file (default: apply them all)"
    )
    up.add_argument(
        "--bootstrap",
        action="store_true",
        help="empty database only: create it from the model and record every file as applied",
    )
    _lock_options(up)
    fleet.add_fleet_options(up, "up")
    down = add("down")
    down.add_argument(
        "count",
        nargs="?",
        type=whole_number(1),
        default=1,
        metavar="N",
        help="how many applied files to revert, newest first (default 1; at most the number "
        "applied)",
    )
    _confirm_option(down, "revert files whose down() deletes data or cannot restore everything")
    down.add_argument("--force", action="store_true", help="allowed in production")
    down.add_argument(
        "--to",
        metavar="FILE",
        help="revert every file applied after FILE, which stays applied (instead of N)",
    )
    _lock_options(down)
    status = add("status")
    status.add_argument("--check", action="store_true", help="exit 1 when files are pending")
    _json_option(status)
    fleet.add_check_options(status, "status")
    resolve = add("resolve")
    resolve.add_argument("file", metavar="FILE", help="the failed migration file")
    outcome = resolve.add_mutually_exclusive_group(required=True)
    outcome.add_argument(
        "--applied",
        dest="applied",
        action="store_true",
        help="you finished its changes by hand: record it as applied",
    )
    outcome.add_argument(
        "--not-applied",
        dest="applied",
        action="store_false",
        help="you undid its changes: run it again on the next up",
    )
    fleet.add_check_options(resolve, "resolve")
    scaffold = add("scaffold")
    scaffold.add_argument("--name", help="a name for the file, e.g. add_phone")
    scaffold.add_argument("--empty", action="store_true", help="write an empty template")
    _safe_option(scaffold)
    scaffold.add_argument(
        "--online",
        action="store_true",
        help="write one non-transactional file of the phases migrate --online runs",
    )
    _ownership_options(scaffold)
    add("verify")
    baseline = add("baseline").add_mutually_exclusive_group()
    baseline.add_argument(
        "--up-to",
        metavar="FILE",
        help="the last file the database already contains (default: every file)",
    )
    baseline.add_argument(
        "--from-linkgress-journal",
        action="store_true",
        help="import the journal Linkgress (TypeScript) wrote, mapping its .ts files to the "
        "ported .py files by timestamp; its table is kept as <journal>_linkgress",
    )
    drift = add("drift")
    drift.add_argument(
        "--scratch-dsn",
        metavar="DSN",
        help="an empty database to replay into (default: a temporary one on the same server)",
    )
    _json_option(drift)
    fleet.add_check_options(drift, "drift")
    check = add("check")
    check.add_argument(
        "--scratch-dsn",
        metavar="DSN",
        help="an empty database to replay into (default: a temporary embedded server)",
    )
    _json_option(check)
    _ownership_options(check)
    dev = add("dev")
    dev.add_argument("--name", required=True, help="a name for the file, e.g. add_phone")
    _confirm_option(dev, "apply the file even if it deletes data")
    _safe_option(dev)
    _ownership_options(dev)
    squash.add_arguments(add("squash"))
    add("sql")
    devdb.add_parser(sub)
    fleet_rollout.add_parser(sub)
    pull = add("pull")
    _schema_option(pull)
    pull.add_argument("--output", "-o", metavar="FILE", help="write the module here (stdout)")
    pull.add_argument(
        "--class-name",
        default="Database",
        metavar="NAME",
        help="the DbContext subclass the module defines (default: Database)",
    )
    diff = add("diff")
    diff.add_argument(
        "--from", dest="from_dsn", required=True, metavar="DSN", help="the database as it is"
    )
    diff.add_argument(
        "--to", dest="to_dsn", required=True, metavar="DSN", help="the database to match"
    )
    diff.add_argument("--sql", action="store_true", help="print the SQL statements instead")
    _schema_option(diff)
    # Added last, so that usage and help show the command's own options first.
    for command in subcommands:
        _global_options(command, suppress=True)
    return parser


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document on stdout (for CI)"
    )


def _safe_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--safe",
        action="store_true",
        help="build indexes on existing tables concurrently and validate new constraints "
        "separately, in a second non-transactional file",
    )


def _confirm_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--yes", "-y", action="store_true", help=what)


def _command_list() -> str:
    """The usage line and every command with its one-line help."""
    listed = {
        **COMMAND_HELP,
        devdb.COMMAND: devdb.HELP,
        fleet_rollout.COMMAND: fleet_rollout.HELP,
    }
    width = max(len(name) for name in listed)
    lines = [
        "usage: linkgress [global options] COMMAND [options]",
        "",
        "commands:",
        *(f"  {name:<{width}}  {text}" for name, text in listed.items()),
        "",
        "`linkgress COMMAND --help` shows a command's options; `linkgress --help` the global "
        "options, configuration and exit status.",
    ]
    return "\n".join(lines)


def _schema_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schema",
        action="append",
        metavar="NAME",
        help="a schema to read (repeatable; default: every schema but pg_* and information_schema)",
    )


def _ownership_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exclude",
        action="append",
        metavar="PATTERN",
        help="never report, drop or compare objects matching PATTERN (schema.name or "
        "schema.table.name; repeatable; replaces [tool.linkgress] exclude)",
    )
    parser.add_argument(
        "--drop-unmanaged",
        action="append",
        nargs="?",
        const="*",
        metavar="PATTERN",
        help="drop undeclared tables, enums and sequences matching PATTERN (every one without "
        "a pattern; repeatable; still destructive)",
    )


def _patterns(values: list[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values else None


def _drop_unmanaged(values: list[str] | None) -> bool | tuple[str, ...] | None:
    if not values:
        return None
    return True if "*" in values else tuple(values)


def _scratch_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scratch",
        metavar="DSN|embedded",
        help="spell the model on this empty database (same PostgreSQL major version), or on a "
        "temporary embedded server, instead of on the database itself: for roles that can "
        "only read; everything done there is rolled back",
    )


def _large_table_rows(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--large-table-rows",
        type=whole_number(0),
        metavar="N",
        help="warn about locking DDL on tables with at least N rows (default 10000)",
    )


def _version() -> str:
    try:
        return version("linkgress_async")
    except PackageNotFoundError:
        return "unknown"


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
        output.line(_command_list())
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
