"""A plan's statements go in batches, each in a savepoint that costs no round trip of its own
(but the first), and a failing batch still names the statement the server rejected."""

from __future__ import annotations

from collections import Counter

import asyncpg
import pytest

from linkgress_async.errors import SchemaApplyError
from linkgress_async.execute.statements import run_statements
from tests.faultproxy import FaultProxy
from tests.integration.test_round_trips import spent

STATEMENTS = [f"CREATE TABLE t{i} (id integer)" for i in range(5)]


class RolledBack(Exception):
    """Ends a test's transaction."""


async def tables(conn: asyncpg.Connection) -> list[str]:
    """The tables of the public schema, by name."""
    rows = await conn.fetch(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        " AND relkind = 'r' ORDER BY relname"
    )
    return [row["relname"] for row in rows]


@pytest.mark.parametrize(("batch_size", "round_trips"), [(200, 2), (2, 4), (1, 6)])
async def test_a_batch_takes_one_round_trip_with_its_savepoint(
    linkgress_dsn: str, batch_size: int, round_trips: int
) -> None:
    # The first savepoint, then one message per batch (its statements, the release of its
    # savepoint and the next one); was three round trips per batch.
    async with FaultProxy.around(linkgress_dsn) as proxy:
        conn = await asyncpg.connect(proxy.route(linkgress_dsn))
        try:
            async with conn.transaction():
                before = Counter(proxy.counts)
                await run_statements(conn, STATEMENTS, batch_size=batch_size)
                sent = spent(before, Counter(proxy.counts))
                # Every savepoint set was released: the transaction commits as usual.
            assert await tables(conn) == [f"t{i}" for i in range(5)]
        finally:
            await conn.close()
    assert sent == round_trips


@pytest.mark.parametrize(
    "failing",
    [
        "CREATE TABLE t3 (id integer REFERENCES nowhere)",  # fails as it runs
        "CREATE TABBLE t3 (id integer)",  # fails to parse: nothing of its batch runs
    ],
)
async def test_a_failing_batch_names_its_statement(linkgress_dsn: str, failing: str) -> None:
    statements = [*STATEMENTS[:3], failing, STATEMENTS[4]]
    conn = await asyncpg.connect(linkgress_dsn)

    async def attempt() -> None:
        async with conn.transaction():
            with pytest.raises(SchemaApplyError) as raised:
                await run_statements(conn, statements, batch_size=2)
            assert raised.value.statement == failing
            # The transaction is usable; nothing after the failing statement ran (t2, before
            # it in its batch, ran again while the statements were tried one by one).
            assert await tables(conn) == ["t0", "t1", "t2"]
            raise RolledBack

    try:
        with pytest.raises(RolledBack):
            await attempt()
    finally:
        await conn.close()


async def test_a_statement_ending_with_a_line_comment(linkgress_dsn: str) -> None:
    # The savepoints' commands follow the batch on a line of their own: a comment ending the
    # last statement cannot swallow them.
    statements = [*STATEMENTS[:2], "CREATE TABLE t2 (id integer) -- the last one"]
    conn = await asyncpg.connect(linkgress_dsn)
    try:
        async with conn.transaction():
            await run_statements(conn, statements, batch_size=2)
        assert await tables(conn) == ["t0", "t1", "t2"]
    finally:
        await conn.close()
