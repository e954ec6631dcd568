"""The concurrent catalog read exports its snapshot in the round trip that begins it (a DO
block raises the id as a notice); where the server cannot run the block, or the notice is
lost on the way, the read takes another round trip and still sees one snapshot."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from linkgress_async.catalog import Catalog
from linkgress_async.introspect import introspect, read_catalog
from linkgress_async.introspect._catalog_state import CATALOG_STATE
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import DeafConnection

SCHEMA = """
CREATE SCHEMA shop;
CREATE TYPE shop.status AS ENUM ('new', 'paid');
CREATE TABLE shop.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE shop.orders (
    id serial PRIMARY KEY,
    customer_id bigint REFERENCES shop.customers (id),
    status shop.status NOT NULL DEFAULT 'new'
);
CREATE INDEX orders_customer ON shop.orders (customer_id);
CREATE VIEW shop.open_orders AS SELECT id FROM shop.orders WHERE status = 'new';
COMMENT ON TABLE shop.orders IS 'what was bought';
"""

STATE = "pg_catalog.current_database()::text"


@pytest.fixture
async def shop(linkgress_databases: DatabaseFactory) -> AsyncIterator[tuple[str, Catalog]]:
    """A database with the shop schema, and its catalog read on one connection."""
    dsn = await linkgress_databases.create()
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(SCHEMA)
        async with asyncpg.create_pool(dsn, min_size=1, max_size=2) as pool:
            expected = await introspect(pool, ["shop"], concurrent=False)
        assert expected.tables
        assert expected.views
        yield dsn, expected
    finally:
        await admin.close()


async def _read(dsn: str, **options: Any) -> tuple[Catalog, str]:
    async with asyncpg.create_pool(dsn, min_size=1, max_size=2, **options) as pool:
        catalog, state, _ = await read_catalog(pool, ["shop"], STATE, concurrent=True)
        return catalog, state


async def test_the_export_rides_on_the_begin(shop: tuple[str, Catalog]) -> None:
    dsn, expected = shop
    admin = await asyncpg.connect(dsn)
    try:
        database = await admin.fetchval("SELECT current_database()")
    finally:
        await admin.close()
    assert await _read(dsn) == (expected, database)


async def test_a_server_without_plpgsql_is_read_alike(shop: tuple[str, Catalog]) -> None:
    dsn, expected = shop
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute("DROP EXTENSION plpgsql")
        database = await admin.fetchval("SELECT current_database()")
    finally:
        await admin.close()
    assert await _read(dsn) == (expected, database)


async def test_a_role_that_may_not_use_plpgsql_reads_alike(shop: tuple[str, Catalog]) -> None:
    dsn, expected = shop
    role = f"no_do_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn)
    try:
        database = await admin.fetchval("SELECT current_database()")
        await admin.execute(
            f"REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC; CREATE ROLE {role} LOGIN;"
            f"GRANT USAGE ON SCHEMA shop TO {role}"
        )
        try:
            # The grant is part of the catalog: read it again as the owner.
            async with asyncpg.create_pool(dsn, min_size=1, max_size=2) as pool:
                expected = await introspect(pool, ["shop"], concurrent=False)
            assert await _read(dsn, user=role) == (expected, database)
        finally:
            await admin.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
    finally:
        await admin.close()


async def test_a_lost_notice_costs_a_round_trip_not_the_snapshot(
    shop: tuple[str, Catalog],
) -> None:
    dsn, expected = shop
    catalog, state = await _read(dsn, connection_class=DeafConnection)
    assert catalog == expected
    assert state == (await _read(dsn))[1]


async def _state(dsn: str, **options: Any) -> str | None:
    """The catalog's state a fingerprinted concurrent read kept."""
    async with asyncpg.create_pool(dsn, min_size=1, max_size=2, **options) as pool:
        _, _, fingerprint = await read_catalog(pool, ["shop"], concurrent=True, fingerprinted=True)
    assert fingerprint is not None
    return fingerprint.catalog_state


async def test_the_catalog_state_rides_on_the_commit(shop: tuple[str, Catalog]) -> None:
    """Read in the snapshot as the exporting transaction commits (one round trip that runs
    anyway); it is the state the server gives for that catalog."""
    dsn, _ = shop
    admin = await asyncpg.connect(dsn)
    try:
        assert await _state(dsn) == await admin.fetchval(f"SELECT {CATALOG_STATE}")
    finally:
        await admin.close()


@pytest.mark.parametrize("situation", ["no plpgsql", "notices lost"])
async def test_without_do_or_notices_the_state_is_not_kept(
    shop: tuple[str, Catalog], situation: str
) -> None:
    """Then the re-check under the migration lock reads the catalog again, as before."""
    dsn, _ = shop
    options: dict[str, Any] = {}
    if situation == "no plpgsql":
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute("DROP EXTENSION plpgsql")
        finally:
            await admin.close()
    else:
        options["connection_class"] = DeafConnection
    assert await _state(dsn, **options) is None
