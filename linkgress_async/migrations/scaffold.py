"""MigrationScaffold: writes migration files from the current schema differences."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
import attrs
from attrs import frozen

from linkgress_async.catalog import QualifiedName
from linkgress_async.context import DbContext
from linkgress_async.errors import NoSchemaDifferencesError
from linkgress_async.manager import DbSchemaManager
from linkgress_async.migrations.partitioned_index import partitioned_index_steps
from linkgress_async.ops import (
    CreateCheckConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    DropIndex,
    MigrationOperation,
)
from linkgress_async.plan.hazard_facts import PartitionNode, partition_trees
from linkgress_async.render.python import Step, class_name_for, migration_source, steps_source
from linkgress_async.render.sql import validate_constraint_sql

__all__ = ["MigrationScaffold", "SafeSplit", "ScaffoldResult", "split_safe"]

# Makes a file's source from its class name and title.
_Source = Callable[[str, str], str]

_STAMP = "%Y%m%d_%H%M%S"


@frozen
class ScaffoldResult:
    """The file written and the operations it holds (empty for a template)."""

    filename: str
    path: Path
    operations: list[MigrationOperation]
    followup: ScaffoldResult | None = None
    """With ``safe=True``: the non-transactional file that runs after this one (indexes built
    concurrently, constraints validated), or ``None`` when nothing needed one."""

    @property
    def paths(self) -> list[Path]:
        """Every file written, in the order they run."""
        return [self.path] + (self.followup.paths if self.followup is not None else [])


@frozen
class SafeSplit:
    """A plan rearranged so that no statement holds a long lock on an existing table.

    ``main`` runs in one transaction as usual, with foreign keys and checks on existing
    tables added ``NOT VALID``; ``indexes`` are then built concurrently and ``validate``
    (table, constraint) pairs validated, each in its own transaction.
    """

    main: list[MigrationOperation]
    indexes: list[CreateIndex]
    validate: list[tuple[QualifiedName, str]]


def split_safe(operations: Sequence[MigrationOperation]) -> SafeSplit:
    """Move index builds on existing tables out of the transaction, add constraints NOT VALID.

    Tables the plan creates are empty, so their indexes and keys stay as they are. A unique
    index that a new foreign key of the plan relies on stays too, since the key needs it.
    """
    new_tables = {
        QualifiedName(op.schema_name, op.table_name)
        for op in operations
        if isinstance(op, CreateTable)
    }
    referenced = {
        (fk.constraint.referenced_table, frozenset(fk.constraint.referenced_columns))
        for fk in operations
        if isinstance(fk, CreateForeignKey)
    }
    main: list[MigrationOperation] = []
    indexes: list[CreateIndex] = []
    validate: list[tuple[QualifiedName, str]] = []
    for op in operations:
        if not isinstance(op, CreateIndex | CreateForeignKey | CreateCheckConstraint):
            main.append(op)
            continue
        table = QualifiedName(op.schema_name, op.table_name)
        if table in new_tables:
            main.append(op)
        elif isinstance(op, CreateIndex):
            columns = frozenset(e.column for e in op.columns if e.column is not None)
            needed = op.unique and op.where is None and (table, columns) in referenced
            if needed or op.concurrently:
                main.append(op)
            else:
                indexes.append(attrs.evolve(op, concurrently=True))
        else:
            main.append(attrs.evolve(op, not_valid=True))
            validate.append((table, op.constraint.name))
    return SafeSplit(main, indexes, validate)


def _sanitize(name: str | None) -> str:
    if name is None:
        return ""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", name.lower())).strip("_")


def _class_name(stamp: str, name: str, reserved: set[str]) -> str:
    candidate = class_name_for(name)
    if candidate.isidentifier() and not keyword.iskeyword(candidate) and candidate not in reserved:
        return candidate
    return f"Migration{stamp.replace('_', '')}{candidate}"


class MigrationScaffold:
    """Writes migration files into ``migrations_directory`` for the context ``db``."""

    def __init__(
        self,
        db: DbContext,
        migrations_directory: str | Path = "./migrations",
        *,
        manager_options: Mapping[str, Any] | None = None,
    ) -> None:
        """``manager_options`` go to the schema manager that computes the diff (for example
        ``drop_unmanaged=["public.tmp_*"]`` to write drops of undeclared tables)."""
        self.db = db
        self.directory = Path(migrations_directory)
        self.manager_options = dict(manager_options or {})

    async def scaffold(
        self,
        context_import: str,
        name: str | None = None,
        *,
        safe: bool = False,
        interactive: bool | None = None,
        online: bool = False,
    ) -> ScaffoldResult:
        """Write a migration whose ``up`` applies the current diff and ``down`` reverts it.

        ``safe=True`` writes the form that does not lock large tables for long: indexes on
        existing tables move to a second, non-transactional file that builds them
        ``CONCURRENTLY``, and foreign keys and checks on existing tables are added
        ``NOT VALID`` and validated in that second file (see ``ScaffoldResult.followup``).

        ``online=True`` writes one non-transactional file that runs the phases of
        ``migrate(online=True)`` (see ``docs/online-migrations.md``).

        Like ``migrate()``, it asks whether a dropped and an added object of the same shape
        are a rename, when ``interactive`` (``None``: when stdin is a terminal); declare
        ``renamed_from`` on the model to say so without a prompt.
        """
        manager = DbSchemaManager(self.db, **self.manager_options)
        plan = await manager.ask_renames(await manager.plan(), interactive)
        operations = list(plan.operations)
        if not operations:
            raise NoSchemaDifferencesError(
                "No schema differences between the model and the database; "
                "nothing to scaffold (use scaffold_empty() for a hand-written migration)"
            )
        if online:
            return await self._write_online(context_import, name, manager, operations)
        if not safe:
            return await self._write(context_import, name, operations)
        split = split_safe(operations)
        first = await self._write(context_import, name, split.main)
        if not split.indexes and not split.validate:
            return first
        tables = list(
            dict.fromkeys(QualifiedName(i.schema_name, i.table_name) for i in split.indexes)
        )
        async with self.db.client.acquire() as conn:
            partitions = await partition_trees(conn, tables)
        followup = await self._write_followup(context_import, name, split, partitions)
        return attrs.evolve(first, followup=followup)

    async def _write_followup(
        self,
        context_import: str,
        name: str | None,
        split: SafeSplit,
        partitions: Mapping[QualifiedName, Sequence[PartitionNode]],
    ) -> ScaffoldResult:
        context_class = type(self.db).__name__
        up: list[Step] = []
        down: list[Step] = []
        for index in split.indexes:
            tree = partitions.get(QualifiedName(index.schema_name, index.table_name))
            if tree is not None:
                up.extend(partitioned_index_steps(index, tree))
                # Dropping the partitioned table's index drops its partitions' with it.
                down.insert(0, Step.of(attrs.evolve(index, concurrently=False).reverse()))
                continue
            # A concurrent build that failed leaves an invalid index behind: drop it first.
            leftover = DropIndex(index.table_name, index.index_name, index.schema_name, None, True)
            up.append(
                Step(
                    f"{index.describe()}, concurrently (writes go on meanwhile)",
                    (*Step.of(leftover).statements, *Step.of(index).statements),
                )
            )
            down.insert(0, Step.of(index.reverse()))
        for table, constraint in split.validate:
            up.append(
                Step(
                    f"Validate constraint '{constraint}' on '{table}' (reads and writes go on)",
                    (validate_constraint_sql(table.schema, table.name, constraint),),
                )
            )
        note = None
        if split.validate:
            note = (
                "Validated constraints need no undo here; the previous migration's down() "
                "drops them."
            )
        clean = "_".join(filter(None, [_sanitize(name), "concurrently"]))

        def source(class_name: str, title: str) -> str:
            return steps_source(
                up,
                down,
                class_name=class_name,
                context_module=context_import,
                context_class=context_class,
                title=title,
                transactional=False,
                down_note=note,
            )

        operations: list[MigrationOperation] = list(split.indexes)
        return await anyio.to_thread.run_sync(
            self._write_file, clean, context_class, source, operations
        )

    async def _write_online(
        self,
        context_import: str,
        name: str | None,
        manager: DbSchemaManager,
        operations: list[MigrationOperation],
    ) -> ScaffoldResult:
        from linkgress_async.online.files import online_migration_source
        from linkgress_async.online.rewrite import without_reused_helpers
        from linkgress_async.online.run import online_plan

        operations = without_reused_helpers(operations)
        async with self.db.client.acquire() as conn:
            phases = await online_plan(conn, operations)
        context_class = type(self.db).__name__
        timeout = manager.lock_policy.setting
        clean = "_".join(filter(None, [_sanitize(name), "online"]))

        def source(class_name: str, title: str) -> str:
            return online_migration_source(
                phases,
                operations,
                class_name=class_name,
                context_module=context_import,
                context_class=context_class,
                title=title,
                lock_timeout=f"{timeout}ms" if timeout != "0" else "0",
            )

        return await anyio.to_thread.run_sync(
            self._write_file, clean, context_class, source, operations
        )

    async def scaffold_empty(self, context_import: str, name: str | None = None) -> ScaffoldResult:
        """Write a migration template with empty ``up`` and ``down``."""
        return await self._write(context_import, name, None)

    async def _write(
        self,
        context_import: str,
        name: str | None,
        operations: Sequence[MigrationOperation] | None,
    ) -> ScaffoldResult:
        clean = _sanitize(name)
        context_class = type(self.db).__name__

        def source(class_name: str, title: str) -> str:
            return migration_source(
                operations,
                class_name=class_name,
                context_module=context_import,
                context_class=context_class,
                title=title,
            )

        return await anyio.to_thread.run_sync(
            self._write_file, clean, context_class, source, list(operations or [])
        )

    def _write_file(
        self,
        name: str,
        context_class: str,
        source_of: _Source,
        operations: list[MigrationOperation],
    ) -> ScaffoldResult:
        self.directory.mkdir(parents=True, exist_ok=True)
        moment = datetime.now(UTC).replace(microsecond=0)
        # Never earlier than an existing stamp, so filename order stays creation order even
        # for several files within one second or a clock that went back.
        taken = {path.name[:15] for path in self.directory.glob("*.py")}
        latest = max((stamp for stamp in taken if _is_stamp(stamp)), default=None)
        if latest is not None:
            moment = max(moment, datetime.strptime(latest, _STAMP).replace(tzinfo=UTC))
        while True:
            stamp = moment.strftime(_STAMP)
            if stamp not in taken:
                filename = f"{stamp}_{name}.py" if name else f"{stamp}.py"
                title = f"Migration {name or stamp}, scaffolded by linkgress_async."
                source = source_of(
                    _class_name(stamp, name or "", {"Migration", "MigrationError", context_class}),
                    title,
                )
                path = self.directory / filename
                try:
                    # Exclusive creation: a concurrent scaffold cannot overwrite this file.
                    with path.open("x", encoding="utf-8") as handle:
                        handle.write(source)
                except FileExistsError:
                    pass
                else:
                    return ScaffoldResult(filename, path, operations)
            taken.add(stamp)
            moment += timedelta(seconds=1)


def _is_stamp(text: str) -> bool:
    try:
        datetime.strptime(text, _STAMP)
    except ValueError:
        return False
    return True
