"""The FastAPI example through its ASGI interface: startup migrates, the routes work."""

from __future__ import annotations

import logging

import httpx
import pytest

from examples.fastapi_app.database import TodoDatabase
from examples.fastapi_app.main import MIGRATIONS, create_app
from linkgress_async import MigrationError, MigrationRunner, PgClient
from linkgress_async.testing import created


async def test_startup_applies_the_migrations_and_the_routes_work(
    linkgress_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="examples.fastapi_app")
    app = create_app(linkgress_dsn)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        assert (await http.get("/todos")).json() == []
        added = await http.post("/todos", json={"title": "write docs"})
        assert added.status_code == 201, added.text
        todo = added.json()
        assert (todo["title"], todo["done"]) == ("write docs", False)
        done = await http.post(f"/todos/{todo['id']}/done")
        assert done.json()["done"] is True
        assert (await http.post("/todos/999/done")).status_code == 404
        assert (await http.post("/todos", json={"title": ""})).status_code == 422
        assert [t["title"] for t in (await http.get("/todos")).json()] == ["write docs"]
    # The migrations produce the model exactly: no drift was reported.
    assert "differs from the model" not in caplog.text

    db = TodoDatabase(PgClient(dsn=linkgress_dsn))
    async with db:
        runner = MigrationRunner(db, migrations_directory=MIGRATIONS, verbose=False)
        assert await runner.get_pending() == []
        assert await runner.get_applied() == sorted(p.name for p in MIGRATIONS.glob("2*.py"))
        assert await db.get_schema_manager(out=lambda _: None).analyze() == []


async def test_a_second_start_applies_nothing_and_keeps_the_data(linkgress_dsn: str) -> None:
    for expected in (["first"], ["first", "first"]):
        app = create_app(linkgress_dsn)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
        ):
            await http.post("/todos", json={"title": "first"})
            assert [t["title"] for t in (await http.get("/todos")).json()] == expected


async def test_a_failing_migration_stops_startup(linkgress_dsn: str) -> None:
    async with created(TodoDatabase, linkgress_dsn, delete=False):
        pass  # the table exists, but not through the files: the first file cannot apply
    app = create_app(linkgress_dsn)
    with pytest.raises(MigrationError, match=r"20240101_120000_create_todos\.py failed"):
        async with app.router.lifespan_context(app):
            pytest.fail("the app must not start")


async def test_drift_between_the_database_and_the_model_is_logged(
    linkgress_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="examples.fastapi_app")
    app = create_app(linkgress_dsn)
    async with app.router.lifespan_context(app):
        await app.state.db.query("ALTER TABLE todos ADD COLUMN extra int")
    assert "differs from the model" not in caplog.text
    async with app.router.lifespan_context(app):
        pass
    assert "the database differs from the model: Drop column 'todos.extra'" in caplog.text
