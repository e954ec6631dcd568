"""The todo app's model. The files in ``migrations/`` create exactly this schema."""

from __future__ import annotations

from datetime import datetime

import attrs

from linkgress_async import DbContext, DbModelConfig, bigint, boolean, timestamptz, varchar


@attrs.define
class Todo:
    id: int
    title: str
    done: bool
    created_at: datetime


class TodoDatabase(DbContext):
    """One table; the model lets the app check that the migrations produced it."""

    def setup_model(self, model: DbModelConfig) -> None:
        with model.entity(Todo) as e:
            e.to_table("todos")
            e.property("id").has_type(bigint("id").primary_key().generated_always_as_identity())
            e.property("title").has_type(varchar("title", 200)).is_required()
            e.property("done").has_type(boolean("done")).is_required().has_default_value(False)
            e.property("created_at").has_type(
                timestamptz("created_at")
            ).is_required().has_default_sql("now()")
            e.has_index("ix_todos_open", ["created_at"], where="NOT done")
