"""Declarative renames against a real PostgreSQL: data survives, reruns are no-ops, the
reverse operations restore the old shape, and the interactive session may ask about renames."""

from __future__ import annotations

import builtins
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    DestructiveMigrationError,
    PgClient,
    bigint,
    enum_column,
    integer,
    text,
    varchar,
)
from linkgress_async.migrations import MigrationRunner, MigrationScaffold
from linkgress_async.ops import MigrationOperation
from tests.integration.helpers import Setup, context, quiet, table


async def migrate(dsn: str, setup: Setup, **options: Any) -> list[MigrationOperation]:
    """Migrate to ``setup``'s model and check that nothing is left to do."""
    async with context(setup)(PgClient(dsn=dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        applied = await sm.migrate(**options)
        assert await sm.analyze() == []
        return applied


async def rows(dsn: str, query: str) -> list[tuple[Any, ...]]:
    async with context(lambda model: None)(PgClient(dsn=dsn)) as db:
        return [tuple(r.values()) for r in await db.query(query)]


def types(ops: list[MigrationOperation]) -> list[str]:
    return [op.type for op in ops]


async def run_reverse(dsn: str, ops: list[MigrationOperation], back_to: Setup) -> None:
    """Apply the reverse of ``ops`` (what a scaffolded down() runs), then expect ``back_to``."""
    async with context(back_to)(PgClient(dsn=dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        inverse = [op.reverse() for op in reversed(ops)]
        assert all(op is not None for op in inverse)
        async with db.transaction():
            for statement in sm.to_sql([op for op in inverse if op is not None]):
                await db.query(statement)
        assert await sm.analyze() == []


# --- tables --------------------------------------------------------------------------------


class User:
    id: int
    name: str


def users_v1b(model: DbModelConfig) -> None:
    with model.entity(User) as e:
        e.to_table("app_users")
        e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
        e.property("name").has_type(varchar("name", 50)).is_unique()


def users_v2(model: DbModelConfig) -> None:
    with model.entity(User) as e:
        e.to_table("users", renamed_from="app_users")
        e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
        e.property("name").has_type(varchar("name", 50)).is_unique()


async def test_rename_table_keeps_rows_keys_and_identity(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, users_v1b)
    await rows(linkgress_dsn, "INSERT INTO app_users (name) VALUES ('ann'), ('bob')")
    applied = await migrate(linkgress_dsn, users_v2)
    # The default-named primary key and unique constraint follow the table's name.
    assert types(applied) == ["rename_table", "rename_constraint", "rename_constraint"]
    assert not any(op.destructive for op in applied)
    assert applied[0].describe() == "Rename table 'app_users' to 'users'"
    await rows(linkgress_dsn, "INSERT INTO users (name) VALUES ('cy')")
    assert await rows(linkgress_dsn, "SELECT id, name FROM users ORDER BY id") == [
        (1, "ann"),
        (2, "bob"),
        (3, "cy"),
    ]
    names = await rows(
        linkgress_dsn,
        "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass"
        " AND contype IN ('p', 'u') ORDER BY 1",
    )
    assert names == [("users_name_key",), ("users_pkey",)]
    assert await rows(linkgress_dsn, "SELECT to_regclass('users_id_seq') IS NOT NULL") == [(True,)]
    # The hint stays in the model: the next run has nothing to do.
    assert await migrate(linkgress_dsn, users_v2) == []
    await run_reverse(linkgress_dsn, applied, users_v1b)
    assert await rows(linkgress_dsn, "SELECT count(*) FROM app_users") == [(3,)]


def parent_child(parent: str, hint: str | None = None) -> Setup:
    def setup(model: DbModelConfig) -> None:
        class Parent:
            id: int

        class Child:
            id: int
            parent_id: int

        with model.entity(Parent) as p:
            p.to_table(parent, renamed_from=hint)
            p.property("id").has_type(bigint("id").primary_key())
        with model.entity(Child) as c:
            c.to_table("child")
            c.property("id").has_type(bigint("id").primary_key())
            c.property("parent_id").has_type(bigint("parent_id")).is_required()
            c.has_one("parent", Parent).with_foreign_key("parent_id").has_db_name("fk_parent")

    return setup


async def test_rename_a_table_referenced_by_a_foreign_key(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, parent_child("old_parent"))
    await rows(linkgress_dsn, "INSERT INTO old_parent VALUES (1)")
    await rows(linkgress_dsn, "INSERT INTO child VALUES (10, 1)")
    applied = await migrate(linkgress_dsn, parent_child("parent", "old_parent"))
    assert types(applied) == ["rename_table", "rename_constraint"]
    assert await rows(
        linkgress_dsn, "SELECT c.id, p.id FROM child c JOIN parent p ON p.id = c.parent_id"
    ) == [(10, 1)]
    assert await migrate(linkgress_dsn, parent_child("parent", "old_parent")) == []


async def test_hint_with_both_names_present_is_left_to_the_normal_diff(linkgress_dsn: str) -> None:
    def both(model: DbModelConfig) -> None:
        table(model, "a", bigint("id").primary_key())
        table(model, "b", bigint("id").primary_key())

    def only_b(model: DbModelConfig) -> None:
        table(model, "b", bigint("id").primary_key()).to_table("b", renamed_from="a")

    await migrate(linkgress_dsn, both)
    async with context(only_b)(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet, drop_unmanaged=True)
        assert types(await sm.analyze()) == ["drop_table"]


# --- columns -------------------------------------------------------------------------------


def people(*columns: Any, hint: tuple[str, str] | None = None) -> Setup:
    def setup(model: DbModelConfig) -> None:
        e = table(model, "people", bigint("id").primary_key(), *columns)
        if hint is not None:
            e.property(hint[0]).renamed_from(hint[1])
        e.has_index("ix_people_contact", [columns[0].name])
        e.has_check("ck_people_contact", f"length({columns[0].name}) > 0")

    return setup


async def test_rename_column_keeps_values_and_dependent_objects(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, people(text("mail")))
    await rows(linkgress_dsn, "INSERT INTO people VALUES (1, 'a@x'), (2, 'b@x')")
    v2 = people(text("email"), hint=("email", "mail"))
    applied = await migrate(linkgress_dsn, v2)
    # The check and the index follow the column: nothing else changes.
    assert types(applied) == ["rename_column"]
    assert applied[0].describe() == "Rename column 'people.mail' to 'email'"
    assert not any(op.destructive for op in applied)
    assert await rows(linkgress_dsn, "SELECT id, email FROM people ORDER BY id") == [
        (1, "a@x"),
        (2, "b@x"),
    ]
    assert await migrate(linkgress_dsn, v2) == []
    await run_reverse(linkgress_dsn, applied, people(text("mail")))
    assert await rows(linkgress_dsn, "SELECT mail FROM people ORDER BY id") == [("a@x",), ("b@x",)]


async def test_rename_and_retype_one_column(linkgress_dsn: str) -> None:
    def v1(model: DbModelConfig) -> None:
        table(model, "scores", bigint("id").primary_key(), integer("pts"))

    def v2(model: DbModelConfig) -> None:
        e = table(model, "scores", bigint("id").primary_key(), bigint("points"))
        e.property("points").renamed_from("pts")

    await migrate(linkgress_dsn, v1)
    await rows(linkgress_dsn, "INSERT INTO scores VALUES (1, 7)")
    applied = await migrate(linkgress_dsn, v2)
    assert types(applied) == ["rename_column", "alter_column"]
    assert await rows(linkgress_dsn, "SELECT points, pg_typeof(points)::text FROM scores") == [
        (7, "bigint")
    ]
    assert await migrate(linkgress_dsn, v2) == []


async def test_chained_column_renames(linkgress_dsn: str) -> None:
    def v1(model: DbModelConfig) -> None:
        table(model, "t", bigint("id").primary_key(), text("a"), text("b"))

    def v2(model: DbModelConfig) -> None:
        e = table(model, "t", bigint("id").primary_key(), text("b"), text("c"))
        e.property("b").renamed_from("a")
        e.property("c").renamed_from("b")

    await migrate(linkgress_dsn, v1)
    await rows(linkgress_dsn, "INSERT INTO t VALUES (1, 'from a', 'from b')")
    applied = await migrate(linkgress_dsn, v2)
    assert types(applied) == ["rename_column", "rename_column"]
    assert await rows(linkgress_dsn, "SELECT b, c FROM t") == [("from a", "from b")]


async def test_rename_identity_column_keeps_its_sequence(linkgress_dsn: str) -> None:
    def v1(model: DbModelConfig) -> None:
        table(model, "t", bigint("n").primary_key().generated_always_as_identity(), text("x"))

    def v2(model: DbModelConfig) -> None:
        e = table(model, "t", bigint("id").primary_key().generated_always_as_identity(), text("x"))
        e.property("id").renamed_from("n")

    await migrate(linkgress_dsn, v1)
    await rows(linkgress_dsn, "INSERT INTO t (x) VALUES ('a'), ('b')")
    assert types(await migrate(linkgress_dsn, v2)) == ["rename_column"]
    await rows(linkgress_dsn, "INSERT INTO t (x) VALUES ('c')")
    assert await rows(linkgress_dsn, "SELECT id FROM t ORDER BY id") == [(1,), (2,), (3,)]


# --- enums, indexes, constraints -----------------------------------------------------------


def with_enum(name: str, hint: str | None = None) -> Setup:
    def setup(model: DbModelConfig) -> None:
        mood = model.enum(name, ["sad", "happy"], renamed_from=hint)
        e = table(model, "t", bigint("id").primary_key(), enum_column("mood", mood))
        e.property("mood").has_default_value("happy")
        table(model, "u", bigint("id").primary_key(), enum_column("moods", mood).array())

    return setup


async def test_rename_enum_keeps_columns_and_defaults(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, with_enum("mood"))
    await rows(linkgress_dsn, "INSERT INTO t VALUES (1, 'sad')")
    await rows(linkgress_dsn, "INSERT INTO u VALUES (1, '{sad}')")
    applied = await migrate(linkgress_dsn, with_enum("feeling", "mood"))
    assert types(applied) == ["rename_enum"]
    assert applied[0].describe() == "Rename enum 'mood' to 'feeling'"
    await rows(linkgress_dsn, "INSERT INTO t (id) VALUES (2)")
    assert await rows(linkgress_dsn, "SELECT id, mood::text FROM t ORDER BY id") == [
        (1, "sad"),
        (2, "happy"),
    ]
    assert await migrate(linkgress_dsn, with_enum("feeling", "mood")) == []
    await run_reverse(linkgress_dsn, applied, with_enum("mood"))


class Item:
    id: int
    code: str
    owner_id: int


class Owner:
    id: int


def items(suffix: str = "", hinted: bool = False) -> Setup:
    def hint(name: str) -> str | None:
        return name if hinted else None

    def setup(model: DbModelConfig) -> None:
        with model.entity(Owner) as o:
            o.to_table("owners")
            o.property("id").has_type(bigint("id").primary_key())
        with model.entity(Item) as e:
            e.to_table("items")
            e.property("id").has_type(bigint("id").primary_key())
            e.property("code").has_type(text("code")).is_required()
            e.property("owner_id").has_type(bigint("owner_id"))
            e.has_index("ix_code" + suffix, ["code"], renamed_from=hint("ix_code"))
            e.has_unique("uq_code" + suffix, ["code"], renamed_from=hint("uq_code"))
            e.has_check("ck_code" + suffix, "code <> ''", renamed_from=hint("ck_code"))
            e.has_one("owner", Owner).with_foreign_key("owner_id").has_db_name(
                "fk_owner" + suffix
            ).renamed_from("fk_owner" if hinted else "fk_owner" + suffix)

    return setup


async def test_rename_index_and_constraints(linkgress_dsn: str) -> None:
    await migrate(linkgress_dsn, items())
    await rows(linkgress_dsn, "INSERT INTO owners VALUES (1)")
    await rows(linkgress_dsn, "INSERT INTO items VALUES (1, 'a', 1)")
    applied = await migrate(linkgress_dsn, items("_v2", hinted=True))
    assert sorted(types(applied)) == ["rename_constraint"] * 3 + ["rename_index"]
    names = await rows(
        linkgress_dsn,
        "SELECT relname FROM pg_class WHERE relname LIKE '%\\_v2' UNION ALL "
        "SELECT conname FROM pg_constraint WHERE conname LIKE '%\\_v2' ORDER BY 1",
    )
    assert names == [
        ("ck_code_v2",),
        ("fk_owner_v2",),
        ("ix_code_v2",),
        ("uq_code_v2",),
        ("uq_code_v2",),
    ]
    assert await migrate(linkgress_dsn, items("_v2", hinted=True)) == []
    await run_reverse(linkgress_dsn, applied, items())


# --- the interactive question --------------------------------------------------------------


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer", ["yes", "no"])
async def test_interactive_session_asks_about_a_same_shaped_drop_and_add(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    await migrate(linkgress_dsn, people(text("mail")))
    await rows(linkgress_dsn, "INSERT INTO people VALUES (1, 'a@x')")
    asked: list[str] = []

    def fake_input(prompt: object = "") -> str:
        asked.append(str(prompt))
        return answer

    monkeypatch.setattr(sys, "stdin", FakeTty())
    monkeypatch.setattr(builtins, "input", fake_input)
    async with context(people(text("email")))(PgClient(dsn=linkgress_dsn)) as db:
        sm = db.get_schema_manager(out=quiet)
        if answer == "yes":
            applied = await sm.migrate()
            assert types(applied)[0] == "rename_column"
            assert await rows(linkgress_dsn, "SELECT email FROM people") == [("a@x",)]
            assert await sm.analyze() == []  # analyze has no hint: it never guesses
        else:
            # Declined: the drop is destructive, and the same prompt declines it too.
            with pytest.raises(DestructiveMigrationError):
                await sm.migrate()
    assert asked[0] == "Did you rename column 'people.mail' to 'email'? (yes/no): "


async def test_without_a_tty_nothing_is_guessed(
    linkgress_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrate(linkgress_dsn, people(text("mail")))

    def no_input(prompt: object = "") -> str:
        raise AssertionError(f"input() must not be called: {prompt!r}")

    monkeypatch.setattr(sys, "stdin", io.StringIO())
    monkeypatch.setattr(builtins, "input", no_input)
    async with context(people(text("email")))(PgClient(dsn=linkgress_dsn)) as db:
        with pytest.raises(DestructiveMigrationError) as raised:
            await db.get_schema_manager(out=quiet).migrate()
    assert types(list(raised.value.operations)) == ["drop_column"]


# --- scaffolded migrations -----------------------------------------------------------------


class Client:
    id: int
    mail: str
    email: str
    tier: str


def _clients(model: DbModelConfig, *, renamed: bool) -> None:
    tier = model.enum(
        "level" if renamed else "tier", ["free", "paid"], renamed_from="tier" if renamed else None
    )
    with model.entity(Client) as e:
        e.to_table("customers" if renamed else "clients", renamed_from="clients")
        e.property("id").has_type(bigint("id").primary_key().generated_always_as_identity())
        mail = e.property("email" if renamed else "mail")
        mail.has_type(text("email" if renamed else "mail")).renamed_from("mail")
        e.property("tier").has_type(enum_column("tier", tier))
        if renamed:
            e.has_index("ix_email", ["email"], renamed_from="ix_mail")
        else:
            e.has_index("ix_mail", ["mail"])


class ClientsV1(DbContext):
    """Clients as first designed."""

    def setup_model(self, model: DbModelConfig) -> None:
        _clients(model, renamed=False)


class ClientsV2(DbContext):
    """The same data under new names: table, column, enum and index renamed."""

    def setup_model(self, model: DbModelConfig) -> None:
        _clients(model, renamed=True)


async def test_scaffolded_migration_renames_and_reverts(linkgress_dsn: str, tmp_path: Path) -> None:
    async with ClientsV1(PgClient(dsn=linkgress_dsn)) as v1:
        await v1.get_schema_manager(out=quiet).migrate()
        await v1.query("INSERT INTO clients (mail, tier) VALUES ('a@x', 'paid')")
        async with ClientsV2(PgClient(dsn=linkgress_dsn)) as v2:
            res = await MigrationScaffold(v2, tmp_path).scaffold(__name__, name="renames")
            assert sorted({op.type for op in res.operations}) == [
                "rename_column",
                "rename_constraint",
                "rename_enum",
                "rename_index",
                "rename_table",
            ]
            down = res.path.read_text().split("async def down")[1]
            assert "cannot be reversed" not in down
            assert "RENAME TO" in down
            assert "clients" in down
            runner = MigrationRunner(v2, tmp_path, verbose=False)
            assert (await runner.up()).applied == [res.filename]
            assert await v2.get_schema_manager().analyze() == []
            rows_ = await v2.query("SELECT email, tier::text FROM customers")
            assert [tuple(r.values()) for r in rows_] == [("a@x", "paid")]
            assert (await runner.down(1)).applied == [res.filename]
        assert await v1.get_schema_manager().analyze() == []
        rows_ = await v1.query("SELECT mail, tier::text FROM clients")
        assert [tuple(r.values()) for r in rows_] == [("a@x", "paid")]
