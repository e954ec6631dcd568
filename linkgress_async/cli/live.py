"""The commands that read live databases without a model: ``pull`` and ``diff``."""

from __future__ import annotations

import argparse
from contextlib import AsyncExitStack
from pathlib import Path

import anyio.to_thread

from linkgress_async.cli.config import ConfigurationError
from linkgress_async.cli.output import Output
from linkgress_async.client import PgClient
from linkgress_async.comparison import compare
from linkgress_async.dsn import dsn_problem, redact_dsn
from linkgress_async.plan.report import counted, print_destructive, print_operations
from linkgress_async.pulling import pull_module
from linkgress_async.render.sql import plan_sql

__all__ = ["EXIT_DIFFERENT", "diff", "pull"]

EXIT_DIFFERENT = 1


async def pull(args: argparse.Namespace, output: Output, dsn: str) -> int:
    """``pull``: write the module declaring the database, to ``--output`` or stdout; say on
    stderr what it could not declare."""
    schemas: list[str] | None = args.schema
    async with PgClient(dsn=dsn, min_size=1, max_size=4) as client:
        pulled = await pull_module(client, schemas, args.class_name)
    target: str | None = args.output
    if target is None:
        output.write(pulled.source)
    else:
        await anyio.to_thread.run_sync(Path(target).write_text, pulled.source, "utf-8")
        output.note(f"wrote {target} ({counted(len(pulled.catalog.tables), 'table')})")
    if pulled.undeclared:
        kinds = ", ".join(f"{kind}: {n}" for kind, n in pulled.undeclared_by_kind.items())
        output.note(
            f"warning: the module does not declare {counted(len(pulled.undeclared), 'object')} "
            f"({kinds}); each is listed, with the reason, in a comment starting with "
            "'not declared'"
        )
    return 0


async def _connected(stack: AsyncExitStack, flag: str, dsn: str) -> PgClient:
    """A client of ``dsn`` with its pool open (closed with ``stack``); a DSN asyncpg cannot
    parse is a usage error naming the flag."""
    problem = dsn_problem(dsn)
    if problem is not None:
        raise ConfigurationError(
            f"{flag} {redact_dsn(dsn)} is not a valid DSN ({problem}); "
            "write postgresql://user@host:port/database"
        )
    client = PgClient(dsn=dsn, min_size=1, max_size=4)
    stack.push_async_callback(client.close)
    try:
        await client.connect()
    except ValueError as error:
        raise ConfigurationError(
            f"{flag} {redact_dsn(dsn)} is not a valid DSN ({error}); "
            "write postgresql://user@host:port/database"
        ) from error
    return client


async def diff(args: argparse.Namespace, output: Output) -> int:
    """``diff --from DSN --to DSN [--sql]``: the plan that turns one database into the
    other; exit 0 when they match, 1 when they differ."""
    schemas: list[str] | None = args.schema
    async with AsyncExitStack() as stack:
        # Both pools open first, so that a bad DSN is reported as such.
        source = await _connected(stack, "--from", args.from_dsn)
        target = await _connected(stack, "--to", args.to_dsn)
        operations = await compare(source, target, schemas)
    if not operations:
        output.line("No differences: the databases match.")
        return 0
    if args.sql:
        for statement in plan_sql(operations):
            output.line(statement + ";")
    else:
        print_operations(output.line, operations)
        print_destructive(output.line, operations)
    return EXIT_DIFFERENT
