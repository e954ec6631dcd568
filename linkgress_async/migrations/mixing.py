"""Warnings where ``migrate()`` and migration files meet on one database.

A database whose journal records applied files is described by those files. ``migrate()``
changes it outside them: afterwards the folder no longer builds a database like it. Both
sides say so where it happens:

- ``migrate()`` warns before it applies, naming the journal, and leaves a mark on the journal
  table (its comment: when, and how many operations);
- ``up()`` warns when that mark is newer than the newest applied file, i.e. no file applied
  since describes what ``migrate()`` did.

The supported ways out are in docs/file-migrations.md ("Mixing migrate() and files").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

import asyncpg

from linkgress_async.catalog import QualifiedName
from linkgress_async.client import AnyConnection
from linkgress_async.migrations.journal import APPLIED, Journal
from linkgress_async.plan.report import counted
from linkgress_async.render.quote import render_literal

__all__ = ["mark_migrated", "migrate_warning", "migrated_since_files"]

_MARK = "linkgress: migrate() applied {operations} at {moment} outside the migration files"
_MARK_PATTERN = re.compile(r"linkgress: migrate\(\) applied .+ at (?P<moment>\S+) outside")

_WAYS = (
    "the supported ways are a migration file for the change (`linkgress scaffold`, or "
    "`linkgress dev` in development) instead of migrate, or, after the fact, a file written "
    "for it and recorded with baseline, or new databases built with up(bootstrap=True) "
    "(`linkgress up --bootstrap`) instead of replaying the files"
)


async def _applied_files(conn: AnyConnection, journal: Journal) -> tuple[int, str | None]:
    """How many files the journal records as applied, and the newest; (0, None) without one."""
    columns = await journal.columns(conn)
    if columns is None:
        return 0, None
    where = " WHERE status = $1" if "status" in columns else " WHERE $1::text IS NOT NULL"
    row = await conn.fetchrow(
        f"SELECT count(*) AS applied, (SELECT filename FROM {journal.qualified}{where}"
        f" ORDER BY id DESC LIMIT 1) AS newest FROM {journal.qualified}{where}",
        APPLIED,
    )
    return (int(row["applied"]), row["newest"]) if row is not None else (0, None)


async def migrate_warning(conn: AnyConnection, journals: Iterable[QualifiedName]) -> str | None:
    """The warning for ``migrate()`` on a database whose journal records applied files."""
    for name in sorted(journals):
        journal = Journal(name.schema, name.name)
        applied, newest = await _applied_files(conn, journal)
        if applied:
            return (
                f"WARNING: {journal.qualified} records {counted(applied, 'applied migration file')}"
                f" (newest {newest}): migrate() changes this database outside them, so the "
                f"files will no longer build a database like it; {_WAYS}."
            )
    return None


async def mark_migrated(
    conn: AnyConnection, journals: Iterable[QualifiedName], operations: int
) -> None:
    """Leave the mark ``up()`` looks for on every journal table that records applied files,
    inside the caller's transaction.

    A role that may not comment on the journal (not its owner) leaves no mark: the warning
    at ``migrate()`` time was given all the same.
    """
    for name in sorted(journals):
        journal = Journal(name.schema, name.name)
        applied, _ = await _applied_files(conn, journal)
        if not applied:
            continue
        moment: datetime = await conn.fetchval("SELECT now()")
        mark = _MARK.format(operations=counted(operations, "operation"), moment=moment.isoformat())
        try:
            # A savepoint: the caller's transaction holds the migration itself.
            async with conn.transaction():
                await conn.execute(
                    f"COMMENT ON TABLE {journal.qualified} IS {render_literal(mark)}"
                )
        except asyncpg.InsufficientPrivilegeError:
            continue


async def migrated_since_files(conn: AnyConnection, journal: Journal) -> str | None:
    """The warning for ``up()`` when ``migrate()`` changed the database after its newest file."""
    row = await conn.fetchrow(
        "SELECT pg_catalog.obj_description(pg_catalog.to_regclass($1), 'pg_class') AS mark",
        journal.qualified,
    )
    found = _MARK_PATTERN.match(row["mark"] or "") if row is not None else None
    if found is None:
        return None
    moment = datetime.fromisoformat(found["moment"])
    newest = await conn.fetchrow(
        f"SELECT filename, applied_at FROM {journal.qualified} WHERE status = $1"
        " ORDER BY applied_at DESC, id DESC LIMIT 1",
        APPLIED,
    )
    if newest is not None and newest["applied_at"] > moment:
        return None
    after = f" after its newest migration file {newest['filename']}" if newest else ""
    return (
        f"WARNING: this database was changed by migrate() at {moment:%Y-%m-%d %H:%M:%S %Z}"
        f"{after}: the migration files no longer describe it, and cannot build a fresh "
        f"database like it; {_WAYS}."
    )
