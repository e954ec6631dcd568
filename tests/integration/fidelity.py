"""The oracle harness: does a pulled model reproduce the database it was pulled from?

For a database loaded from an SQL file: pull its model, import the module, ``analyze()`` it
against the source (must be ``[]``), ``ensure_created()`` it on an empty database,
``analyze()`` there too, and compare ``pg_dump --schema-only`` of both databases line by
line. The dump is PostgreSQL's own account of a schema, so an equal dump is the whole truth,
whatever the catalog values or the diff think.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import subprocess
from pathlib import Path
from types import ModuleType

import asyncpg
import attrs

from linkgress_async import DbContext, MigrationOperation, PgClient
from linkgress_async._server import resolve_bin_dir
from linkgress_async.pulling import PulledModule, pull_module

__all__ = [
    "RoundTrip",
    "context_class",
    "difference_by_kind",
    "dump_difference",
    "dump_schema",
    "dump_sections",
    "import_module",
    "load_sql",
    "round_trip",
    "sql_file",
]

# pg_dump 17.6+/18 wraps the dump in \restrict KEY / \unrestrict KEY with a random key.
_RESTRICT = re.compile(r"^\\(un)?restrict\b")


def sql_file(path: Path) -> str:
    """An SQL file as one string, without psql's backslash commands."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("\\"))


async def load_sql(dsn: str, sql: str) -> None:
    """Run ``sql`` (many statements) on the database of ``dsn`` with one ``execute``."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def import_module(source: str, directory: Path, name: str = "pulled_model") -> ModuleType:
    """Import ``source`` from a file in ``directory`` through an importlib spec (the import
    path is never touched, and the module is not left in ``sys.modules``)."""
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dump_schema(dsn: str) -> list[str]:
    """``pg_dump --schema-only`` of the database of ``dsn``, by the suite's server's own
    pg_dump, without the lines that differ between two runs on the same schema."""
    pg_dump = resolve_bin_dir() / "pg_dump"
    done = subprocess.run(
        [str(pg_dump), "--schema-only", "--dbname", dsn],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    return [line for line in done.stdout.splitlines() if not _RESTRICT.match(line)]


def dump_difference(source: list[str], copy: list[str]) -> list[str]:
    """The unified diff of two dumps, without its file headers."""
    lines = difflib.unified_diff(source, copy, "source", "copy", lineterm="", n=1)
    return [line for line in lines if not line.startswith(("---", "+++"))]


_SECTION = re.compile(
    r"^-- (?:Data for )?Name: (?P<name>.*); Type: (?P<type>[^;]+); Schema: (?P<schema>[^;]*);"
)


def dump_sections(lines: list[str]) -> dict[tuple[str, str, str], list[str]]:
    """A dump's statements grouped by the ``-- Name: ...; Type: ...; Schema: ...`` comment
    pg_dump writes before each object, keyed by (type, schema, name); blank and comment
    lines left out. What precedes the first object is keyed ``("PREAMBLE", "", "")``."""
    sections: dict[tuple[str, str, str], list[str]] = {}
    key = ("PREAMBLE", "", "")
    for line in lines:
        header = _SECTION.match(line)
        if header is not None:
            key = (header["type"], header["schema"], header["name"])
            sections.setdefault(key, [])
        elif line.strip() and not line.startswith("--"):
            sections.setdefault(key, []).append(line)
    return sections


def difference_by_kind(source: list[str], copy: list[str]) -> dict[str, int]:
    """How many dump lines differ, per pg_dump object type (``TABLE``, ``TRIGGER``...)."""
    mine, theirs = dump_sections(source), dump_sections(copy)
    counts: dict[str, int] = {}
    for key in mine.keys() | theirs.keys():
        changed = [
            line
            for line in difflib.ndiff(mine.get(key, []), theirs.get(key, []))
            if line[:1] in "+-"
        ]
        if changed:
            counts[key[0]] = counts.get(key[0], 0) + len(changed)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@attrs.frozen
class RoundTrip:
    """What the oracle saw."""

    module: PulledModule
    on_source: list[MigrationOperation]
    """``analyze()`` of the pulled model against the source."""
    on_copy: list[MigrationOperation]
    """``analyze()`` against the database ``ensure_created()`` made from it."""
    difference: list[str]
    """The unified diff of both databases' ``pg_dump --schema-only``."""
    by_kind: dict[str, int]
    """Differing dump lines per pg_dump object type."""

    @property
    def differing_lines(self) -> list[str]:
        """The dump lines only one database has (``-`` source, ``+`` copy)."""
        return [line for line in self.difference if line[:1] in "+-"]


def context_class(module: ModuleType, name: str = "Database") -> type[DbContext]:
    """The pulled context class of ``module``."""
    cls = getattr(module, name)
    assert isinstance(cls, type)
    assert issubclass(cls, DbContext)
    return cls


async def round_trip(
    source_dsn: str,
    empty_dsn: str,
    directory: Path,
    *,
    schemas: list[str] | None = None,
    prelude: str | None = None,
) -> RoundTrip:
    """Pull the source, analyze the model on it, create it on the empty database (after
    ``prelude``, SQL for what the model cannot declare yet), analyze there, diff the dumps."""
    async with PgClient(dsn=source_dsn) as client:
        pulled = await pull_module(client, schemas)
    cls = context_class(import_module(pulled.source, directory))
    async with cls(PgClient(dsn=source_dsn)) as db:
        on_source = await db.get_schema_manager(out=_quiet).analyze()
    if prelude is not None:
        await load_sql(empty_dsn, prelude)
    async with cls(PgClient(dsn=empty_dsn)) as db:
        manager = db.get_schema_manager(out=_quiet)
        await manager.ensure_created()
        on_copy = await manager.analyze()
    source_dump, copy_dump = dump_schema(source_dsn), dump_schema(empty_dsn)
    difference = dump_difference(source_dump, copy_dump)
    by_kind = difference_by_kind(source_dump, copy_dump)
    return RoundTrip(pulled, on_source, on_copy, difference, by_kind)


def _quiet(_line: str) -> None:
    """Swallow the manager's print-out."""
