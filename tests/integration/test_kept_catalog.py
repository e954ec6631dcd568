"""A warm analysis takes the catalog the last one read when the catalog's state is unchanged.

An application, a test fixture or a drift check that analyzes the same database again in one
process used to read the whole catalog every time (two transactions, the server's time on
every catalog family, the client's assembly). The catalog's state (a summary of every
system catalog's row versions, see ``_catalog_state.py``) tells in one short statement
whether anything changed since the last read; these tests hold the two halves of that to
the real server: an unchanged catalog is not read again, and a change made by hand in
another session is seen by the next analysis, on each of the manager's paths.
"""

from __future__ import annotations

from typing import Any

import anyio.lowlevel
import asyncpg
import pytest

from linkgress_async import DbModelConfig, PgClient
from linkgress_async.catalog import QualifiedName
from linkgress_async.introspect import KeptCatalog, introspect, read_catalog
from linkgress_async.introspect._catalog_state import CATALOG_STATE
from linkgress_async.manager import comparing
from linkgress_async.model.types import bigint, integer, text
from tests.integration.helpers import context, quiet, table

_SCHEMA = """
CREATE SCHEMA kept;
CREATE TABLE kept.rooms (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'hall');
CREATE TABLE kept.seats (id bigint PRIMARY KEY, room_id bigint REFERENCES kept.rooms);
CREATE INDEX seats_room ON kept.seats (room_id);
"""


def _logged_client(dsn: str, statements: list[str]) -> PgClient:
    """A client whose connections note every statement they run (PgClient's pool, which
    gives a connection back without a reset query after a clean read)."""

    async def log_statements(conn: asyncpg.Connection[Any]) -> None:
        conn.add_query_logger(lambda record: statements.append(record.query))

    return PgClient(dsn=dsn, min_size=2, max_size=2, init=log_statements)


async def test_an_unchanged_catalog_is_the_last_read_and_a_change_is_read_again(
    linkgress_dsn: str,
) -> None:
    setup = await asyncpg.connect(linkgress_dsn)
    statements: list[str] = []
    client = _logged_client(linkgress_dsn, statements)
    try:
        await setup.execute(_SCHEMA)
        pool = await client.connect()
        catalog, _, fingerprint = await read_catalog(pool, ["kept"], fingerprinted=True)
        assert fingerprint is not None
        assert fingerprint.catalog_state is not None
        kept = KeptCatalog(catalog, fingerprint)
        await anyio.lowlevel.checkpoint()  # asyncpg hands records over on the next turn
        statements.clear()

        again, value, same = await read_catalog(
            pool, ["kept"], "pg_catalog.current_database()", fingerprinted=True, since=kept
        )
        await anyio.lowlevel.checkpoint()
        assert again is catalog
        assert same is fingerprint
        assert value == await setup.fetchval("SELECT current_database()")
        [statement] = statements
        assert CATALOG_STATE in statement

        # Another scope is another read, whatever the state.
        statements.clear()
        wider, _, _ = await read_catalog(pool, ["kept", "public"], since=kept)
        await anyio.lowlevel.checkpoint()
        assert wider is not catalog
        assert len(statements) > 1
        excluded = frozenset({QualifiedName("kept", "seats")})
        narrower, _, _ = await read_catalog(pool, ["kept"], exclude_tables=excluded, since=kept)
        assert [t.name for t in narrower.tables] == ["rooms"]

        # A change made in another session is a new state: the catalog is read again.
        await setup.execute("ALTER TABLE kept.rooms ALTER COLUMN name SET DEFAULT 'room'")
        changed, _, new_print = await read_catalog(pool, ["kept"], fingerprinted=True, since=kept)
        assert changed is not catalog
        assert changed != catalog
        assert changed == await introspect(pool, ["kept"])
        assert new_print is not None
        assert new_print.catalog_state != fingerprint.catalog_state
    finally:
        await client.close()
        await setup.close()


def _model(model: DbModelConfig) -> None:
    table(model, "t", bigint("id").primary_key(), text("a"), integer("b"))


# Changes made by hand between two analyses, each of something the model declares.
_HAND_CHANGES = [
    pytest.param("ALTER TABLE t DROP COLUMN b", id="column-dropped"),
    pytest.param("ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x'", id="default-set"),
    pytest.param("ALTER TABLE t ALTER COLUMN a SET NOT NULL", id="not-null"),
    pytest.param("ALTER TABLE t ALTER COLUMN b TYPE bigint", id="type-changed"),
    pytest.param("ALTER TABLE t DROP CONSTRAINT t_pkey", id="key-dropped"),
    pytest.param("ALTER TABLE t RENAME COLUMN a TO z", id="column-renamed"),
]


@pytest.mark.parametrize("statement", _HAND_CHANGES)
@pytest.mark.parametrize("spelled", [False, True], ids=["new-manager", "same-manager"])
async def test_a_change_by_hand_between_two_analyses_is_seen(
    linkgress_dsn: str, statement: str, spelled: bool
) -> None:
    """The first analysis keeps its catalog for the client; the change by hand (another
    session) makes the next one read the catalog again and report it, through the same
    manager (the model's spelling kept too) or a new one (as a test fixture makes)."""
    async with context(_model)(PgClient(dsn=linkgress_dsn)) as db:
        manager = db.get_schema_manager(out=quiet)
        await manager.migrate()
        assert await manager.analyze() == []
        other = await asyncpg.connect(linkgress_dsn)
        try:
            await other.execute(statement)
        finally:
            await other.close()
        if not spelled:
            manager = db.get_schema_manager(out=quiet)
        seen = [op.describe() for op in await manager.analyze()]
        read_afresh = db.get_schema_manager(out=quiet, reuse_unchanged_catalog=False)
        assert seen
        assert seen == [op.describe() for op in await read_afresh.analyze()]
        # Applying it is a change too: the next analysis reads the catalog it made.
        assert await manager.migrate(interactive=False, allow_destructive=True)
        assert await manager.analyze() == []


async def test_the_last_comparison_is_kept_for_the_same_catalogs_and_policy(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unchanged catalog and spelling compare alike: the client's last comparison is
    taken, but only under the same ownership policy (which decides what is dropped)."""
    diffs: list[object] = []
    real = comparing.owned_diff_of

    def counted(*args: Any) -> Any:
        diffs.append(args)
        return real(*args)

    monkeypatch.setattr(comparing, "owned_diff_of", counted)
    async with context(_model)(PgClient(dsn=linkgress_dsn)) as db:
        keeping = db.get_schema_manager(out=quiet)
        await keeping.migrate()
        await db.client.query("CREATE TABLE extra (id integer)")
        assert await keeping.analyze() == []
        diffs.clear()
        plan = await keeping.plan()
        assert plan.operations == ()
        assert [item.name for item in plan.unmanaged] == ["extra"]
        assert diffs == []  # the last comparison, taken
        dropping = db.get_schema_manager(out=quiet, drop_unmanaged=True)
        assert [op.describe() for op in await dropping.analyze()] == ["Drop table 'extra'"]
        assert len(diffs) == 1  # another policy: compared again
        assert [op.describe() for op in await dropping.analyze()] == ["Drop table 'extra'"]
        assert await keeping.analyze() == []
        assert len(diffs) == 2
