"""Ownership against a real server: undeclared objects are kept unless the user opts in."""

from __future__ import annotations

import builtins
import io
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings

from linkgress_async import (
    DbModelConfig,
    DbSchemaManager,
    DestructiveMigrationError,
    PgClient,
    enum_column,
    integer,
    text,
)
from linkgress_async.errors import NoSchemaDifferencesError
from linkgress_async.migrations import MigrationScaffold
from linkgress_async.ops import DropIndex
from linkgress_async.testing import DatabaseFactory
from tests.integration.helpers import Setup, context, quiet, table
from tests.integration.random_models import ModelSpec, context_for, model_specs
from tests.integration.test_roundtrip_property import _create_role

# Objects a DBA makes by hand in the managed schema ``public``: a table with a serial column
# (its sequence belongs to the column), an enum, a standalone sequence, a partitioned table
# with a partition (a table like any other), and a table that belongs to an extension.
HAND_MADE = """
CREATE TABLE public.legacy (id serial PRIMARY KEY, note text);
INSERT INTO public.legacy (note) VALUES ('precious');
CREATE TYPE public.hand_mood AS ENUM ('x', 'y');
CREATE SEQUENCE public.hand_seq;
CREATE TABLE public.events (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE public.events_2024 PARTITION OF public.events
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.ext_member (id int);
ALTER EXTENSION plpgsql ADD TABLE public.ext_member;
"""
KEPT = [
    "table 'public.events_2024'",
    "table 'public.events'",
    "table 'public.legacy'",
    "sequence 'public.hand_seq'",
    "enum 'public.hand_mood'",
]


def users(model: DbModelConfig) -> None:
    table(model, "users", integer("id").primary_key(), text("email")).has_index(
        "ix_users_email", ["email"]
    )


async def prepare(dsn: str, setup: Setup = users, sql: str = HAND_MADE) -> None:
    """Create ``setup``'s model, then the hand-made objects."""
    async with context(setup)(PgClient(dsn=dsn)) as db:
        await db.get_schema_manager(out=quiet).ensure_created()
        await db.execute(sql)


async def relations(dsn: str) -> list[str]:
    async with context(users)(PgClient(dsn=dsn)) as db:
        found = await db.query(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            " AND relkind IN ('r', 'p', 'S') ORDER BY relname"
        )
    return [r["relname"] for r in found]


def manager(db: Any, lines: list[str] | None = None, **options: Any) -> DbSchemaManager:
    out = lines.append if lines is not None else quiet
    sm: DbSchemaManager = db.get_schema_manager(out=out, **options)
    return sm


async def test_undeclared_objects_are_reported_and_kept_by_default(linkgress_dsn: str) -> None:
    await prepare(linkgress_dsn)
    before = await relations(linkgress_dsn)
    lines: list[str] = []
    async with context(users)(PgClient(dsn=linkgress_dsn)) as db:
        sm = manager(db, lines)
        plan = await sm.plan()
        assert plan.operations == ()
        assert [item.describe() for item in plan.unmanaged] == KEPT
        assert await sm.analyze() == []
        assert await sm.migrate(interactive=False) == []
        await sm.ensure_deleted()  # drops the model's objects only
    assert lines[0] == "Database schema is up to date. No changes needed."
    assert lines[1:8] == ["", "Not in the model (kept, 5 objects):"] + [f"  - {k}" for k in KEPT]
    assert lines[8:] == [
        "  Never dropped unless you opt in: drop_unmanaged=True (every one) or patterns",
        "  (drop_unmanaged=['public.events_2024']); exclude=[...] stops reporting them.",
    ]
    assert await relations(linkgress_dsn) == [r for r in before if r != "users"]


async def test_kept_block_follows_the_operations(linkgress_dsn: str) -> None:
    await prepare(linkgress_dsn, sql="CREATE TABLE public.legacy (id int)")

    def with_notes(model: DbModelConfig) -> None:
        users(model)
        table(model, "notes", integer("id").primary_key())

    lines: list[str] = []
    async with context(with_notes)(PgClient(dsn=linkgress_dsn)) as db:
        applied = await manager(db, lines).migrate(interactive=False)
    assert [op.describe() for op in applied] == ["Create table 'notes'"]
    assert lines[:5] == [
        "Migration plan (1 operation):",
        "  1. Create table 'notes'",
        "",
        "Not in the model (kept, 1 object):",
        "  - table 'public.legacy'",
    ]


async def test_drop_unmanaged_true_drops_them_as_destructive_operations(
    linkgress_dsn: str,
) -> None:
    await prepare(linkgress_dsn)
    async with context(users)(PgClient(dsn=linkgress_dsn)) as db:
        sm = manager(db, drop_unmanaged=True)
        with pytest.raises(DestructiveMigrationError) as refused:
            await sm.migrate(interactive=False)
        assert [op.type for op in refused.value.operations] == [
            "drop_table",
            "drop_table",
            "drop_table",
            "drop_sequence",
            "drop_enum",
        ]
        await sm.migrate(allow_destructive=True)
        plan = await sm.plan()
        assert plan.operations == ()
        assert plan.unmanaged == ()
    # The partition went with its table; the extension's table was never the model's business.
    assert await relations(linkgress_dsn) == ["ext_member", "users"]


async def test_drop_unmanaged_patterns_drop_only_what_matches(linkgress_dsn: str) -> None:
    await prepare(linkgress_dsn)
    async with context(users)(PgClient(dsn=linkgress_dsn)) as db:
        sm = manager(db, drop_unmanaged=["public.legacy", "*.hand_*"])
        applied = await sm.migrate(allow_destructive=True)
        assert [op.describe() for op in applied] == [
            "Drop table 'legacy'",
            "Drop sequence 'hand_seq'",
            "Drop enum 'hand_mood'",
        ]
        assert [item.describe() for item in (await sm.plan()).unmanaged] == [
            "table 'public.events_2024'",
            "table 'public.events'",
        ]
    assert await relations(linkgress_dsn) == ["events", "events_2024", "ext_member", "users"]


async def test_exclude_hides_tables_and_hand_made_indexes(linkgress_dsn: str) -> None:
    await prepare(
        linkgress_dsn,
        sql="CREATE TABLE public.legacy (id int);"
        " CREATE INDEX ix_manual_email ON public.users (lower(email));"
        " CREATE INDEX ix_stale ON public.users (id, email);",
    )
    async with context(users)(PgClient(dsn=linkgress_dsn)) as db:
        sm = manager(db, exclude=["public.legacy", "public.users.ix_manual_*"])
        plan = await sm.plan()
        assert plan.unmanaged == ()
        assert [op.describe() for op in plan.operations] == [
            DropIndex("users", "ix_stale").describe()
        ]
        await sm.migrate(interactive=False)  # dropping an index is not destructive
        assert await sm.analyze() == []
        # Without the pattern the hand-made index is part of the declared table's shape.
        assert [op.type for op in await manager(db).analyze()] == ["drop_index"]
    assert "legacy" in await relations(linkgress_dsn)


async def test_a_scaffold_never_writes_a_drop_of_an_undeclared_table(
    linkgress_dsn: str, tmp_path: Path
) -> None:
    await prepare(linkgress_dsn, sql="CREATE TABLE public.legacy (id int)")
    async with context(users)(PgClient(dsn=linkgress_dsn)) as db:
        with pytest.raises(NoSchemaDifferencesError):
            await MigrationScaffold(db, tmp_path).scaffold("tests.integration.helpers")
    assert [path async for path in anyio.Path(tmp_path).iterdir()] == []


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer", ["yes", "no"])
async def test_a_kept_table_is_still_a_rename_candidate(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    await prepare(
        linkgress_dsn, sql="CREATE TABLE public.legacy (id int); INSERT INTO legacy VALUES (7)"
    )
    asked: list[str] = []

    def fake_input(prompt: object = "") -> str:
        asked.append(str(prompt))
        return answer

    def with_people(model: DbModelConfig) -> None:
        users(model)
        table(model, "people", integer("id"))

    monkeypatch.setattr(sys, "stdin", FakeTty())
    monkeypatch.setattr(builtins, "input", fake_input)
    async with context(with_people)(PgClient(dsn=linkgress_dsn)) as db:
        applied = await manager(db).migrate()
        people = await db.query("SELECT id FROM people")
    assert asked == ["Did you rename table 'legacy' to 'people'? (yes/no): "]
    if answer == "yes":
        assert [op.type for op in applied] == ["rename_table"]
        assert [r["id"] for r in people] == [7]
    else:
        assert [op.type for op in applied] == ["create_table"]
        assert "legacy" in await relations(linkgress_dsn)


async def test_a_rebuilt_enum_converts_the_columns_of_kept_tables(linkgress_dsn: str) -> None:
    def mood(*values: str) -> Setup:
        def setup(model: DbModelConfig) -> None:
            kind = model.enum("mood", list(values))
            table(model, "users", integer("id").primary_key(), enum_column("m", kind))

        return setup

    await prepare(
        linkgress_dsn,
        mood("a", "b", "c"),
        "CREATE TABLE public.legacy (m public.mood DEFAULT 'c');"
        " INSERT INTO legacy VALUES ('a'), (DEFAULT)",
    )
    async with context(mood("c", "a"))(PgClient(dsn=linkgress_dsn)) as db:
        sm = manager(db)
        applied = await sm.migrate(interactive=False)  # no row holds 'b': nothing is lost
        assert [op.type for op in applied] == ["rebuild_enum"]
        assert await sm.analyze() == []
        await db.execute("INSERT INTO legacy DEFAULT VALUES")
        found = await db.query("SELECT m::text AS m, pg_typeof(m)::text AS t FROM legacy")
    assert sorted((r["m"], r["t"]) for r in found) == [("a", "mood"), ("c", "mood"), ("c", "mood")]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(a=model_specs(), b=model_specs())
async def test_by_default_migrating_between_random_models_keeps_the_old_tables(
    linkgress_databases: DatabaseFactory, a: ModelSpec, b: ModelSpec
) -> None:
    dsn = await linkgress_databases.create()
    await _create_role(dsn)
    async with context_for(a)(PgClient(dsn=dsn, max_size=4)) as db_a:
        await db_a.get_schema_manager(out=quiet).ensure_created()
    async with context_for(b)(PgClient(dsn=dsn, max_size=4)) as db_b:
        sm = manager(db_b)
        await sm.migrate(allow_destructive=True)
        plan = await sm.plan()
        assert plan.operations == ()
        kept = {(u.schema_name, u.name) for u in plan.unmanaged if u.kind == "table"}
        # Only the schemas B uses are managed; B's tables are declared, whatever A had.
        managed = set(db_b.model.schemas)
        declared_b = {(t.schema, t.name) for t in db_b.model.tables}
        old = {(t.schema, t.name) for t in db_a.model.tables if t.schema in managed}
        assert kept == old - declared_b
