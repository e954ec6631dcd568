"""``linkgress squash``: one file in place of a run of applied migration files."""

from __future__ import annotations

import argparse
from pathlib import Path

from linkgress_async.cli.commands import EXIT_OK, App
from linkgress_async.plan.report import counted

__all__ = ["add_arguments", "squash"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``squash``."""
    parser.add_argument(
        "--from",
        dest="first",
        metavar="FILE",
        help="the first file of the run (default: the first file)",
    )
    parser.add_argument(
        "--to",
        dest="last",
        metavar="FILE",
        help="the last file of the run (default: the newest applied file)",
    )
    parser.add_argument(
        "--name", help="a name for the squashed file (default: squashed), e.g. initial_schema"
    )
    parser.add_argument(
        "--scratch",
        metavar="DSN|embedded",
        help="create the scratch databases that prove the squash on this server, or on a "
        "temporary embedded one (default: the database's own server; needs CREATEDB)",
    )


def _quiet(_message: str) -> None:
    """The runner's own lines are replaced by the summary below."""


async def squash(app: App) -> int:
    """``squash [--from FILE] [--to FILE] [--name NAME]``: replace an applied run by one file."""
    runner = app.runner(logger=_quiet)
    result = await runner.squash(
        app.context_module,
        first=app.args.first,
        last=app.args.last,
        name=app.args.name,
        scratch=app.args.scratch,
    )
    cwd = app.settings.cwd
    kept = _shown(result.originals, cwd)
    for name in result.replaced:
        app.output.line(f"  replaced {name} (moved to {kept}/)")
    app.output.success(
        f"Wrote {_shown(result.path, cwd)} in place of {counted(len(result.replaced), 'file')} "
        f"({counted(len(result.operations), 'operation')}; replayed and compared: it builds "
        "the same schema)."
    )
    app.output.line(
        f"{runner.journal.qualified} records it in their place; every other database that "
        "applied them does so at its next `linkgress up`. Commit the new file and the moved "
        "ones together."
    )
    return EXIT_OK


def _shown(path: Path, cwd: Path) -> Path:
    try:
        return path.relative_to(cwd)
    except ValueError:
        return path
