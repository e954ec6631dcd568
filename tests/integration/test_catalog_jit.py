"""The catalog statements run without JIT compilation.

Their estimated cost passes ``jit_above_cost`` on databases of a few hundred tables, and a
server built with LLVM (Debian's packages, the PostgreSQL 15 run of CI) would then compile a
thousand expressions at every call: seconds at 10,000 tables for rows a plain scan returns in
milliseconds. Here the database makes every statement JIT-worthy (``jit_above_cost = 0``) and
``auto_explain`` sends each plan to the client as a notice, so the test sees what the server
did with the statements ``analyze()``, ``migrate()`` and ``pull()`` really sent.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from linkgress_async import PgClient, pull
from linkgress_async.testing import DatabaseFactory

from .models import AppDatabase

# Every combined catalog statement selects each family's rows through this call.
CATALOG_STATEMENT = "pg_catalog.json_agg(pg_catalog.json_build_array(q."

EVERYTHING_JIT_WORTHY = (
    "jit = on",
    "jit_above_cost = 0",
    # Compiling without optimizing or inlining keeps the control case quick.
    "jit_optimize_above_cost = -1",
    "jit_inline_above_cost = -1",
    "session_preload_libraries = 'auto_explain'",
    "auto_explain.log_min_duration = 0",
    "auto_explain.log_nested_statements = on",
    "auto_explain.log_level = notice",
)


async def _jit_database(linkgress_databases: DatabaseFactory) -> str:
    dsn = await linkgress_databases.create()
    admin = await asyncpg.connect(dsn)
    try:
        if not await admin.fetchval("SELECT pg_catalog.pg_jit_available()"):
            pytest.skip("this server is built without JIT (LLVM); CI's PostgreSQL 15 has it")
        database = await admin.fetchval("SELECT pg_catalog.current_database()")
        for setting in EVERYTHING_JIT_WORTHY:
            await admin.execute(f'ALTER DATABASE "{database}" SET {setting}')
    finally:
        await admin.close()
    return dsn


def _plans(notices: list[str]) -> list[str]:
    return [text for text in notices if "Query Text:" in text]


# The listener stays on the pool's connections on purpose: it is how the plans are seen.
@pytest.mark.filterwarnings("ignore:.*being released to the pool but has 1 active log listener")
async def test_the_catalog_statements_are_never_jit_compiled(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await _jit_database(linkgress_databases)
    notices: list[str] = []

    def listen(_conn: Any, message: Any) -> None:
        notices.append(str(message.message))

    async def add_listener(conn: Any) -> None:
        # At every acquire: a pooled connection's reset removes its listeners. (Adding the
        # same callable again is a no-op.)
        conn.add_log_listener(listen)

    # The control: on this database an ordinary catalog query is compiled.
    control = await asyncpg.connect(dsn)
    try:
        control.add_log_listener(listen)
        await control.fetch("SELECT relname FROM pg_catalog.pg_class WHERE relkind = 'r'")
    finally:
        await control.close()
    assert any("JIT:" in plan for plan in _plans(notices)), notices
    notices.clear()

    db = AppDatabase(PgClient(dsn, setup=add_listener))
    try:
        manager = db.get_schema_manager()
        assert await manager.analyze()  # first call: spells the model on the server
        await manager.migrate()  # re-reads the catalog under the migration lock
        assert await manager.analyze() == []  # the concurrent read of a warm process
        assert "class Database" in await pull(db.client)
    finally:
        await db.dispose()

    catalog_plans = [plan for plan in _plans(notices) if CATALOG_STATEMENT in plan]
    # Each call read the catalog at least once (one statement, or one per connection).
    assert len(catalog_plans) >= 4, _plans(notices)
    compiled = [plan[:300] for plan in catalog_plans if "JIT:" in plan]
    assert compiled == []
