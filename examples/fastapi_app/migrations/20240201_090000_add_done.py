from __future__ import annotations

from typing import TYPE_CHECKING

from linkgress_async import Migration

if TYPE_CHECKING:
    from examples.fastapi_app.database import TodoDatabase


class AddDone(Migration):
    async def up(self, db: TodoDatabase) -> None:
        await db.query('ALTER TABLE "todos" ADD COLUMN "done" boolean NOT NULL DEFAULT false')
        await db.query('CREATE INDEX "ix_todos_open" ON "todos" ("created_at") WHERE NOT "done"')

    async def down(self, db: TodoDatabase) -> None:
        await db.query('DROP INDEX "ix_todos_open"')
        await db.query('ALTER TABLE "todos" DROP COLUMN "done"')
