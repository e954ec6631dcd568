"""Squash: replace a run of applied migration files by one file that builds the same schema.

The run's effect is measured, not guessed: the files before the run are replayed into one
scratch database, the files through the run into another, and the squashed file's ``up`` is
the plan between the two (its ``down`` the plan back). Before anything on disk changes, the
squashed file is replayed on top of the files before the run and compared with the originals'
result; any difference refuses the squash. Only then is the file written and the originals
moved into ``_squashed/`` (kept, never deleted). The squashed file declares ``replaces``, so
every database that applied the originals records it in their place (see ``squashed.py``).

Squashing carries the schema, not data: rows a file inserted (seed data, backfills) are not
in the squashed file; add them to its ``up`` by hand.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from attrs import frozen

from linkgress_async.client import PgClient
from linkgress_async.comparison import compare
from linkgress_async.errors import SquashError
from linkgress_async.migrations.checks import file_problems, refuse_unresolved
from linkgress_async.migrations.drift import replay_files, scratch_context
from linkgress_async.migrations.files import MigrationFile, load_directory, load_file
from linkgress_async.migrations.journal import JournalEntry
from linkgress_async.migrations.squashed import (
    ORIGINALS_FOLDER,
    logical_entries,
    refuse_replaced_on_disk,
)
from linkgress_async.ops import MigrationOperation
from linkgress_async.plan.report import counted
from linkgress_async.render.python import Step, class_name_for, steps_source
from linkgress_async.scratch_database import scratch_server, temporary_database

if TYPE_CHECKING:
    from linkgress_async.migrations.runner import MigrationRunner

__all__ = ["SquashResult", "choose_run", "squash_files", "squashed_filename"]


@frozen
class SquashResult:
    """The squashed file written, the files it replaces and where they were moved."""

    filename: str
    path: Path
    replaced: tuple[str, ...]
    originals: Path
    """The folder the replaced files were moved into."""
    operations: tuple[MigrationOperation, ...]
    """What the squashed file's ``up`` does."""


def _position(files: Sequence[MigrationFile], name: str, which: str) -> int:
    for position, file in enumerate(files):
        # The stem is accepted too, as people name migrations without the extension.
        if name in (file.filename, file.path.stem):
            return position
    known = ", ".join(f.filename for f in files) or "none"
    raise SquashError(
        f"Cannot squash from the {which} file {name!r}: there is no such migration file "
        f"(files on disk: {known})"
    )


def choose_run(
    files: Sequence[MigrationFile],
    entries: Sequence[JournalEntry],
    first: str | None,
    last: str | None,
    journal: str,
    directory: Path,
) -> list[MigrationFile]:
    """The files to squash: ``first`` to ``last`` (default: every applied file), each applied
    on this database, in the journal's order, unchanged since."""
    refuse_unresolved(entries)
    applied = [entry for entry in entries if entry.applied]
    on_disk = {f.filename: f for f in files}
    for problem in file_problems(applied, on_disk, journal, directory):
        raise SquashError(f"Cannot squash: migration {problem.message}; restore it first")
    applied_names = [entry.filename for entry in applied]
    start = 0 if first is None else _position(files, first, "first")
    if last is not None:
        end = _position(files, last, "last")
    else:
        done = [i for i, f in enumerate(files) if f.filename in set(applied_names)]
        if not done:
            raise SquashError(
                f"Cannot squash: {journal} records no applied migration file; squash replaces "
                "applied files, so run up first"
            )
        end = done[-1]
    run = list(files[start : end + 1])
    if len(run) < 2:
        raise SquashError(
            f"Cannot squash {run[0].filename if run else 'nothing'}: a squash replaces a run of "
            "at least two files; choose a wider range (--from/--to, first=/last=)"
        )
    pending = [f.filename for f in run if f.filename not in applied_names]
    if pending:
        raise SquashError(
            f"Cannot squash {run[0].filename} to {run[-1].filename}: {journal} does not "
            f"record {', '.join(pending)} as applied, and a squashed file stands only for "
            "files its databases applied; run up first, or end the run before it "
            "(--to, last=)"
        )
    positions = [applied_names.index(f.filename) for f in run]
    if positions != list(range(positions[0], positions[0] + len(run))):
        raise SquashError(
            f"Cannot squash {run[0].filename} to {run[-1].filename}: {journal} shows them "
            "applied in another order, or with other files between them; squash a run the "
            "database applied one after the other"
        )
    return run


_PREFIX = re.compile(r"^[0-9][0-9_]*?(?=_[^0-9]|$)")


def squashed_filename(
    files: Sequence[MigrationFile], run: Sequence[MigrationFile], name: str | None
) -> str:
    """The squashed file's name: the last original's numeric prefix and ``name``; it must sort
    where the run was, so the files around it keep their order."""
    label = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", (name or "squashed").lower()))
    label = label.strip("_") or "squashed"
    stem = run[-1].path.stem
    match = _PREFIX.match(stem)
    filename = f"{match.group(0) if match else stem}_{label}.py"
    names = [f.filename for f in files]
    start, end = names.index(run[0].filename), names.index(run[-1].filename)
    before = names[start - 1] if start > 0 else None
    after = names[end + 1] if end + 1 < len(names) else None
    if (
        filename in names
        or (before is not None and filename <= before)
        or (after is not None and filename >= after)
    ):
        raise SquashError(
            f"Cannot name the squashed file {filename}: it must sort after "
            f"{before or 'nothing'} and before {after or 'nothing'} (where the run is) and "
            "be new; pass another name (--name, name=)"
        )
    return filename


async def squash_files(
    runner: MigrationRunner,
    context_import: str,
    *,
    first: str | None = None,
    last: str | None = None,
    name: str | None = None,
    scratch: str | None = None,
) -> SquashResult:
    """Write the squashed file and move the originals away; the journal is left as it is
    (:meth:`MigrationRunner.squash` records the squashed file on its database)."""
    directory = runner.directory
    files = await load_directory(directory)
    refuse_replaced_on_disk(files)
    async with runner.db.client.acquire() as conn:
        entries = logical_entries(files, await runner.journal.entries(conn, unresolved=True))
    run = choose_run(files, entries, first, last, runner.journal.qualified, directory)
    filename = squashed_filename(files, run, name)
    folder = directory / ORIGINALS_FOLDER
    taken = [f.filename for f in run if (folder / f.filename).exists()]
    if taken:
        raise SquashError(
            f"Cannot squash: {folder} already holds {', '.join(taken)}; move those away first"
        )
    before = files[: files.index(run[0])]
    log = runner.logger if runner.verbose else _quiet
    up_ops, _, source = await _measure(runner, context_import, before, run, filename, scratch, log)
    path = await anyio.to_thread.run_sync(_install, source, directory, filename, run, folder)
    log(f"Squashed {counted(len(run), 'file')} into {filename}; the originals are in {folder}")
    return SquashResult(filename, path, tuple(f.filename for f in run), folder, tuple(up_ops))


async def _measure(
    runner: MigrationRunner,
    context_import: str,
    before: Sequence[MigrationFile],
    run: Sequence[MigrationFile],
    filename: str,
    scratch: str | None,
    log: Callable[[str], object],
) -> tuple[list[MigrationOperation], list[MigrationOperation], str]:
    """Replay, plan the squashed file and prove it; its operations and source."""
    db = runner.db
    journal = runner.journal
    async with AsyncExitStack() as stack:
        options = await stack.enter_async_context(_server(db.client, scratch))
        start, end = [
            await stack.enter_async_context(
                temporary_database(
                    options, purpose="squash", prefix="linkgress_squash_", error=SquashError
                )
            )
            for _ in range(2)
        ]
        start_db, end_db = scratch_context(db, start), scratch_context(db, end)
        await replay_files(start_db, journal, before, log)
        await replay_files(end_db, journal, [*before, *run], log)
        up_ops = await compare(start, end)
        if not up_ops:
            raise SquashError(
                f"Cannot squash {run[0].filename} to {run[-1].filename}: together they change "
                "no schema (data only, or undo each other), and squash carries schema only; "
                "leave them as they are"
            )
        down_ops = await compare(end, start)
        source = _source(db, context_import, run, filename, up_ops, down_ops)
        squashed = await _load_draft(runner.directory, source)
        # The proof: the squashed file on top of the files before the run builds exactly what
        # the originals build.
        await replay_files(start_db, journal, [squashed], log)
        left = await compare(end, start)
        if left:
            listed = "; ".join(op.describe() for op in left)
            raise SquashError(
                f"The squashed file would not build what {run[0].filename} to "
                f"{run[-1].filename} build ({counted(len(left), 'difference')}: {listed}); "
                "nothing was changed. Squash a shorter run, or keep the files"
            )
    return up_ops, down_ops, source


@asynccontextmanager
async def _server(client: PgClient, scratch: str | None) -> AsyncIterator[dict[str, Any]]:
    """Where the scratch databases go: the live database's server, or ``scratch``."""
    if scratch is None:
        yield client.connect_options
        return
    async with scratch_server(scratch) as options:
        yield options


def _source(
    db: object,
    context_import: str,
    run: Sequence[MigrationFile],
    filename: str,
    up_ops: Sequence[MigrationOperation],
    down_ops: Sequence[MigrationOperation],
) -> str:
    stem = Path(filename).stem
    label = re.sub(r"^[0-9_]*", "", stem) or "squashed"
    class_name = class_name_for(label)
    if not class_name.isidentifier() or class_name in {"Migration", type(db).__name__}:
        class_name = "SquashedMigration"
    return steps_source(
        [Step.of(op) for op in up_ops],
        [Step.of(op) for op in down_ops],
        class_name=class_name,
        context_module=context_import,
        context_class=type(db).__name__,
        title=f"{len(run)} migrations squashed into one by linkgress_async (see replaces).",
        declared={
            "replaces": [f.filename for f in run],
            "destructive": [op.describe() for op in up_ops if op.destructive],
            "destructive_down": [op.describe() for op in down_ops if op.destructive],
        },
    )


async def _load_draft(directory: Path, source: str) -> MigrationFile:
    """Load ``source`` from a draft file the runner never reads (``_`` prefix), then remove it."""
    draft = directory / f"_squash_draft_{secrets.token_hex(4)}.py"

    def load() -> MigrationFile:
        draft.write_text(source, encoding="utf-8")
        try:
            return load_file(draft)
        finally:
            draft.unlink(missing_ok=True)

    return await anyio.to_thread.run_sync(load)


def _install(
    source: str, directory: Path, filename: str, run: Sequence[MigrationFile], folder: Path
) -> Path:
    """Write the squashed file, then move the originals (the new file exists before any
    original leaves, so a failure part-way loses nothing)."""
    path = directory / filename
    try:
        # Exclusive: a file of that name written meanwhile is never overwritten.
        with path.open("x", encoding="utf-8") as handle:
            handle.write(source)
    except FileExistsError as error:
        raise SquashError(
            f"Cannot write {path}: it appeared while squashing; nothing else was changed"
        ) from error
    folder.mkdir(exist_ok=True)
    for file in run:
        file.path.rename(folder / file.filename)
    return path


def _quiet(_message: str) -> None:
    """The logger when the runner is not verbose."""
