"""Round trips of a warm ``analyze()`` and an up-to-date ``migrate()`` and ``ensure_created()``,
counted at a proxy.

Round trips are deterministic (timing is not): asyncpg never pipelines, so each Sync (the end
of an extended-protocol exchange) and each simple Query is one round trip. Preparing a
statement on a pooled connection that has not run it yet costs one more (Parse, Describe and
a Flush). Which connection gets which catalog query varies from call to call; a process that
keeps its statements prepared settles within a few calls (checked: with asyncpg's default
cacheable size it never would, the catalog statements being larger), and the counts leave
the preparations out.
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

import asyncpg
import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    PgClient,
    bigint,
    enum_column,
    text,
    timestamptz,
)
from linkgress_async._locks import MIGRATE_LOCK_KEY
from linkgress_async.canonical import canonicalize, spelling_cache
from linkgress_async.errors import MigrationLockTimeoutError
from linkgress_async.testing import new_database_name
from tests.faultproxy import FaultProxy
from tests.integration.helpers import quiet, table

WARM_ANALYZE_ROUND_TRIPS = 6
"""The bound: the catalog read's two transactions, nothing per table, per model object or per
object kind (the spelling of the model comes from the process's cache). The exporting
connection: BEGIN with the snapshot export (and the server's state token, raised as a
notice), its one statement of every family it reads, COMMIT; the other one: BEGIN with its
own snapshot, the same as the exported one when no transaction ended in between (else one
more round trip imports the export), its statement, COMMIT. Was 41 with a statement per
family, 7 with the export in a round trip of its own."""


def workload(n: int) -> type[DbContext]:
    """``n`` tables over two schemas with enum, literal and expression defaults and an index."""

    class Workload(DbContext):
        def setup_model(self, model: DbModelConfig) -> None:
            for schema in ("rt_a", "rt_b"):
                status = model.enum("status", ["new", "done"], schema=schema)
                for i in range(n):
                    entity = table(
                        model,
                        f"t{i}",
                        bigint("id").primary_key().generated_always_as_identity(),
                        text("name"),
                        enum_column("state", status),
                        timestamptz("at"),
                        schema=schema,
                    )
                    entity.property("name").has_default_value("unnamed")
                    entity.property("state").has_default_value("new")
                    entity.property("at").has_default_sql("now()")
                    entity.has_index(f"ix_t{i}_name", ["name"])

    return Workload


def spent(before: Counter[str], after: Counter[str]) -> int:
    """Round trips between two counts, but for statement preparations (which connection gets
    which statement varies: a process settles, see ``warm_round_trips``, yet a connection
    that has not run one of them may still come up)."""
    delta = after - before
    return delta["Sync"] + delta["Query"]


SETTLING_CALLS = 6
"""Calls within which a process must stop preparing its statements again."""


async def warm_round_trips(
    dsn: str, n: int, *, reuse: bool = False
) -> tuple[int, int, int, list[str]]:
    """(round trips of a warm analyze, of an up-to-date migrate, of an up-to-date
    ensure_created, SQL the analyze sent); with ``reuse``, each takes the catalog the last
    one read when the catalog is unchanged, else each reads it."""
    async with FaultProxy.around(dsn) as proxy:
        db = workload(n)(PgClient(dsn=proxy.route(dsn)))
        try:
            manager = db.get_schema_manager(out=quiet, reuse_unchanged_catalog=reuse)
            await manager.migrate()
            for _ in range(SETTLING_CALLS):
                before = Counter(proxy.counts)
                assert await manager.analyze() == []
                assert await manager.migrate() == []
                if (Counter(proxy.counts) - before)["Parse"] == 0:
                    break
            else:
                # The catalog statements are larger than asyncpg's default cacheable size:
                # without PgClient's larger one, every call parses and plans them again.
                raise AssertionError(f"still preparing statements after {SETTLING_CALLS} calls")
            before = Counter(proxy.counts)
            logged = len(proxy.log)
            assert await manager.analyze() == []
            analyzed = spent(before, Counter(proxy.counts))
            sent = [m.sql for m in proxy.log[logged:] if m.sql]
            before = Counter(proxy.counts)
            assert await manager.migrate() == []
            migrated = spent(before, Counter(proxy.counts))
            before = Counter(proxy.counts)
            assert await manager.ensure_created() == []
            created = spent(before, Counter(proxy.counts))
        finally:
            await db.dispose()
    return analyzed, migrated, created, sent


async def test_a_warm_analyze_makes_a_constant_number_of_round_trips(
    linkgress_databases: Any,
) -> None:
    small = await linkgress_databases.create()
    large = await linkgress_databases.create()
    few, few_migrate, few_create, sent = await warm_round_trips(small, 2)
    many, many_migrate, many_create, _ = await warm_round_trips(large, 30)
    assert few == many <= WARM_ANALYZE_ROUND_TRIPS
    # The application-start case: an up-to-date migrate() or ensure_created() is one
    # analyze(), its look at the migration lock made in the catalog read's own round trip
    # (ensure_created() used to take the lock and read the whole catalog again: 14 round trips).
    assert few_migrate == many_migrate == few
    assert few_create == many_create == few
    # The model was spelled from the cache: no scratch object was built.
    assert not [s for s in sent if "TEMPORARY" in s or "advisory" in s]


KEPT_CATALOG_ROUND_TRIPS = 1
"""A warm call on an unchanged catalog: one statement reads the catalog's state, the spelling's
state token and (for a plan to apply) the migration lock; the catalog is the last read's."""


async def test_a_warm_call_on_an_unchanged_catalog_makes_one_round_trip(
    linkgress_databases: Any,
) -> None:
    small = await linkgress_databases.create()
    large = await linkgress_databases.create()
    few = await warm_round_trips(small, 2, reuse=True)
    many = await warm_round_trips(large, 30, reuse=True)
    # The catalog's statements alone take two round trips on the deepest connection.
    assert few[:3] == many[:3] == (KEPT_CATALOG_ROUND_TRIPS,) * 3


FIRST_SPELLING_ROUND_TRIPS = 11
"""The bound for spelling a model on a connection that has not yet (a statement with
parameters is prepared there first, a round trip more): the scratch transaction's BEGIN, the
migration lock with the state token, the model's schemas and enums (those two and the enums'
spellings are simple queries whose DO block raises the values as a notice: nothing to
prepare), the scratch objects with their savepoint in one message, the session setup with
the temporary schema's name, the catalog statement (prepared), the enums' spellings,
ROLLBACK. Was 19: the lock taken twice, the savepoint and the temporary schema's name each
in round trips of their own; then 14, with the lock and state token, the schemas and enums
and the enums' spellings each prepared first."""


async def first_spelling_round_trips(dsn: str, n: int) -> int:
    """Round trips of spelling the ``workload(n)`` model on a connection new to it."""
    async with FaultProxy.around(dsn) as proxy:
        model = workload(n)(PgClient(dsn=dsn)).get_schema_manager(out=quiet).model
        conn = await asyncpg.connect(proxy.route(dsn))
        try:
            before = Counter(proxy.counts)
            await canonicalize(conn, model)
            delta = Counter(proxy.counts) - before
        finally:
            await conn.close()
    # A statement prepared waits for its description (Flush) before it is run (Sync).
    return delta["Sync"] + delta["Query"] + delta["Flush"]


async def test_a_first_spelling_makes_a_constant_number_of_round_trips(
    linkgress_databases: Any,
) -> None:
    # The application-start case of a new process: paid once, at every start. The first
    # catalog read of a process learns the queries' column names (two round trips more),
    # which in an application the concurrent introspection does: learnt first.
    small = await linkgress_databases.create()
    await first_spelling_round_trips(small, 2)
    spelling_cache.clear()
    few = await first_spelling_round_trips(small, 2)
    spelling_cache.clear()
    many = await first_spelling_round_trips(await linkgress_databases.create(), 30)
    assert few == many <= FIRST_SPELLING_ROUND_TRIPS


async def scratch_statements(dsn: str, context: type[DbContext]) -> list[str]:
    """The scratch statements ``context``'s first ``ensure_created()`` on ``dsn`` sends (none
    when the model's spelling is kept), once it is checked that the database then matches."""
    async with FaultProxy.around(dsn) as proxy:
        db = context(PgClient(dsn=proxy.route(dsn)))
        try:
            manager = db.get_schema_manager(out=quiet)
            assert await manager.ensure_created()
            sent = [m.sql for m in proxy.log if m.sql and "TEMPORARY" in m.sql]
            assert await manager.analyze() == []
        finally:
            await db.dispose()
    return sent


async def test_a_model_built_again_on_a_database_like_the_last_is_not_spelled_again(
    linkgress_server: Any, linkgress_databases: Any
) -> None:
    # A test suite's case: a context (so a model) per test, each on a new database made from
    # the same template. The second spells nothing; a database of another encoding and
    # locale, which could spell the model otherwise, spells it again.
    spelling_cache.clear()
    context = workload(2)
    assert await scratch_statements(await linkgress_databases.create(), context)
    gc.collect()  # the first context and its model are gone
    assert not await scratch_statements(await linkgress_databases.create(), context)
    name = new_database_name()
    admin = await asyncpg.connect(linkgress_server.dsn())
    try:
        await admin.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'SQL_ASCII'"
            " LC_COLLATE 'C' LC_CTYPE 'C'"
        )
        assert await scratch_statements(linkgress_server.dsn(name), context)
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest.mark.parametrize("call", ["migrate", "ensure_created"])
async def test_an_up_to_date_call_waits_for_a_migration_at_work(
    linkgress_dsn: str, call: str
) -> None:
    # The look at the migration lock rides in the catalog read's round trip: a migration
    # holding the lock then must still be waited for, not taken for "nothing to do".
    db = workload(2)(PgClient(dsn=linkgress_dsn))
    holder = await asyncpg.connect(linkgress_dsn)
    try:
        manager = db.get_schema_manager(out=quiet, migration_lock_timeout=0.5)
        run = getattr(manager, call)
        await manager.migrate()
        assert await run() == []  # warm: the spelling is kept, the lock folded in
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATE_LOCK_KEY)
        with pytest.raises(MigrationLockTimeoutError):
            await run()
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATE_LOCK_KEY)
        assert await run() == []
    finally:
        await holder.close()
        await db.dispose()


SPELLING_KEPT_OR_NOT = {
    # What most migrations do to a table: nothing an expression of the model can name.
    "a new column": ("ALTER TABLE rt_a.t0 ADD COLUMN extra integer", False),
    "a dropped column": ("ALTER TABLE rt_a.t1 DROP COLUMN at", False),
    "a new index": ('CREATE INDEX ix_extra ON rt_a.t0 ("at")', False),
    "a column made NOT NULL": ("ALTER TABLE rt_a.t0 ALTER COLUMN name SET NOT NULL", False),
    # What an expression can name changes: spelled again. (A new label changes what the
    # model's enum default could mean.)
    "a new enum label": ("ALTER TYPE rt_a.status ADD VALUE 'late'", True),
    "a renamed table": ("ALTER TABLE rt_a.t1 RENAME TO renamed", True),
    "a table moved to another schema": ("ALTER TABLE rt_a.t1 SET SCHEMA public", True),
    "a new sequence": ("CREATE SEQUENCE rt_a.counter", True),
    "a new table": ("CREATE TABLE rt_a.other (id integer)", True),
}


@pytest.mark.parametrize(
    ("change", "spelled_again"), SPELLING_KEPT_OR_NOT.values(), ids=SPELLING_KEPT_OR_NOT.keys()
)
async def test_which_changes_make_the_model_spelled_again(
    linkgress_dsn: str, change: str, spelled_again: bool
) -> None:
    async with FaultProxy.around(linkgress_dsn) as proxy:
        db = workload(2)(PgClient(dsn=proxy.route(linkgress_dsn)))
        try:
            manager = db.get_schema_manager(out=quiet)
            await manager.migrate()
            assert await manager.analyze() == []
            conn = await asyncpg.connect(linkgress_dsn)
            try:
                await conn.execute(change)
            finally:
                await conn.close()
            logged = len(proxy.log)
            operations = await manager.analyze()
            sent = [m.sql for m in proxy.log[logged:] if m.sql]
            assert bool([s for s in sent if "TEMPORARY" in s]) == spelled_again
            # Whatever was kept, the plan is the one a freshly spelled model gives.
            spelling_cache.clear()
            assert [op.describe() for op in operations] == [
                op.describe() for op in await manager.analyze()
            ]
        finally:
            await db.dispose()
