"""ensure_created() makes a missing object whole: what belongs to it and attaches to it too.

Regression: it used to create tables, their keys and indexes, views and routines, but not
their comments, privileges, owners, triggers, policies or row-level security, so the first
``analyze()`` after it was not empty (found by the round-trip property test).
"""

from __future__ import annotations

from typing import Any

import attrs

from linkgress_async import (
    DbContext,
    DbModelConfig,
    PgClient,
    integer,
    text,
)
from linkgress_async.ops import SetComment
from linkgress_async.testing import DatabaseFactory

READER = "lk_parts_reader"


@attrs.define
class Note:
    id: int
    body: str


class NotesDb(DbContext):
    def setup_model(self, model: DbModelConfig) -> None:
        notes = model.schema("notes", comment="where the notes live")
        model.grant("USAGE", on=notes, to=READER)
        touch = model.function(
            "touch",
            "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            schema="notes",
            comment="returns the row as it came",
        )
        model.revoke("EXECUTE", on=touch, from_="PUBLIC")
        model.grant("EXECUTE", on=touch, to=READER)
        with model.entity(Note) as e:
            e.to_table("note", schema="notes")
            e.property("id").has_type(integer("id").primary_key())
            e.property("body").has_type(text("body")).has_comment("what the note says")
            e.has_comment("one row per note")
            e.grant("SELECT", to=READER)
            e.grant("UPDATE", to=READER, columns="body")
            e.has_index("note_body", "body", comment="finds notes by body")
            e.has_trigger("note_touch", touch, timing="before", events="update", for_each="row")
            e.has_row_level_security(force=True)
            e.has_policy("note_read", command="select", to=READER, using="true")


async def _reader(dsn: str) -> None:
    async with PgClient(dsn=dsn) as client:
        await client.query(
            f"DO $$ BEGIN CREATE ROLE {READER}; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )


async def test_ensure_created_makes_every_part_of_a_new_object(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await linkgress_databases.create()
    await _reader(dsn)
    async with NotesDb(PgClient(dsn=dsn)) as db:
        manager = db.get_schema_manager(out=lambda line: None)
        created = await manager.ensure_created()
        assert await manager.analyze() == []
        facts = await db.query(
            "SELECT obj_description('notes.note'::regclass, 'pg_class') AS comment,"
            " (SELECT relforcerowsecurity FROM pg_class WHERE oid = 'notes.note'::regclass)"
            " AS forced,"
            " has_table_privilege($1, 'notes.note', 'SELECT') AS can_read,"
            " (SELECT count(*) FROM pg_trigger WHERE tgname = 'note_touch') AS triggers,"
            " (SELECT count(*) FROM pg_policy WHERE polname = 'note_read') AS policies",
            READER,
        )
    assert dict(facts[0]) == {
        "comment": "one row per note",
        "forced": True,
        "can_read": True,
        "triggers": 1,
        "policies": 1,
    }
    assert any(isinstance(op, SetComment) for op in created)


async def test_ensure_created_leaves_an_existing_objects_parts_alone(
    linkgress_databases: DatabaseFactory,
) -> None:
    dsn = await linkgress_databases.create()
    await _reader(dsn)
    async with PgClient(dsn=dsn) as client:
        for statement in (
            "CREATE SCHEMA notes",
            "CREATE TABLE notes.note (id integer PRIMARY KEY, body text)",
            "COMMENT ON TABLE notes.note IS 'written by hand'",
        ):
            await client.query(statement)
    async with NotesDb(PgClient(dsn=dsn)) as db:
        manager = db.get_schema_manager(out=lambda line: None)
        created = await manager.ensure_created()
        described: list[Any] = [op.describe() for op in created]
        comment = await db.query("SELECT obj_description('notes.note'::regclass, 'pg_class') AS c")
    assert comment[0]["c"] == "written by hand"
    assert not any("notes.note" in text and "omment" in text for text in described), described
