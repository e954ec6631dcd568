"""Analysis with a role that can only read (CI checks, replicas): the scratch database."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from linkgress_async import (
    DbModelConfig,
    PgClient,
    ScratchDatabaseError,
    ScratchUnavailableError,
    enum_column,
    integer,
    text,
    varchar,
)
from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.helpers import Setup, context, quiet, table


def _model(values: list[str], check: str, extra_column: bool = False) -> Setup:
    def setup(model: DbModelConfig) -> None:
        model.schema("shop")
        status = model.enum("order_status", values, schema="shop")
        columns = [
            integer("id").primary_key(),
            enum_column("status", status),
            varchar("code", 10),
        ]
        if extra_column:
            columns.append(text("note"))
        entity = table(model, "orders", *columns, schema="shop")
        entity.property("status").has_default_value(values[0])
        entity.has_check("orders_code_check", check)
        if extra_column:
            entity.property("note").has_default_sql("'none'")
        model.view("open_orders", "SELECT id, code FROM shop.orders WHERE code IN ('a', 'b')")

    return setup


IN_SYNC = _model(["new", "paid"], "code IN ('a', 'b', 'c')")
BEHIND = _model(["new", "paid", "sent"], "code IN ('a', 'b')", extra_column=True)


@pytest.fixture
async def reader(
    linkgress_server: LinkgressServer, linkgress_databases: DatabaseFactory
) -> AsyncIterator[tuple[str, str]]:
    """(admin DSN, role name) of a database in IN_SYNC's shape, and a role that can only
    read it: read-only transactions by default, no TEMPORARY, no CREATE."""
    dsn = await linkgress_databases.create()
    async with context(IN_SYNC)(PgClient(dsn=dsn, max_size=2)) as db:
        await db.get_schema_manager(out=quiet).ensure_created()
    role = f"reader_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn)
    database = await admin.fetchval("SELECT current_database()")
    try:
        await admin.execute(
            f"CREATE ROLE {role} LOGIN;"
            f"ALTER ROLE {role} SET default_transaction_read_only = on;"
            f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC;'
            f"GRANT USAGE ON SCHEMA shop TO {role};"
            f"GRANT SELECT ON ALL TABLES IN SCHEMA shop TO {role};"
        )
        yield dsn, role
    finally:
        await admin.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
        await admin.close()


async def _plan(dsn: str, setup: Setup, *, user: str | None = None, **options: str) -> list[str]:
    client = PgClient(dsn=dsn, max_size=2) if user is None else PgClient(dsn=dsn, user=user)
    async with context(setup)(client) as db:
        manager = db.get_schema_manager(out=quiet, **options)
        return [op.describe() for op in await manager.analyze()]


async def test_a_reader_cannot_spell_a_model_that_is_ahead_and_is_told_why(
    reader: tuple[str, str],
) -> None:
    dsn, role = reader
    with pytest.raises(ScratchUnavailableError, match=r"scratch"):
        await _plan(dsn, BEHIND, user=role)


async def test_a_reader_plans_through_a_scratch_database(
    reader: tuple[str, str], linkgress_databases: DatabaseFactory
) -> None:
    dsn, role = reader
    scratch = await linkgress_databases.create()
    # The same plan as the owner's, which may spell on the database itself.
    expected = await _plan(dsn, BEHIND)
    assert expected
    assert await _plan(dsn, BEHIND, user=role, scratch=scratch) == expected
    assert await _plan(dsn, IN_SYNC, user=role, scratch=scratch) == []
    # The scratch database is left as it was: everything was rolled back.
    conn = await asyncpg.connect(scratch)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'shop'") == 0
    finally:
        await conn.close()


async def test_a_reader_plans_on_a_temporary_embedded_server(reader: tuple[str, str]) -> None:
    dsn, role = reader
    expected = await _plan(dsn, BEHIND)
    assert await _plan(dsn, BEHIND, user=role, scratch="embedded") == expected


async def test_a_scratch_database_that_is_not_empty_is_refused(
    reader: tuple[str, str],
) -> None:
    dsn, role = reader
    # The database itself is occupied by the very objects the copy would create.
    with pytest.raises(ScratchDatabaseError, match="not empty"):
        await _plan(dsn, IN_SYNC, user=role, scratch=dsn)


async def test_plan_check_passes_for_a_reader_on_the_command_line(
    reader: tuple[str, str], linkgress_databases: DatabaseFactory, tmp_path: Path
) -> None:
    dsn, role = reader
    scratch = await linkgress_databases.create()
    reader_dsn = dsn.replace("postgres@", f"{role}@", 1)
    assert reader_dsn != dsn

    def plan(labels: str, *extra: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "shopdb.py").write_text(_CONTEXT_MODULE.replace("LABELS", labels))
        return subprocess.run(
            [sys.executable, "-m", "linkgress_async", "--dsn", reader_dsn,
             "--context", "shopdb:Shop", "plan", "--check", *extra],
            capture_output=True, text=True, cwd=tmp_path, check=False,
        )  # fmt: skip

    in_sync, ahead = '"new", "paid"', '"new", "paid", "sent"'
    # Without a scratch database the reader is told what is missing (exit 2, not "differs").
    refused = plan(in_sync)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "--scratch" in refused.stderr
    done = plan(in_sync, "--scratch", scratch)
    assert done.returncode == 0, done.stdout + done.stderr
    differs = plan(ahead, "--scratch", scratch)
    assert differs.returncode == 1, differs.stdout + differs.stderr
    assert "sent" in differs.stdout


_CONTEXT_MODULE = """
from linkgress_async import DbContext, DbModelConfig, enum_column, integer, varchar


class Order:
    id: int
    status: str
    code: str


class Shop(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        model.schema("shop")
        status = model.enum("order_status", [LABELS], schema="shop")
        with model.entity(Order) as e:
            e.to_table("orders", schema="shop")
            e.property("id").has_type(integer("id").primary_key())
            e.property("status").has_type(enum_column("status", status)).has_default_value("new")
            e.property("code").has_type(varchar("code", 10))
            e.has_check("orders_code_check", "code IN ('a', 'b', 'c')")
        model.view("open_orders", "SELECT id, code FROM shop.orders WHERE code IN ('a', 'b')")
"""
