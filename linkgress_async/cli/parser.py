"""The ``linkgress`` argument parser: the commands, their options and help texts."""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from linkgress_async.cli import devdb, fleet, fleet_rollout, squash
from linkgress_async.cli.config import positive_seconds, whole_number

__all__ = ["COMMAND_HELP", "EPILOG", "SUBCOMMAND_EPILOG", "build_parser", "command_list"]

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


def command_list() -> str:
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
