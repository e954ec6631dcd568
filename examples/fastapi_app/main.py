"""The todo API. Startup applies pending migrations; requests then use one shared pool.

    DATABASE_URL=postgresql://user:password@host:5432/dbname uvicorn examples.fastapi_app.main:app

Several app processes may start at once: the runner's advisory lock makes exactly one of them
apply each migration while the others wait, then skip what is done.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from examples.fastapi_app.database import TodoDatabase
from linkgress_async import MigrationError, MigrationRunner, PgClient

MIGRATIONS = Path(__file__).with_name("migrations")

log = logging.getLogger("examples.fastapi_app")


class NewTodo(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class TodoOut(BaseModel):
    id: int
    title: str
    done: bool
    created_at: datetime


async def migrate(db: TodoDatabase) -> None:
    """Apply pending migration files, then check that they produced the model's schema."""
    result = await MigrationRunner(db, migrations_directory=MIGRATIONS, logger=log.info).up()
    if result.failed is not None:
        # That file was rolled back; refuse to serve requests against a half-migrated schema.
        raise MigrationError(f"{result.failed.filename} failed: {result.failed.error}")
    drift = await db.get_schema_manager(out=log.info).analyze()
    for operation in drift:
        log.warning("the database differs from the model: %s", operation.describe())


def create_app(dsn: str | None = None) -> FastAPI:
    """The app; ``dsn`` defaults to ``DATABASE_URL``, read when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = TodoDatabase(PgClient(dsn=dsn or os.environ["DATABASE_URL"]))
        async with db:  # closes the pool at shutdown
            await migrate(db)
            app.state.db = db
            yield

    app = FastAPI(title="Todos", lifespan=lifespan)
    add_routes(app)
    return app


def get_db(request: Request) -> TodoDatabase:
    """The context the lifespan opened."""
    db: TodoDatabase = request.app.state.db
    return db


Db = Annotated[TodoDatabase, Depends(get_db)]


def add_routes(app: FastAPI) -> None:
    """The API's routes."""

    @app.get("/todos")
    async def list_todos(db: Db) -> list[TodoOut]:
        rows = await db.query("SELECT id, title, done, created_at FROM todos ORDER BY id")
        return [TodoOut(**dict(row)) for row in rows]

    @app.post("/todos", status_code=201)
    async def add_todo(todo: NewTodo, db: Db) -> TodoOut:
        [row] = await db.query(
            "INSERT INTO todos (title) VALUES ($1) RETURNING id, title, done, created_at",
            todo.title,
        )
        return TodoOut(**dict(row))

    @app.post("/todos/{todo_id}/done")
    async def finish_todo(todo_id: int, db: Db) -> TodoOut:
        rows = await db.query(
            "UPDATE todos SET done = true WHERE id = $1 RETURNING id, title, done, created_at",
            todo_id,
        )
        if not rows:
            raise HTTPException(status_code=404, detail=f"no todo {todo_id}")
        return TodoOut(**dict(rows[0]))


app = create_app()
