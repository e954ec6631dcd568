"""Finding, checksumming and loading migration files.

Files are loaded through :mod:`importlib` specs from their path; ``sys.path`` is never touched,
so a migrations directory needs no ``__init__.py`` and cannot shadow other modules.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import anyio.to_thread
from attrs import frozen

from linkgress_async.errors import MigrationFileError, one_line
from linkgress_async.migrations.base import Migration

__all__ = [
    "MigrationFile",
    "MigrationLoader",
    "checksum",
    "discover",
    "load_directory",
    "load_file",
]


@frozen
class MigrationFile:
    """A loaded migration file: its name, path, checksum and migration class."""

    filename: str
    path: Path
    checksum: str
    migration_class: type[Migration]


def checksum(data: bytes) -> str:
    """The hex SHA-256 of a file's bytes, as recorded in the journal."""
    return hashlib.sha256(data).hexdigest()


def discover(directory: Path) -> list[Path]:
    """The migration files of ``directory`` in application (lexicographic) order."""
    if not directory.is_dir():
        return []
    files = [
        path for path in directory.glob("*.py") if path.is_file() and not path.name.startswith("_")
    ]
    return sorted(files, key=lambda path: path.name)


def _one_line(text: str) -> str:
    """``text`` with its whitespace runs (newlines included) collapsed, for one-line errors."""
    return " ".join(text.split())


def _module_name(path: Path) -> str:
    # Unique per absolute path so two directories with equal filenames never collide, and
    # clearly not an importable package name.
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    return f"_linkgress_migration_{digest}_{path.stem}"


def _execute(path: Path, data: bytes) -> ModuleType:
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise MigrationFileError(f"Migration file {path.name}: cannot create an import spec")
    module = importlib.util.module_from_spec(spec)
    # Compile the very bytes that were checksummed, so the journal's checksum describes the
    # code that actually ran even if the file changes while it is being read.
    try:
        # dont_inherit: the file gets only its own __future__ imports, not this module's.
        code = compile(data, str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        where = f" (line {error.lineno})" if error.lineno else ""
        raise MigrationFileError(
            f"Migration file {path.name} has a syntax error{where}: {_one_line(error.msg)}"
        ) from error
    except ValueError as error:
        # Some Python releases refuse NUL bytes (a binary or corrupted file) this way.
        raise MigrationFileError(
            f"Migration file {path.name} is not Python source: {_one_line(str(error))}"
        ) from error
    # Registered while executing because dataclasses and typing look classes up by module.
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as error:  # sys.exit() in a file must not end the run
        sys.modules.pop(name, None)
        raise MigrationFileError(
            f"Migration file {path.name} failed to import: {one_line(error)}"
        ) from error
    return module


def _migration_class(path: Path, module: ModuleType) -> type[Migration]:
    # Only classes defined in this file count: an imported base or helper class is not the
    # file's migration.
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Migration)
        and value is not Migration
        and value.__module__ == module.__name__
    ]
    if not found:
        raise MigrationFileError(
            f"Migration file {path.name} defines no subclass of Migration; "
            "define exactly one class with async up() and down()"
        )
    if len(found) > 1:
        names = ", ".join(sorted(cls.__name__ for cls in found))
        raise MigrationFileError(
            f"Migration file {path.name} defines {len(found)} migrations ({names}); "
            "keep exactly one per file"
        )
    cls = found[0]
    missing = [name for name in ("up", "down") if getattr(cls, name) is getattr(Migration, name)]
    if missing:
        raise MigrationFileError(
            f"Migration file {path.name}: class {cls.__name__} does not define "
            f"{' and '.join(f'{name}()' for name in missing)}"
        )
    return cls


def load_file(path: Path) -> MigrationFile:
    """Read, checksum and import one migration file (blocking I/O)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise MigrationFileError(f"Migration file {path.name} cannot be read: {error}") from error
    module = _execute(path, data)
    return MigrationFile(path.name, path, checksum(data), _migration_class(path, module))


def _load_all(directory: Path) -> list[MigrationFile]:
    return [load_file(path) for path in discover(directory)]


async def load_directory(directory: Path) -> list[MigrationFile]:
    """Every migration file of ``directory``, loaded in a worker thread, in order."""
    return await anyio.to_thread.run_sync(_load_all, directory)


@frozen
class MigrationLoader:
    """The migration files of one directory, found and loaded on request (what
    ``MigrationRunner.get_loader()`` returns)."""

    directory: Path

    def get_migration_files(self) -> list[str]:
        """The filenames of the directory's migrations, in application order."""
        return [path.name for path in discover(self.directory)]

    async def load_migration(self, filename: str) -> MigrationFile:
        """Read, checksum and import one file of the directory (in a worker thread)."""
        path = self.directory / filename
        if path.parent != self.directory or path.suffix != ".py" or not path.is_file():
            raise MigrationFileError(
                f"Migration file {filename!r} is not a .py file in {self.directory}; pass the "
                "name of one of get_migration_files()"
            )
        return await anyio.to_thread.run_sync(load_file, path)

    async def load_all_migrations(self) -> list[MigrationFile]:
        """Every migration file of the directory, loaded in order."""
        return await load_directory(self.directory)
