"""Progress of long online phases: on a terminal (or the stream given), never otherwise."""

from __future__ import annotations

import contextlib
import io

import anyio
import asyncpg
import pytest

from linkgress_async.online.progress import progress_to
from linkgress_async.testing import DatabaseFactory
from tests.faultproxy import FaultProxy
from tests.integration.helpers import quiet
from tests.integration.online_support import OnlineApp, context_on, online_context

START = """
CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, amount int, code text);
INSERT INTO app.items SELECT g, g, 'c' || g FROM generate_series(1, 20000) g;
"""

TARGET = """
CREATE SCHEMA app;
CREATE TABLE app.items (id int PRIMARY KEY, amount bigint, code text);
CREATE INDEX ix_items_code ON app.items (code);
"""


@pytest.mark.parametrize("pooler", [False, True], ids=["direct", "behind-a-pooler"])
async def test_index_build_and_backfill_report_progress_to_the_stream(
    linkgress_databases: DatabaseFactory, pooler: bool
) -> None:
    """Behind a pooler (a proxy handing out key data of its own, as PgBouncer does) the
    build's server process is still found: it is asked of the server, not read from the
    connection's key data."""
    db, dsn = await online_context(linkgress_databases, START, TARGET)
    async with contextlib.AsyncExitStack() as stack:
        if pooler:
            proxy = await stack.enter_async_context(FaultProxy.around(dsn))
            proxy.pooler_keys = True
            db = context_on(proxy.route(dsn), db.model)
        await _migrate_reporting(db, dsn)


async def _migrate_reporting(db: OnlineApp, dsn: str) -> None:
    # An old snapshot holds the concurrent build back long enough to be sampled.
    holder = await asyncpg.connect(dsn)
    snapshot = holder.transaction(isolation="repeatable_read")
    await snapshot.start()
    await holder.fetchval("SELECT 1")
    stream = io.StringIO()

    async def release_later() -> None:
        await anyio.sleep(1.5)
        await snapshot.rollback()

    try:
        with progress_to(stream):
            async with db, anyio.create_task_group() as group:
                group.start_soon(release_later)
                await db.get_schema_manager(out=quiet).migrate(online=True)
    finally:
        await holder.close()
    shown = stream.getvalue()
    assert "Create index 'ix_items_code' on 'app.items', concurrently: " in shown, shown
    assert "waiting for" in shown, shown
    assert "Backfill 'app.items.amount__lg_online' in batches: 20,000 rows (" in shown, shown
    assert "rows/s)" in shown
    assert shown.endswith("\n")


async def test_quiet_without_a_terminal(
    linkgress_databases: DatabaseFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = await online_context(linkgress_databases, START, TARGET)
    async with db:
        await db.get_schema_manager(out=quiet).migrate(online=True)
    captured = capsys.readouterr()
    assert "rows/s" not in captured.err
    assert "rows/s" not in captured.out
    assert "\r" not in captured.err
