"""The subcommands. Each takes the :class:`App` of one invocation and returns an exit status."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from attrs import frozen

from linkgress_async.catalog import Catalog
from linkgress_async.cli.config import Settings, manager_lock_options, runner_lock_options
from linkgress_async.cli.output import Output, Progress, cli_hints
from linkgress_async.cli.statement_lines import statement_lines, with_clock
from linkgress_async.context import LINKGRESS_JOURNAL_SUFFIX, DbContext
from linkgress_async.diff import diff
from linkgress_async.errors import (
    DeadlockError,
    LinkgressError,
    MigrationLockTimeoutError,
    NoSchemaDifferencesError,
    TableLockTimeoutError,
    counted,
    one_line,
)
from linkgress_async.manager import DbSchemaManager
from linkgress_async.migrations.check import check_migrations
from linkgress_async.migrations.runner import MigrationResult, MigrationRunner
from linkgress_async.migrations.scaffold import MigrationScaffold, ScaffoldResult
from linkgress_async.online.state import latest as latest_online
from linkgress_async.ops import MigrationOperation
from linkgress_async.render.sql import plan_sql

__all__ = ["ASYNC_COMMANDS", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "App", "CommandRefused"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandRefused(LinkgressError):
    """A command declined to run (production guard); the message says how to insist."""


@frozen
class App:
    """Everything one invocation works with."""

    settings: Settings
    output: Output
    db: DbContext
    context_module: str
    args: argparse.Namespace

    def manager(self) -> DbSchemaManager:
        """The schema manager, printing through the output (``--large-table-rows`` applied)."""
        large_table_rows: int | None = getattr(self.args, "large_table_rows", None)
        return self.db.get_schema_manager(
            out=self.output.line,
            large_table_rows=large_table_rows,
            exclude=self.settings.exclude,
            drop_unmanaged=self.settings.drop_unmanaged,
            scratch=getattr(self.args, "scratch", None),
            **manager_lock_options(self.args),
        )

    def runner(self, logger: Callable[[str], object] | None = None) -> MigrationRunner:
        """The migration runner for the configured directory and journal."""
        journal_schema, journal_table = self.settings.journal(self.db)
        return MigrationRunner(
            self.db,
            migrations_directory=self.settings.migrations,
            journal_table=journal_table,
            journal_schema=journal_schema,
            logger=logger or self.output.line,
            **runner_lock_options(self.args),
        )


def offline_sql(db: DbContext, output: Output) -> int:
    """``sql``: the DDL that creates the whole model, rendered without a database."""
    # The creation plan is diff(empty, model). The canonical stage (the server's spelling)
    # only matters for comparing with a live catalog, not for creating from nothing.
    operations = diff(Catalog(), db.model)
    output.line(f"-- The schema of {type(db).__name__}, rendered by linkgress.")
    for statement in plan_sql(operations):
        output.line(statement + ";")
    return EXIT_OK


def _describe_all(
    output: Output, operations: Sequence[MigrationOperation], verb: str, nothing: str
) -> int:
    if not operations:
        output.line(nothing)
        return EXIT_OK
    for op in operations:
        output.line(f"  {op.describe()}")
    output.success(f"{verb} {counted(len(operations), 'object')}.")
    return EXIT_OK


async def migrate(app: App) -> int:
    """``migrate``: make the database match the model (each statement shown on a terminal)."""
    manager = app.manager()
    lines = statement_lines(app.output)
    manager.statement_progress = lines
    await with_clock(
        lines,
        lambda: manager.migrate(
            allow_destructive=app.args.yes,
            dry_run=app.args.dry_run,
            additive_only=getattr(app.args, "additive_only", False),
            online=getattr(app.args, "online", False),
        ),
    )
    if app.args.dry_run:
        app.output.note("dry run: nothing was changed")
    return EXIT_OK


async def plan(app: App) -> int:
    """``plan``: print the operations; with ``--check`` exit 1 when there are any."""
    manager = app.manager()
    planned = await manager.plan()
    operations = planned.operations
    if app.args.json:
        app.output.json(
            {
                "up_to_date": not operations,
                "operations": operations_json(operations),
                "sql": manager.to_sql(operations),
                "hazards": [hazard.describe() for hazard in planned.hazards],
                "unmanaged": [item.describe() for item in planned.unmanaged],
            }
        )
        return EXIT_FAILED if app.args.check and operations else EXIT_OK
    # Given the Plan itself, print_plan adds its hazards (the Warnings block).
    manager.print_plan(planned)
    if app.args.sql and operations:
        app.output.line("")
        for statement in manager.to_sql(operations):
            app.output.line(statement + ";")
    return EXIT_FAILED if app.args.check and operations else EXIT_OK


def operations_json(operations: Sequence[MigrationOperation]) -> list[dict[str, object]]:
    """The operations as JSON objects: number, type, description, destructive."""
    return [
        {
            "number": number,
            "type": op.type,
            "description": op.describe(),
            "destructive": op.destructive,
        }
        for number, op in enumerate(operations, start=1)
    ]


async def create(app: App) -> int:
    """``create``: create what is missing of the model (ensure_created)."""
    created = await app.manager().ensure_created()
    nothing = "Nothing to create: every object of the model exists."
    return _describe_all(app.output, created, "Created", nothing)


def _guard(app: App, command: str) -> None:
    if app.settings.production and not app.args.force:
        raise CommandRefused(
            f"refusing to {command} in production (LINKGRESS_ENV, APP_ENV or ENV says so): it "
            f"deletes the model's tables and their data; rerun with --force if you mean it"
        )


async def drop(app: App) -> int:
    """``drop``: drop the model's objects (ensure_deleted)."""
    _guard(app, "drop the database objects")
    dropped = await app.manager().ensure_deleted()
    nothing = "Nothing to drop: no object of the model exists."
    return _describe_all(app.output, dropped, "Dropped", nothing)


async def reset(app: App) -> int:
    """``reset``: drop, then create."""
    _guard(app, "reset the database")
    await drop(app)
    return await create(app)


def flag_hint(error: BaseException) -> str:
    """The command-line flags for the keyword arguments an error's advice names, or ``""``."""
    if isinstance(error, TableLockTimeoutError | DeadlockError):
        return " (on the command line: --ddl-lock-timeout SECONDS, --lock-retries N)"
    if isinstance(error, MigrationLockTimeoutError):
        return " (on the command line: --lock-timeout SECONDS)"
    return ""


def _finish(app: App, result: MigrationResult, verb: str, done: str) -> int:
    if result.failed is None:
        return EXIT_OK
    before = len(result.applied)
    if before:
        stays = "stays" if before == 1 else "stay"
        earlier = f"the {counted(before, 'migration')} before it in this run {stays} {done}"
    else:
        earlier = f"nothing else was {done}"
    app.output.error(
        f"migration {result.failed.filename} failed to {verb} "
        f"({cli_hints(one_line(result.failed.error))}{flag_hint(result.failed.error)}); {earlier}"
    )
    return EXIT_FAILED


async def up(app: App) -> int:
    """``up``: apply pending migration files, with progress."""
    if getattr(app.args, "bootstrap", False):
        result = await app.runner(app.output.line).up(bootstrap=True)
        return _finish(app, result, "apply", "applied")
    target: str | None = app.args.to
    pending = await app.runner(logger=_quiet).get_pending()
    if target in pending:
        pending = pending[: pending.index(target) + 1]
    progress = Progress(app.output, pending)
    result = await app.runner(progress.log).up(
        to=target, allow_destructive=app.args.yes, allow_out_of_order=app.args.allow_out_of_order
    )
    return _finish(app, result, "apply", "applied")


async def down(app: App) -> int:
    """``down [N]``: revert the newest N applied migrations (default 1)."""
    if app.settings.production and not app.args.force:
        raise CommandRefused(
            "refusing to revert migrations in production (LINKGRESS_ENV, APP_ENV or ENV says "
            "so): a down() may drop tables and columns with their data; rerun with --force if "
            "you mean it"
        )
    count: int = app.args.count
    target: str | None = app.args.to
    newest_first = list(reversed(await app.runner(logger=_quiet).get_applied()))
    if target in newest_first:
        count = newest_first.index(target)
    progress = Progress(app.output, newest_first[:count])
    result = await app.runner(progress.log).down(count, to=target, allow_destructive=app.args.yes)
    return _finish(app, result, "revert", "reverted")


async def status(app: App) -> int:
    """``status``: every migration file, whether and when it was applied; ``--check`` exits
    1 when files are pending."""
    directory = app.settings.migrations
    if not directory.is_dir():
        app.output.note(
            f"warning: the migrations folder {_shown(directory, app.settings.cwd)} does not "
            "exist; pass --migrations DIR or set migrations in [tool.linkgress] if your files "
            "are elsewhere"
        )
    rows = await app.runner(logger=_quiet).status()
    async with app.db.client.acquire() as conn:
        online = await latest_online(conn, app.db.journal_schema)
    applied = sum(row.applied for row in rows)
    unresolved = sum(row.error is not None for row in rows)
    pending = len(rows) - applied - unresolved
    failing = bool(unresolved) or (app.args.check and pending > 0)
    if app.args.json:
        app.output.json(
            {
                "directory": str(directory),
                "applied": applied,
                "pending": pending,
                "failed": unresolved,
                "migrations": [
                    {
                        "filename": row.filename,
                        "applied": row.applied,
                        "applied_at": row.applied_at.isoformat() if row.applied_at else None,
                        "error": row.error,
                    }
                    for row in rows
                ],
                "online": online.as_json() if online is not None else None,
            }
        )
        return EXIT_FAILED if failing else EXIT_OK
    if online is not None:
        app.output.line(online.describe())
    if not rows:
        app.output.line(f"No migrations in {_shown(directory, app.settings.cwd)}.")
        return EXIT_OK
    width = max(len("Migration"), *(len(row.filename) for row in rows))
    app.output.line(f"{'Migration':<{width}}  Applied  Applied at")
    for row in rows:
        when = row.applied_at.isoformat(sep=" ", timespec="seconds") if row.applied_at else "-"
        if row.applied:
            mark = "yes    "
        elif row.error is not None:
            mark = app.output.styled("FAILED ", "red")
        else:
            mark = app.output.styled("no     ", "yellow")
        app.output.line(f"{row.filename:<{width}}  {mark}  {when}")
        if row.error is not None:
            app.output.line(f"{'':<{width}}  -> {row.error}")
    summary = f"{counted(len(rows), 'migration')}: {applied} applied, {pending} pending"
    if unresolved:
        summary += f", {unresolved} failed (see `linkgress resolve`)"
    app.output.line(summary + ".")
    if app.args.check and pending:
        app.output.error(
            f"{counted(pending, 'migration file')} pending; apply them with `linkgress up`"
        )
    return EXIT_FAILED if failing else EXIT_OK


async def resolve(app: App) -> int:
    """``resolve FILE --applied|--not-applied``: settle a failed non-transactional migration."""
    filename: str = app.args.file
    applied: bool = app.args.applied
    await app.runner(logger=_quiet).resolve(filename, applied=applied)
    outcome = "recorded as applied" if applied else "will run again on the next `linkgress up`"
    app.output.success(f"Resolved {filename}: {outcome}.")
    return EXIT_OK


def _scaffolder(app: App) -> MigrationScaffold:
    return MigrationScaffold(
        app.db,
        migrations_directory=app.settings.migrations,
        manager_options={
            "exclude": app.settings.exclude,
            "drop_unmanaged": app.settings.drop_unmanaged,
        },
    )


async def scaffold(app: App) -> int:
    """``scaffold``: write a migration file from the current differences (or an empty one)."""
    scaffolder = _scaffolder(app)
    if app.args.empty:
        result = await scaffolder.scaffold_empty(app.context_module, name=app.args.name)
    else:
        result = await scaffolder.scaffold(
            app.context_module,
            name=app.args.name,
            safe=app.args.safe,
            online=getattr(app.args, "online", False),
        )
    _wrote(app, result)
    return EXIT_OK


def _wrote(app: App, result: ScaffoldResult) -> None:
    count = len(result.operations)
    detail = counted(count, "operation") if count else "empty template"
    app.output.success(f"Wrote {_shown(result.path, app.settings.cwd)} ({detail}).")
    if result.followup is not None:
        path = _shown(result.followup.path, app.settings.cwd)
        app.output.success(f"Wrote {path} (runs outside a transaction, after it).")


async def dev(app: App) -> int:
    """``dev --name NAME``: apply pending files, scaffold the model's changes, apply them."""
    if app.settings.production:
        raise CommandRefused(
            "refusing to run `linkgress dev` in production (LINKGRESS_ENV, APP_ENV or ENV "
            "says so): it writes and applies a migration unreviewed; use scaffold, review "
            "the file, then up"
        )
    if await _apply_pending(app) != EXIT_OK:
        return EXIT_FAILED
    try:
        result = await _scaffolder(app).scaffold(
            app.context_module, name=app.args.name, safe=app.args.safe
        )
    except NoSchemaDifferencesError:
        app.output.line("The database matches the model: no migration file written.")
        return EXIT_OK
    _wrote(app, result)
    return await _apply_pending(app)


async def _apply_pending(app: App) -> int:
    pending = await app.runner(logger=_quiet).get_pending()
    if not pending:
        return EXIT_OK
    progress = Progress(app.output, pending)
    result = await app.runner(progress.log).up(allow_destructive=app.args.yes)
    return _finish(app, result, "apply", "applied")


async def verify(app: App) -> int:
    """``verify``: compare applied files' checksums with the files on disk."""
    runner = app.runner(logger=_quiet)
    problems = await runner.verify()
    if problems:
        for problem in problems:
            app.output.line(f"{problem.kind.upper():<8} {problem.message}")
        app.output.error(
            f"{counted(len(problems), 'applied migration file')} changed or missing; restore "
            "them from "
            "version control (or fix the journal if they were removed on purpose)"
        )
        return EXIT_FAILED
    applied = len(await runner.get_applied())
    matches = "matches its file" if applied == 1 else "match their files"
    app.output.success(f"Verified: {counted(applied, 'applied migration')} {matches}.")
    return EXIT_OK


async def baseline(app: App) -> int:
    """``baseline [--up-to FILE | --from-linkgress-journal]``: record existing files as applied
    without running them, or import the journal Linkgress (TypeScript) wrote."""
    runner = app.runner(logger=_quiet)
    if app.args.from_linkgress_journal:
        imported = await runner.import_linkgress_journal()
        for name in imported:
            app.output.line(f"  recorded {name} (applied by Linkgress)")
        app.output.success(
            f"Imported {counted(len(imported), 'migration')} from the Linkgress journal into "
            f"{runner.journal.qualified} (its rows are kept in "
            f"{runner.journal.table}{LINKGRESS_JOURNAL_SUFFIX}); `linkgress up` applies only "
            "the files after them."
        )
        return EXIT_OK
    up_to: str | None = app.args.up_to
    names = await runner.baseline(up_to=up_to)
    journal = runner.journal.qualified
    scope = f"up to {up_to}" if up_to else "on disk"
    if not names:
        app.output.line(f"Nothing to baseline: every migration file {scope} is in {journal}.")
        return EXIT_OK
    for name in names:
        app.output.line(f"  recorded {name} (not run)")
    app.output.success(
        f"Baselined {counted(len(names), 'migration')} in {journal}; "
        "`linkgress up` applies only the files after them."
    )
    return EXIT_OK


async def drift(app: App) -> int:
    """``drift [--scratch-dsn DSN]``: exit 1 when the database differs from its migrations."""
    scratch_dsn: str | None = app.args.scratch_dsn
    report = await app.runner(logger=_quiet).drift(scratch_dsn=scratch_dsn)
    if app.args.json:
        app.output.json(
            {
                "drift": report.has_drift,
                "replayed": list(report.replayed),
                "schemas": list(report.schemas),
                "operations": operations_json(report.operations),
                "sql": report.sql(),
            }
        )
    else:
        for line in report.render().splitlines():
            app.output.line(line)
    return EXIT_FAILED if report.has_drift else EXIT_OK


async def check(
    settings: Settings, output: Output, args: argparse.Namespace, context: type[DbContext]
) -> int:
    """``check``: do the migration files produce the model? (no live database needed)"""
    journal_schema, journal_table = settings.journal(context)
    report = await check_migrations(
        context,
        settings.migrations,
        scratch_dsn=args.scratch_dsn,
        journal_table=journal_table,
        journal_schema=journal_schema,
        manager_options={"exclude": settings.exclude, "drop_unmanaged": settings.drop_unmanaged},
    )
    if args.json:
        output.json(
            {
                "matches": report.matches,
                "replayed": list(report.replayed),
                "operations": operations_json(report.operations),
                "sql": report.sql(),
            }
        )
        return EXIT_OK if report.matches else EXIT_FAILED
    for line in report.describe().splitlines():
        output.line(line)
    if not report.matches:
        differences = counted(len(report.operations), "difference")
        output.error(
            f"the migration files do not produce the model ({differences}); write the missing "
            "file with `linkgress scaffold --name NAME`"
        )
        return EXIT_FAILED
    return EXIT_OK


def _shown(path: Path, cwd: Path) -> Path:
    """``path`` relative to the working directory when it is below it."""
    try:
        return path.relative_to(cwd)
    except ValueError:
        return path


def _quiet(_message: str) -> None:
    """A logger for runner calls that only read."""


ASYNC_COMMANDS: dict[str, Callable[[App], Awaitable[int]]] = {
    "migrate": migrate,
    "plan": plan,
    "create": create,
    "drop": drop,
    "reset": reset,
    "up": up,
    "down": down,
    "status": status,
    "resolve": resolve,
    "scaffold": scaffold,
    "verify": verify,
    "baseline": baseline,
    "drift": drift,
    "dev": dev,
}
