"""The ``linkgress_context`` fixture and ``created()``, in pytest runs of their own.

Each inner run reaches our session server through ``LINKGRESS_TEST_DSN``, so it starts no
server. The inner tests create their model in a database this test owns (``APP_DSN``), so that
what is left there after the run shows whether ``ensure_deleted()`` ran. The runs are
subprocesses: in-process runs would re-import the library's lazily imported modules and mix two
copies of its classes.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from linkgress_async.testing import ENV_DSN, DatabaseFactory, LinkgressServer

INNER_MODEL = """
import os

import attrs
import pytest

from linkgress_async import DbContext, DbModelConfig, integer, text
from linkgress_async.testing import created

APP_DSN = os.environ["APP_DSN"]


@attrs.define
class Note:
    id: int
    body: str


class NotesDb(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        with model.entity(Note) as e:
            e.to_table("notes", schema="app")
            e.property("id").has_type(integer("id").primary_key())
            e.property("body").has_type(text("body")).is_required()


async def tables(db):
    rows = await db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'app'")
    return [row["tablename"] for row in rows]
"""

INNER_TESTS = """
async def test_passes(linkgress_context):
    db = await linkgress_context(NotesDb, dsn=APP_DSN)
    assert await tables(db) == ["notes"]
    await db.query("INSERT INTO app.notes VALUES (1, 'kept until the end of the test')")


async def test_fails_and_still_cleans_up(linkgress_context):
    db = await linkgress_context(NotesDb, dsn=APP_DSN)
    # Fails if the previous test's table had not been dropped.
    assert [tuple(r) for r in await db.query("SELECT count(*) FROM app.notes")] == [(0,)]
    raise AssertionError("deliberate failure")


async def test_default_database_is_the_tests_own(linkgress_context, linkgress_dsn):
    db = await linkgress_context(NotesDb)
    assert db.client.dsn == linkgress_dsn
    assert await tables(db) == ["notes"]


async def test_created_helper(linkgress_dsn):
    async with created(NotesDb, APP_DSN) as db:
        assert await tables(db) == ["notes"]
    async with created(NotesDb, linkgress_dsn, delete=False) as db:
        pass
    async with created(NotesDb, linkgress_dsn) as db:
        assert await tables(db) == ["notes"]
"""

ANYIO_HEADER = """
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


def leftovers(dsn: str) -> list[str]:
    """The schemas and tables of the inner model still present in ``dsn``."""

    async def run() -> list[str]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT nspname AS name FROM pg_namespace WHERE nspname = 'app'"
                " UNION ALL SELECT tablename FROM pg_tables WHERE schemaname = 'app'"
            )
            return [row["name"] for row in rows]
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def inner(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    linkgress_server: LinkgressServer,
    linkgress_databases: DatabaseFactory,
) -> str:
    """Point inner runs at our server and at a database of ours; return that database."""
    app_dsn = linkgress_databases.create_sync()
    monkeypatch.setenv(ENV_DSN, linkgress_server.admin_dsn)
    monkeypatch.setenv("APP_DSN", app_dsn)
    return app_dsn


def asyncio_ini(pytester: pytest.Pytester) -> None:
    """The inner run's configuration for pytest-asyncio in auto mode."""
    pytester.makeini(
        "[pytest]\n"
        "asyncio_mode = auto\n"
        "asyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )


@pytest.mark.parametrize(
    ("plugin_args", "header"),
    [
        pytest.param((), "", id="pytest-asyncio"),
        pytest.param(("-p", "no:asyncio"), ANYIO_HEADER, id="anyio"),
    ],
)
def test_contexts_are_created_for_the_test_and_deleted_after_it(
    pytester: pytest.Pytester, inner: str, plugin_args: tuple[str, ...], header: str
) -> None:
    if header:
        pytester.makeini("[pytest]\nfilterwarnings = error\n")
    else:
        asyncio_ini(pytester)
    pytester.makepyfile(test_inner=INNER_MODEL + header + INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *plugin_args)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: deliberate failure*"])
    # Everything the model created is gone, the schema too, also after the failing test.
    assert leftovers(inner) == []


def test_a_sync_test_that_leaves_contexts_open_gets_a_clear_error(
    pytester: pytest.Pytester, inner: str
) -> None:
    asyncio_ini(pytester)
    pytester.makepyfile(
        test_inner=INNER_MODEL
        + """
import asyncio


def test_sync(linkgress_context):
    async def use():
        db = await linkgress_context(NotesDb, dsn=APP_DSN)
        # Done here, inside the loop, the cleanup works from a sync test too.
        await linkgress_context.aclose()
        return db

    asyncio.run(use())
    assert linkgress_context.pending == 0


def test_sync_forgets(linkgress_context):
    async def use():
        db = await linkgress_context(NotesDb)
        await db.dispose()

    asyncio.run(use())
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*linkgress_context: *test_sync_forgets left 1 context open*created(Cls, dsn)*"]
    )
    assert leftovers(inner) == []
