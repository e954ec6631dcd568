"""Views and functions declared in the model, against a real PostgreSQL: created after the
tables they use, diffed by the server's spelling (re-analysis is empty), replaced when they
change, dropped and recreated around column changes under them, reversed by the scaffold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linkgress_async import (
    DbModelConfig,
    ModelError,
    PgClient,
    enum_column,
    integer,
    text,
    varchar,
)
from linkgress_async.migrations import MigrationRunner, MigrationScaffold
from linkgress_async.ops import MigrationOperation
from tests.integration.helpers import Setup, context, quiet, table

ADD = "(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$"


async def migrate(
    dsn: str, setup: Setup, *, drop_unmanaged: bool = False
) -> list[MigrationOperation]:
    """Migrate to ``setup``'s model and check that nothing is left to do."""
    async with context(setup)(PgClient(dsn=dsn)) as db:
        sm = db.get_schema_manager(out=quiet, drop_unmanaged=drop_unmanaged)
        applied = await sm.migrate(allow_destructive=True)
        assert await sm.analyze() == []
        return applied


async def analyze(dsn: str, setup: Setup) -> list[MigrationOperation]:
    async with context(setup)(PgClient(dsn=dsn)) as db:
        return await db.get_schema_manager(out=quiet).analyze()


async def rows(dsn: str, query: str) -> list[tuple[Any, ...]]:
    async with context(lambda model: None)(PgClient(dsn=dsn)) as db:
        return [tuple(r.values()) for r in await db.query(query)]


def types(ops: list[MigrationOperation]) -> list[str]:
    return [op.type for op in ops]


def users(model: DbModelConfig, name_type: str = "varchar") -> None:
    name = varchar("name", 50) if name_type == "varchar" else text("name")
    table(model, "users", integer("id").primary_key(), name).property("name").is_required()


def users_and_view(model: DbModelConfig) -> None:
    users(model)
    model.view("user_names", "SELECT id, name FROM users")


async def test_views_and_functions_are_created_after_tables_and_reanalyze_empty(
    linkgress_dsn: str,
) -> None:
    def setup(model: DbModelConfig) -> None:
        users_and_view(model)
        model.function("add", ADD)

    applied = await migrate(linkgress_dsn, setup)
    assert types(applied) == ["create_table", "create_function", "create_view"]
    await rows(linkgress_dsn, "INSERT INTO users VALUES (1, 'ada')")
    assert await rows(linkgress_dsn, "SELECT name, add(id, 41) FROM user_names") == [("ada", 42)]


async def test_changed_view_sql_is_replaced(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, users_and_view)

    def changed(model: DbModelConfig) -> None:
        users(model)
        model.view("user_names", "SELECT name FROM users WHERE id > 0")

    applied = await migrate(linkgress_dsn, changed)
    assert types(applied) == ["drop_view", "create_view"]
    assert await rows(
        linkgress_dsn,
        "SELECT attname FROM pg_attribute WHERE attrelid = 'user_names'::regclass",
    ) == [("name",)]


async def test_changed_function_body_is_replaced_in_place(linkgress_dsn: str) -> None:
    def first(model: DbModelConfig) -> None:
        model.function("add", ADD)
        model.view("answer", "SELECT add(40, 2) AS value")

    await migrate(linkgress_dsn, first)

    def second(model: DbModelConfig) -> None:
        model.function("add", ADD.replace("a + b", "a + b + 1"))
        model.view("answer", "SELECT add(40, 2) AS value")

    applied = await migrate(linkgress_dsn, second)
    # OR REPLACE keeps the view that calls it.
    assert types(applied) == ["create_function"]
    assert "Replace function 'add(a integer, b integer)'" in applied[0].describe()
    assert await rows(linkgress_dsn, "SELECT value FROM answer") == [(43,)]


async def test_changed_function_result_is_dropped_and_created(linkgress_dsn: str) -> None:
    def first(model: DbModelConfig) -> None:
        model.function("add", ADD)
        model.view("answer", "SELECT add(40, 2) AS value")

    await migrate(linkgress_dsn, first)

    def second(model: DbModelConfig) -> None:
        model.function("add", ADD.replace("RETURNS integer", "RETURNS bigint"))
        model.view("answer", "SELECT add(40, 2) AS value")

    applied = await migrate(linkgress_dsn, second)
    assert types(applied) == ["drop_view", "drop_function", "create_function", "create_view"]
    assert await rows(linkgress_dsn, "SELECT pg_typeof(value)::text FROM answer") == [("bigint",)]


async def test_overloads_are_separate_functions(linkgress_dsn: str) -> None:
    def both(model: DbModelConfig) -> None:
        model.function("twice", "(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x * 2 $$")
        model.function("twice", "(x text) RETURNS text LANGUAGE sql AS $$ SELECT x || x $$")

    applied = await migrate(linkgress_dsn, both)
    assert types(applied) == ["create_function", "create_function"]
    assert await rows(linkgress_dsn, "SELECT twice(21), twice('ab'::text)") == [(42, "abab")]

    def one(model: DbModelConfig) -> None:
        model.function("twice", "(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x * 2 $$")

    applied = await migrate(linkgress_dsn, one, drop_unmanaged=True)
    assert [op.describe() for op in applied] == ["Drop function 'twice(x text)'"]


async def test_same_overload_declared_twice_is_a_model_error(linkgress_dsn: str) -> None:
    def twice(model: DbModelConfig) -> None:
        model.function("add", ADD)
        model.function("add", ADD.replace("a + b", "b + a"))

    with pytest.raises(ModelError, match=r"add\(a integer, b integer\) is declared twice"):
        await analyze(linkgress_dsn, twice)


async def test_syntax_error_in_a_view_is_a_model_error(linkgress_dsn: str) -> None:
    def broken(model: DbModelConfig) -> None:
        users(model)
        model.view("bad", "SELEC id FROM users")

    with pytest.raises(ModelError, match=r"view public\.bad"):
        await analyze(linkgress_dsn, broken)


async def test_column_type_change_under_a_view_recreates_it(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, users_and_view)
    await rows(linkgress_dsn, "INSERT INTO users VALUES (1, 'ada'), (2, 'grace')")

    def wider(model: DbModelConfig) -> None:
        users(model, "text")
        model.view("user_names", "SELECT id, name FROM users")

    applied = await migrate(linkgress_dsn, wider)
    assert types(applied) == ["drop_view", "alter_column", "create_view"]
    assert "(recreated below)" in applied[0].describe()
    assert await rows(linkgress_dsn, "SELECT name FROM user_names ORDER BY id") == [
        ("ada",),
        ("grace",),
    ]


async def test_undeclared_view_under_a_type_change_comes_back(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, users)
    await rows(linkgress_dsn, "CREATE VIEW by_hand AS SELECT name FROM users")

    applied = await migrate(linkgress_dsn, lambda model: users(model, "text"))
    assert types(applied) == ["drop_view", "alter_column", "create_view"]
    assert await rows(
        linkgress_dsn,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = 'by_hand'::regclass",
    ) == [("text",)]


async def test_enum_rebuilt_under_a_view_recreates_it(linkgress_dsn: str) -> None:
    def moods(*values: str) -> Setup:
        def setup(model: DbModelConfig) -> None:
            mood = model.enum("mood", list(values))
            table(model, "people", integer("id").primary_key(), enum_column("m", mood))
            model.view("moods", "SELECT id, m FROM people")

        return setup

    await migrate(linkgress_dsn, moods("sad", "happy", "calm"))
    await rows(linkgress_dsn, "INSERT INTO people VALUES (1, 'happy')")
    # Removing a value nobody holds rebuilds the type: the view must make way.
    applied = await migrate(linkgress_dsn, moods("happy", "sad"))
    assert types(applied) == ["drop_view", "rebuild_enum", "create_view"]
    assert await rows(linkgress_dsn, "SELECT m::text FROM moods") == [("happy",)]


async def test_views_over_views_follow_their_dependencies(linkgress_dsn: str) -> None:
    def stacked(model: DbModelConfig) -> None:
        users(model)
        # Declared out of order: the server's dependencies decide once it can read them.
        model.view("top", "SELECT id FROM middle WHERE id > 1")
        model.view("middle", "SELECT id, name FROM users")

    def stacked_in_order(model: DbModelConfig) -> None:
        users(model)
        model.view("middle", "SELECT id, name FROM users")
        model.view("top", "SELECT id FROM middle WHERE id > 1")

    applied = await migrate(linkgress_dsn, stacked_in_order)
    assert [op.describe() for op in applied][-2:] == ["Create view 'middle'", "Create view 'top'"]
    assert await analyze(linkgress_dsn, stacked) == []

    def changed_middle(model: DbModelConfig) -> None:
        users(model)
        model.view("top", "SELECT id FROM middle WHERE id > 1")
        model.view("middle", "SELECT id, upper(name) AS name FROM users")

    applied = await migrate(linkgress_dsn, changed_middle)
    assert [op.describe() for op in applied] == [
        "Drop view 'top' (recreated below)",
        "Drop view 'middle' (recreated below)",
        "Create view 'middle'",
        "Create view 'top'",
    ]


async def test_table_rename_under_a_view(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, users_and_view)
    await rows(linkgress_dsn, "INSERT INTO users VALUES (1, 'ada')")

    def renamed(model: DbModelConfig) -> None:
        entity = table(model, "people", integer("id").primary_key(), varchar("name", 50))
        entity.to_table("people", renamed_from="users")
        entity.property("name").is_required()
        model.view("user_names", "SELECT id, name FROM people")

    applied = await migrate(linkgress_dsn, renamed)
    assert types(applied) == ["drop_view", "rename_table", "rename_constraint", "create_view"]
    assert await rows(linkgress_dsn, "SELECT name FROM user_names") == [("ada",)]
    # The reverse (a scaffolded down()) restores the old names and the old view.
    async with context(renamed)(PgClient(dsn=linkgress_dsn)) as db:
        inverse = [op.reverse() for op in reversed(applied)]
        async with db.transaction():
            for op in inverse:
                assert op is not None
                for statement in db.get_schema_manager().to_sql([op]):
                    await db.query(statement)
    assert await analyze(linkgress_dsn, users_and_view) == []
    assert await rows(linkgress_dsn, "SELECT name FROM user_names") == [("ada",)]


async def test_removed_view_and_function_are_reported_then_dropped_on_opt_in(
    linkgress_dsn: str,
) -> None:
    def setup(model: DbModelConfig) -> None:
        users_and_view(model)
        model.function("add", ADD)

    await migrate(linkgress_dsn, setup)
    # Not declared any more: kept (and reported) unless the user opts in.
    assert await analyze(linkgress_dsn, users) == []
    applied = await migrate(linkgress_dsn, users, drop_unmanaged=True)
    assert sorted(types(applied)) == ["drop_function", "drop_view"]
    assert await rows(
        linkgress_dsn, "SELECT count(*) FROM pg_class WHERE relname = 'user_names'"
    ) == [(0,)]


async def test_ensure_created_and_ensure_deleted(linkgress_dsn: str) -> None:
    def setup(model: DbModelConfig) -> None:
        users_and_view(model)
        model.function("add", ADD)

    Model = context(setup)
    async with Model(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        created = await sm.ensure_created()
        assert types(created) == ["create_table", "create_function", "create_view"]
        assert await sm.analyze() == []
        deleted = await sm.ensure_deleted()
        assert types(deleted) == ["drop_view", "drop_function", "drop_table"]
    assert await rows(
        linkgress_dsn,
        "SELECT count(*) FROM pg_proc"
        " WHERE proname = 'add' AND pronamespace = 'public'::regnamespace",
    ) == [(0,)]


async def test_scaffold_up_and_down_round_trip(linkgress_dsn: str, tmp_path: Path) -> None:
    def before(model: DbModelConfig) -> None:
        users_and_view(model)
        model.function("add", ADD)

    def after(model: DbModelConfig) -> None:
        users(model, "text")
        model.view("user_names", "SELECT id, upper(name) AS name FROM users")
        model.function("add", ADD.replace("a + b", "a + b + 1"))

    await migrate(linkgress_dsn, before)
    await rows(linkgress_dsn, "INSERT INTO users VALUES (1, 'ada')")
    Model = context(after)
    async with Model(PgClient(dsn=linkgress_dsn)) as db:
        scaffold = MigrationScaffold(db, tmp_path)
        result = await scaffold.scaffold(__name__, name="views")
        assert types(list(result.operations)) == [
            "drop_view",
            "alter_column",
            "create_function",
            "create_view",
        ]
        down_source = result.path.read_text().split("async def down")[1]
        assert "cannot be reverted" not in down_source
        runner = MigrationRunner(db, tmp_path, verbose=False)
        assert (await runner.up()).applied == [result.filename]
        assert await db.get_schema_manager(out=quiet).analyze() == []
        assert await rows(linkgress_dsn, "SELECT name, add(1, 1) FROM user_names") == [("ADA", 3)]
        assert (await runner.down(1)).applied == [result.filename]
    assert await analyze(linkgress_dsn, before) == []
    assert await rows(linkgress_dsn, "SELECT name, add(1, 1) FROM user_names") == [("ada", 2)]
