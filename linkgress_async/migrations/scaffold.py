"""MigrationScaffold: writes migration files from the current schema differences."""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio.to_thread
from attrs import frozen

from linkgress_async.context import DbContext
from linkgress_async.errors import NoSchemaDifferencesError
from linkgress_async.manager import DbSchemaManager
from linkgress_async.ops import MigrationOperation
from linkgress_async.render.python import class_name_for, migration_source

__all__ = ["MigrationScaffold", "ScaffoldResult"]

_STAMP = "%Y%m%d_%H%M%S"


@frozen
class ScaffoldResult:
    """The file written and the operations it holds (empty for a template)."""

    filename: str
    path: Path
    operations: list[MigrationOperation]


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

    def __init__(self, db: DbContext, migrations_directory: str | Path = "./migrations") -> None:
        self.db = db
        self.directory = Path(migrations_directory)

    async def scaffold(self, context_import: str, name: str | None = None) -> ScaffoldResult:
        """Write a migration whose ``up`` applies the current diff and ``down`` reverts it."""
        plan = await DbSchemaManager(self.db).plan()
        operations = list(plan.operations)
        if not operations:
            raise NoSchemaDifferencesError(
                "No schema differences between the model and the database; "
                "nothing to scaffold (use scaffold_empty() for a hand-written migration)"
            )
        return await self._write(context_import, name, operations)

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
        return await anyio.to_thread.run_sync(
            self._write_file, context_import, clean, context_class, operations
        )

    def _write_file(
        self,
        context_import: str,
        name: str,
        context_class: str,
        operations: Sequence[MigrationOperation] | None,
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
                source = migration_source(
                    operations,
                    class_name=_class_name(
                        stamp, name or "", {"Migration", "MigrationError", context_class}
                    ),
                    context_module=context_import,
                    context_class=context_class,
                    title=title,
                )
                path = self.directory / filename
                try:
                    # Exclusive creation: a concurrent scaffold cannot overwrite this file.
                    with path.open("x", encoding="utf-8") as handle:
                        handle.write(source)
                except FileExistsError:
                    pass
                else:
                    return ScaffoldResult(filename, path, list(operations or []))
            taken.add(stamp)
            moment += timedelta(seconds=1)


def _is_stamp(text: str) -> bool:
    try:
        datetime.strptime(text, _STAMP)
    except ValueError:
        return False
    return True
