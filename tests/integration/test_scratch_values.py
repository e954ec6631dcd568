"""The scratch transaction reads its few values (the state token with the migration lock, the
model's schemas and enums, the enums' spellings) with simple queries whose DO block raises
them as a notice, so a connection new to them prepares nothing; where the server cannot run
the block, or the notice is lost on the way, each is read the prepared way, and the model is
spelled alike."""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg
import pytest

from linkgress_async import PgClient
from linkgress_async.canonical import Canonical, canonicalize, spelling_cache, spelling_state
from linkgress_async.canonical._scratch import scratch_transaction
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import DeafConnection, quiet
from tests.integration.test_round_trips import workload


async def _spelled(dsn: str, **options: Any) -> tuple[Canonical, str]:
    """The workload model's spelling on a new connection, and the state token it was kept
    under."""
    spelling_cache.clear()
    model = workload(2)(PgClient(dsn=dsn)).get_schema_manager(out=quiet).model
    conn = await asyncpg.connect(dsn, **options)
    try:
        canonical = await canonicalize(conn, model)
        async with scratch_transaction(conn, spelling_state(model)) as state:
            pass
        assert not conn.is_in_transaction()
    finally:
        await conn.close()
    return canonical, state


@pytest.fixture
async def expected(linkgress_databases: DatabaseFactory) -> tuple[str, Canonical, str]:
    """A database, and the model's spelling and state token read the usual way there."""
    dsn = await linkgress_databases.create()
    admin = await asyncpg.connect(dsn)
    try:
        # An existing schema, and an enum whose labels differ from the model's: the scratch
        # renames it aside and declares the model's.
        await admin.execute("CREATE SCHEMA rt_a; CREATE TYPE rt_a.status AS ENUM ('new')")
    finally:
        await admin.close()
    canonical, state = await _spelled(dsn)
    assert canonical.enum_type_names
    assert state
    return dsn, canonical, state


@pytest.mark.parametrize("situation", ["no plpgsql", "plpgsql revoked", "notices lost"])
async def test_the_model_is_spelled_alike_without_do_or_notices(
    expected: tuple[str, Canonical, str], situation: str
) -> None:
    dsn, canonical, state = expected
    admin = await asyncpg.connect(dsn)
    options: dict[str, Any] = {}
    role = f"no_do_{secrets.token_hex(4)}"
    try:
        if situation == "no plpgsql":
            await admin.execute("DROP EXTENSION plpgsql")
        elif situation == "plpgsql revoked":
            database = await admin.fetchval("SELECT current_database()")
            await admin.execute(
                f"REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC; CREATE ROLE {role} LOGIN;"
                f"GRANT CREATE, TEMPORARY ON DATABASE {database} TO {role};"
                f"ALTER SCHEMA rt_a OWNER TO {role}; ALTER TYPE rt_a.status OWNER TO {role}"
            )
            options["user"] = role
        else:
            options["connection_class"] = DeafConnection
        spelled, found_state = await _spelled(dsn, **options)
    finally:
        if situation == "plpgsql revoked":
            await admin.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
        await admin.close()
    assert spelled == canonical
    if situation == "notices lost":
        assert found_state == state
    else:
        # Dropping plpgsql changes the catalog, and the role is part of the token: another
        # token, read after the lock all the same.
        assert found_state
        assert found_state != state


async def test_the_spelling_connection_goes_back_clean_without_a_reset(
    linkgress_databases: DatabaseFactory,
) -> None:
    """The scratch transaction, rolled back, undid everything it did: the pool takes its
    connection back without asyncpg's reset round trip, and the session is as it was."""
    dsn = await linkgress_databases.create()
    db = workload(2)(PgClient(dsn=dsn))
    try:
        manager = db.get_schema_manager(out=quiet)
        pool = await db.client.connect()
        async with pool.acquire() as conn:
            before = await conn.fetchrow(_SESSION)
        resets: list[str] = []
        real_reset = asyncpg.Connection.reset

        async def counted_reset(self: asyncpg.Connection, **options: Any) -> None:  # type: ignore[type-arg]
            resets.append("reset")
            await real_reset(self, **options)

        asyncpg.Connection.reset = counted_reset  # type: ignore[method-assign]
        try:
            spelled = await manager._canonical(pool)
        finally:
            asyncpg.Connection.reset = real_reset  # type: ignore[method-assign]
        assert spelled.catalog.tables
        assert resets == []
        async with pool.acquire() as conn:
            assert await conn.fetchrow(_SESSION) == before
    finally:
        await db.dispose()


_SESSION = (
    "SELECT pg_catalog.current_setting('search_path') AS path,"
    " pg_catalog.current_setting('client_min_messages') AS messages,"
    " pg_catalog.pg_my_temp_schema() AS temp_schema,"
    " (SELECT count(*) FROM pg_catalog.pg_locks"
    "  WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'advisory') AS advisory,"
    " pg_catalog.current_setting('work_mem') AS work_mem"
)
