"""Names that are hard to quote, everywhere a name can go.

Schemas, tables, columns, enums and their values, indexes, constraints, foreign keys and
sequences get double and single quotes, spaces, ``;``, ``--``, reserved words, unicode,
emoji, mixed case and names of exactly 63 bytes. The model must be created and migrated
with ``analyze() == []`` after each step, and a name that reads as SQL must stay a name: a
table ``victim`` that exists beforehand survives every step.
"""

from __future__ import annotations

from typing import Any

import pytest

from linkgress_async import (
    DbContext,
    DbModelConfig,
    ModelError,
    PgClient,
    bigint,
    enum_column,
    integer,
    serial,
    text,
    varchar,
)
from linkgress_async.model import ColumnType, EntityBuilder
from tests.integration.helpers import Setup, context

INJECT = 'x"; DROP TABLE victim; --'
SCHEMA = "Sch\"ema'; DROP TABLE victim; --"
RESERVED_SCHEMA = "order"
EMOJI_SCHEMA = "🙂 emoji schema"
BYTES_63 = "Ü" * 31 + "x"  # 62 + 1 bytes
BYTES_63_B = "🙂" * 15 + "abc"  # 60 + 3 bytes
BYTES_63_C = "é" * 30 + "Qr;"  # 60 + 3 bytes
assert len(BYTES_63.encode()) == len(BYTES_63_B.encode()) == len(BYTES_63_C.encode()) == 63

LITERAL = "'); DROP TABLE victim; --"
NEW_COLUMN_NAME = 'new "col"; --'
LITERAL_2 = "\\'; DROP TABLE victim; -- \\x"


def entity(
    model: DbModelConfig, cls: type, name: str, schema: str, **columns: ColumnType
) -> EntityBuilder[Any]:
    """Map ``cls`` to ``schema.name`` with the given properties (property name -> column)."""
    e: EntityBuilder[Any] = model.entity(cls)
    e.to_table(name, schema=schema)
    for prop, column in columns.items():
        e.property(prop).has_type(column)
    return e


def classes() -> tuple[type, type, type, type]:
    def make(name: str) -> type:
        props = ("id", "order", "uni", "mixed", "mood", "long", "new", "ref", "note")
        return type(name, (), {"__annotations__": dict.fromkeys(props, Any)})

    return make("Main"), make("Child"), make("Serial"), make("Extra")


def hostile(version: int) -> Setup:
    """The hostile model; version 2 changes some of its names, values and expressions."""

    def setup(model: DbModelConfig) -> None:
        main, child, serial_table, extra = classes()
        values = ["it's", '"dq"', "; DROP TABLE victim; --", "🙂", "select", BYTES_63]
        if version == 2:
            values.insert(4, 'new\'value "x"')
        mood = model.enum('mood"; --', values, schema=RESERVED_SCHEMA)
        model.sequence('seq "1"; --\'', schema=SCHEMA, increment_by=1 if version == 1 else 7)

        columns: dict[str, ColumnType] = {
            "id": integer("user").primary_key().generated_always_as_identity(),
            "order": text("order"),
            "uni": varchar("Ünïcødé 🙂", 20 if version == 1 else 40),
            "mixed": integer("MiXeD Case"),
            "mood": enum_column("a'b", mood),
            "long": text(BYTES_63),
        }
        if version == 2:
            columns["new"] = text(NEW_COLUMN_NAME)
        m = entity(model, main, INJECT, SCHEMA, **columns)
        m.property("order").is_required().has_default_value(LITERAL if version == 1 else LITERAL_2)
        m.property("mood").has_default_value("it's" if version == 1 else 'new\'value "x"')
        m.property("long").is_unique(name=BYTES_63_C)
        if version == 2:
            m.property("new").has_default_value(LITERAL)
        m.has_unique("uq; --", ["order", "mixed"])
        check = '"MiXeD Case" >= 0' if version == 1 else '"MiXeD Case" >= -1'
        m.has_check("ck \"quoted\" 'single'", check)
        index = "ix \"1\" 'x'" if version == 1 else 'ix "2"; --'
        m.has_index(index, ["uni", "mixed"], where='"MiXeD Case" > 0')
        m.has_index("select", ["mood"], include=["long"])

        c = entity(
            model,
            child,
            BYTES_63,
            SCHEMA,
            id=bigint("select").primary_key(),
            ref=integer(INJECT),
            note=text(BYTES_63_B),
        )
        c.has_primary_key(["id"], name="pk; --")
        c.has_one("parent", main).with_foreign_key("ref").has_db_name('fk "a"; --').on_delete(
            "cascade" if version == 1 else "set null"
        )
        c.has_index(BYTES_63_B, ["note"], unique=True)

        s = entity(
            model,
            serial_table,
            BYTES_63_B,
            RESERVED_SCHEMA,
            id=(integer if version == 1 else serial)("Id"),
            note=text("User"),
        )
        s.has_primary_key(["id"], name="pk")

        if version == 2:
            entity(model, extra, "user", EMOJI_SCHEMA, id=bigint("id").primary_key())

    return setup


def q(name: str) -> str:
    """An identifier quoted by hand, independently of the library."""
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    return f"{q(schema)}.{q(name)}"


MAIN = qualified(SCHEMA, INJECT)
NEW_COLUMN = q(NEW_COLUMN_NAME)
CHILD = qualified(SCHEMA, BYTES_63)
SERIAL = qualified(RESERVED_SCHEMA, BYTES_63_B)


async def victims(db: DbContext) -> list[Any]:
    rows = await db.query("SELECT x FROM public.victim UNION ALL SELECT x FROM keep.victim")
    return sorted(r["x"] for r in rows)


def quiet(_line: str) -> None:
    """Swallow the plan print-out."""


async def test_hostile_names_create_and_migrate(linkgress_dsn: str) -> None:
    async with DbContext(PgClient(dsn=linkgress_dsn)) as db:
        await db.query("CREATE TABLE public.victim (x int)")
        await db.query("INSERT INTO public.victim VALUES (1)")
        await db.query("CREATE SCHEMA keep")
        await db.query("CREATE TABLE keep.victim (x int)")
        await db.query("INSERT INTO keep.victim VALUES (2)")
        # A search_path that finds keep.victim first, as a user's role setting might.
        [(database,)] = await db.query("SELECT current_database()")
        await db.query(f"ALTER DATABASE {q(database)} SET search_path = keep, public")

    async with context(hostile(1))(PgClient(dsn=linkgress_dsn, max_size=4)) as db:
        sm = db.get_schema_manager(out=quiet)
        created = await sm.ensure_created()
        assert created
        assert await sm.analyze() == []
        assert await victims(db) == [1, 2]
        await db.query(
            f'INSERT INTO {MAIN} ("MiXeD Case", "Ünïcødé 🙂", {q(BYTES_63)}, "a\'b")'
            " VALUES (1, 'ü', 'long', '🙂'), (2, NULL, NULL, DEFAULT)"
        )
        await db.query(
            f'INSERT INTO {CHILD} ("select", {q(INJECT)}, {q(BYTES_63_B)})'
            " VALUES (10, 1, 'n'), (11, 2, NULL)"
        )
        await db.query(f'INSERT INTO {SERIAL} ("Id", "User") VALUES (5, \'five\')')
        rows = await db.query(f'SELECT "order", "a\'b"::text AS mood FROM {MAIN} ORDER BY "user"')
        assert [tuple(r.values()) for r in rows] == [(LITERAL, "🙂"), (LITERAL, "it's")]

    async with context(hostile(2))(PgClient(dsn=linkgress_dsn, max_size=4)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        assert not [op.describe() for op in plan if op.destructive]
        kinds = {op.type for op in plan}
        assert kinds >= {
            # The new value is the new default, so the enum is rebuilt in the plan's transaction.
            "rebuild_enum",
            "alter_sequence",
            "add_column",
            "alter_column",
            "drop_check_constraint",
            "create_check_constraint",
            "drop_index",
            "create_index",
            "drop_foreign_key",
            "create_foreign_key",
            "create_schema",
            "create_table",
        }
        await sm.migrate(interactive=False)
        assert await sm.analyze() == []
        assert await victims(db) == [1, 2]

        await db.query(f'INSERT INTO {MAIN} ("MiXeD Case") VALUES (-1)')
        rows = await db.query(
            f'SELECT "user", "order", "a\'b"::text AS mood, {NEW_COLUMN} AS new'
            f" FROM {MAIN} ORDER BY 1"
        )
        assert [tuple(r.values()) for r in rows] == [
            (1, LITERAL, "🙂", LITERAL),
            (2, LITERAL, "it's", LITERAL),
            (3, LITERAL_2, 'new\'value "x"', LITERAL),
        ]
        await db.query(f"INSERT INTO {SERIAL} (\"User\") VALUES ('six')")
        rows = await db.query(f'SELECT "Id", "User" FROM {SERIAL} ORDER BY 1')
        assert [tuple(r.values()) for r in rows] == [(5, "five"), (6, "six")]
        # The foreign key now sets NULL instead of deleting the child row.
        await db.query(f'DELETE FROM {MAIN} WHERE "user" = 1')
        rows = await db.query(f'SELECT "select", {q(INJECT)} AS ref FROM {CHILD} ORDER BY 1')
        assert [tuple(r.values()) for r in rows] == [(10, None), (11, 2)]

        await sm.ensure_deleted()
        assert await victims(db) == [1, 2]
        assert not await db.query(
            "SELECT 1 FROM pg_namespace WHERE nspname = ANY($1::text[])",
            [SCHEMA, RESERVED_SCHEMA, EMOJI_SCHEMA],
        )


# --- names over 63 bytes ------------------------------------------------------------------

BYTES_64 = "é" * 32


class TooLongEntity:
    id: int
    a: Any
    b: Any


class TooLongTarget:
    id: int


def too_long(where: str) -> Setup:
    def setup(model: DbModelConfig) -> None:
        name = BYTES_64 if where == "table" else "t"
        with model.entity(TooLongTarget) as t:
            t.to_table(BYTES_63 if where == "fk default name" else "target")
            t.property("id").has_type(integer("id").primary_key())
        if where == "schema declared":
            model.schema(BYTES_64)
        if where == "enum":
            model.enum(BYTES_64, ["a"])
        if where == "enum value":
            model.enum("e", ["a", BYTES_64])
        if where == "sequence":
            model.sequence(BYTES_64)
        with model.entity(TooLongEntity) as e:
            e.to_table(name, schema=BYTES_64 if where == "schema" else None)
            e.property("id").has_type(
                integer(BYTES_64 if where == "column" else "id").primary_key()
            )
            e.property("a").has_type(integer("a"))
            b = e.property("b").has_type(text("b" * 60 if where == "unique default name" else "b"))
            if where == "unique default name":
                b.is_unique()  # t_bbb..._key is 66 bytes
            if where == "unique":
                e.has_unique(BYTES_64, ["b"])
            if where == "check":
                e.has_check(BYTES_64, "a > 0")
            if where == "index":
                e.has_index(BYTES_64, ["a"])
            if where == "primary key":
                e.has_primary_key(["id"], name=BYTES_64)
            if where == "fk":
                e.has_one("target", TooLongTarget).with_foreign_key("a").has_db_name(BYTES_64)
            if where == "fk default name":
                e.has_one("target", TooLongTarget).with_foreign_key("a")  # FK_t_<63 bytes>
            if where == "identity sequence":
                e.property("a").has_type(integer("a").generated_by_default_as_identity(BYTES_64))
            if where == "identity default sequence name":
                e.property("a").has_type(integer("a" * 60).generated_by_default_as_identity())

    return setup


@pytest.mark.parametrize(
    "where",
    [
        "schema",
        "schema declared",
        "table",
        "column",
        "enum",
        "enum value",
        "sequence",
        "unique",
        "unique default name",
        "check",
        "index",
        "primary key",
        "fk",
        "fk default name",
        "identity sequence",
        "identity default sequence name",
    ],
)
def test_a_64_byte_name_is_a_model_error(where: str) -> None:
    with pytest.raises(ModelError, match="63"):
        context(too_long(where))(PgClient(dsn="postgresql://nowhere/none"))


def test_the_control_model_builds() -> None:
    """The model of the test above is accepted when no name is too long."""
    context(too_long("nothing"))(PgClient(dsn="postgresql://nowhere/none"))
