from __future__ import annotations

from typing import TYPE_CHECKING

from linkgress_async import Migration

if TYPE_CHECKING:
    from examples.fastapi_app.database import TodoDatabase


class CreateTodos(Migration):
    async def up(self, db: TodoDatabase) -> None:
        await db.query(
            """
            CREATE TABLE "todos" (
                "id" bigint GENERATED ALWAYS AS IDENTITY,
                "title" varchar(200) NOT NULL,
                "created_at" timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT "todos_pkey" PRIMARY KEY ("id")
            )
            """
        )

    async def down(self, db: TodoDatabase) -> None:
        await db.query('DROP TABLE "todos"')
