"""Rows survive every non-destructive migration.

Each case declares a model v1 and a model v2 that differ by one kind of change. Rows are
inserted under v1, the database is migrated to v2 without allowing destructive operations
(the plan must have none), and the rows must read back as expected (converted where the type
changed). Afterwards the database matches v2 exactly: ``analyze() == []``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from attrs import frozen

from linkgress_async import (
    DbModelConfig,
    PgClient,
    bigint,
    bigserial,
    enum_column,
    integer,
    numeric,
    serial,
    text,
    varchar,
)
from linkgress_async.model import ColumnType
from tests.integration.helpers import Setup, context, quiet, table


@frozen
class Case:
    """One kind of change: models, rows to insert, and what must be read back."""

    id: str
    v1: Setup
    v2: Setup
    seed: tuple[str, ...]
    check: str
    expected: list[tuple[Any, ...]]
    operations: frozenset[str]
    after: tuple[str, ...] = ()  # statements that must succeed under v2, before ``check``


PK = bigint("id").primary_key()


# --- columns ------------------------------------------------------------------------------


def add_column_v1(model: DbModelConfig) -> None:
    table(model, "t", PK, text("a"))


def add_column_v2(model: DbModelConfig) -> None:
    e = table(model, "t", PK, text("a"), text("b"), integer("c"), text("d"))
    e.property("c").is_required().has_default_value(7)
    e.property("d").has_default_value("it's new")


def column_type(column: ColumnType) -> Setup:
    def setup(model: DbModelConfig) -> None:
        table(model, "t", PK, column)

    return setup


def column_type_with_a(id_column: ColumnType) -> Setup:
    def setup(model: DbModelConfig) -> None:
        table(model, "t", id_column, text("a"))

    return setup


def required_a(required: bool, default: object = None) -> Setup:
    def setup(model: DbModelConfig) -> None:
        e = table(model, "t", PK, text("a"))
        e.property("a").is_required(required)
        if default is not None:
            e.property("a").has_default_value(default)

    return setup


# --- indexes and constraints --------------------------------------------------------------


def plain_ab(model: DbModelConfig) -> None:
    table(model, "t", PK, text("a"), integer("b"))


def indexed_ab(model: DbModelConfig) -> None:
    e = table(model, "t", PK, text("a"), integer("b"))
    e.has_index("ix_t_a", ["a"])
    e.has_index("ux_t_b", ["b"], unique=True, where="b > 0")


def constrained_ab(model: DbModelConfig) -> None:
    e = table(model, "t", PK, text("a"), integer("b"))
    e.has_unique("uq_t_a", ["a"])
    e.has_check("ck_t_b", "b > 0")


class Parent:
    id: int


def parent_child(on_delete: str) -> Setup:
    def setup(model: DbModelConfig) -> None:
        with model.entity(Parent) as p:
            p.to_table("parent")
            p.property("id").has_type(bigint("id").primary_key())
        child = table(model, "child", PK, bigint("parent_id"))
        child.has_one("parent", Parent).with_foreign_key("parent_id").on_delete(on_delete)

    return setup


def parent_child_types(column: Callable[[str], ColumnType]) -> Setup:
    def setup(model: DbModelConfig) -> None:
        with model.entity(Parent) as p:
            p.to_table("parent")
            p.property("id").has_type(column("id").primary_key())
        child = table(model, "child", PK, column("parent_id"))
        child.has_one("parent", Parent).with_foreign_key("parent_id").on_delete("cascade")
        child.has_index("ix_child_parent", ["parent_id"])

    return setup


# --- enums --------------------------------------------------------------------------------


def mood_model(*values: str) -> Setup:
    def setup(model: DbModelConfig) -> None:
        mood = model.enum("mood", list(values))
        e = table(
            model,
            "t",
            PK,
            enum_column("m", mood),
            enum_column("ms", mood).array(),
            integer("n"),
        )
        e.property("m").is_required().has_default_value("sad")
        e.has_index("ix_t_m", ["m"])
        e.has_index("ix_t_n_sad", ["n"], where="m = 'sad'")
        e.has_check("ck_t_m", "m <> 'sad' OR n >= 0")

    return setup


# --- identities, serials, sequences -------------------------------------------------------


def id_column(column: ColumnType) -> Setup:
    def setup(model: DbModelConfig) -> None:
        table(model, "t", column.primary_key(), text("a"))

    return setup


def new_table_v2(model: DbModelConfig) -> None:
    table(model, "t", PK, text("a"))
    e = table(model, "n", PK, text("note"), schema="extra")
    e.property("note").has_default_value("hello")


def counter(**options: Any) -> Setup:
    def setup(model: DbModelConfig) -> None:
        model.sequence("counter", **options)
        table(model, "t", PK, text("a"))

    return setup


SEED_A = ("INSERT INTO t (id, a) VALUES (1, 'x'), (2, 'it''s'), (3, 'Ünïcødé')",)
ROWS_A = [(1, "x"), (2, "it's"), (3, "Ünïcødé")]
SEED_AB = ("INSERT INTO t (id, a, b) VALUES (1, 'x', 1), (2, 'y', 2), (3, NULL, 3)",)
ROWS_AB = [(1, "x", 1), (2, "y", 2), (3, None, 3)]
SEED_MOOD = (
    "INSERT INTO t (id, m, ms, n) VALUES (1, 'sad', '{sad,happy}', 0),"
    " (2, 'ok', '{ok}', 5), (3, 'happy', NULL, NULL)",
)
SEED_IDS = ("INSERT INTO t (a) VALUES ('one'), ('two'), ('three')",)

CASES = [
    Case(
        "add columns (nullable, with defaults)",
        add_column_v1,
        add_column_v2,
        ("INSERT INTO t (id, a) VALUES (1, 'x'), (2, NULL)",),
        "SELECT id, a, b, c, d FROM t ORDER BY id",
        [(1, "x", None, 7, "it's new"), (2, None, None, 7, "it's new")],
        frozenset({"add_column"}),
    ),
    Case(
        "widen varchar",
        column_type(varchar("a", 10)),
        column_type(varchar("a", 50)),
        ("INSERT INTO t VALUES (1, 'abcdefghij'), (2, ''), (3, NULL)",),
        "SELECT id, a FROM t ORDER BY id",
        [(1, "abcdefghij"), (2, ""), (3, None), (4, "z" * 50)],
        frozenset({"alter_column"}),
        ("INSERT INTO t VALUES (4, repeat('z', 50))",),
    ),
    Case(
        "integer -> bigint",
        column_type(integer("a")),
        column_type(bigint("a")),
        ("INSERT INTO t VALUES (1, 2147483647), (2, -2147483648), (3, NULL)",),
        "SELECT id, a FROM t WHERE id < 4 ORDER BY id",
        [(1, 2147483647), (2, -2147483648), (3, None)],
        frozenset({"alter_column"}),
        ("INSERT INTO t VALUES (4, 9000000000)",),
    ),
    Case(
        "plain nullable column becomes an identity primary key",
        column_type_with_a(integer("id")),
        column_type_with_a(integer("id").primary_key().generated_always_as_identity()),
        ("INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z')",),
        "SELECT id, a FROM t ORDER BY id",
        [(1, "x"), (2, "y"), (3, "z"), (4, "next")],
        frozenset({"alter_column", "add_primary_key"}),
        ("INSERT INTO t (a) VALUES ('next')",),
    ),
    Case(
        "text -> varchar (USING cast)",
        column_type(text("a")),
        column_type(varchar("a", 20)),
        ("INSERT INTO t VALUES (1, 'exactly twenty chars'), (2, 'Ünï'), (3, NULL)",),
        "SELECT id, a FROM t ORDER BY id",
        [(1, "exactly twenty chars"), (2, "Ünï"), (3, None)],
        frozenset({"alter_column"}),
    ),
    Case(
        "integer -> text, values converted",
        column_type(integer("a")),
        column_type(text("a")),
        ("INSERT INTO t VALUES (1, 42), (2, -7), (3, NULL)",),
        "SELECT id, a FROM t ORDER BY id",
        [(1, "42"), (2, "-7"), (3, None)],
        frozenset({"alter_column"}),
    ),
    Case(
        "numeric(5,2) -> numeric(12,4)",
        column_type(numeric("a", 5, 2)),
        column_type(numeric("a", 12, 4)),
        ("INSERT INTO t VALUES (1, 123.45), (2, -0.5)",),
        "SELECT id, a::text FROM t ORDER BY id",
        [(1, "123.4500"), (2, "-0.5000")],
        frozenset({"alter_column"}),
    ),
    Case(
        "narrow varchar (the values fit)",
        column_type(varchar("a", 50)),
        column_type(varchar("a", 10)),
        ("INSERT INTO t VALUES (1, 'abcdefghij'), (2, 'Ünïcødé'), (3, NULL)",),
        "SELECT id, a FROM t ORDER BY id",
        [(1, "abcdefghij"), (2, "Ünïcødé"), (3, None)],
        frozenset({"alter_column"}),
    ),
    Case(
        "integer -> bigint on both ends of a foreign key",
        parent_child_types(integer),
        parent_child_types(bigint),
        (
            "INSERT INTO parent VALUES (1), (2147483647)",
            "INSERT INTO child VALUES (10, 1), (11, 2147483647), (12, NULL)",
        ),
        "SELECT c.id, c.parent_id, p.id FROM child c LEFT JOIN parent p ON p.id = c.parent_id"
        " ORDER BY c.id",
        [(10, 1, 1), (11, 2147483647, 2147483647), (12, None, None)],
        frozenset({"alter_column", "drop_foreign_key", "create_foreign_key"}),
        (
            "INSERT INTO parent VALUES (9000000000)",
            "DELETE FROM parent WHERE id = 9000000000",  # the key still works both ways
        ),
    ),
    Case(
        "set NOT NULL",
        required_a(False),
        required_a(True),
        SEED_A,
        "SELECT id, a FROM t ORDER BY id",
        ROWS_A,
        frozenset({"alter_column"}),
    ),
    Case(
        "drop NOT NULL",
        required_a(True),
        required_a(False),
        SEED_A,
        "SELECT id, a FROM t ORDER BY id",
        [*ROWS_A, (4, None)],
        frozenset({"alter_column"}),
        ("INSERT INTO t (id) VALUES (4)",),
    ),
    Case(
        "set default",
        required_a(False),
        required_a(False, "fresh"),
        SEED_A,
        "SELECT id, a FROM t ORDER BY id",
        [*ROWS_A, (4, "fresh")],
        frozenset({"alter_column"}),
        ("INSERT INTO t (id) VALUES (4)",),
    ),
    Case(
        "change default",
        required_a(True, "old"),
        required_a(True, "new"),
        SEED_A,
        "SELECT id, a FROM t ORDER BY id",
        [*ROWS_A, (4, "new")],
        frozenset({"alter_column"}),
        ("INSERT INTO t (id) VALUES (4)",),
    ),
    Case(
        "drop default",
        required_a(False, "old"),
        required_a(False),
        SEED_A,
        "SELECT id, a FROM t ORDER BY id",
        [*ROWS_A, (4, None)],
        frozenset({"alter_column"}),
        ("INSERT INTO t (id) VALUES (4)",),
    ),
    Case(
        "add indexes",
        plain_ab,
        indexed_ab,
        SEED_AB,
        "SELECT id, a, b FROM t ORDER BY id",
        ROWS_AB,
        frozenset({"create_index"}),
    ),
    Case(
        "drop indexes",
        indexed_ab,
        plain_ab,
        SEED_AB,
        "SELECT id, a, b FROM t ORDER BY id",
        ROWS_AB,
        frozenset({"drop_index"}),
    ),
    Case(
        "add unique and check constraints",
        plain_ab,
        constrained_ab,
        SEED_AB,
        "SELECT id, a, b FROM t ORDER BY id",
        ROWS_AB,
        frozenset({"create_unique_constraint", "create_check_constraint"}),
    ),
    Case(
        "drop unique and check constraints",
        constrained_ab,
        plain_ab,
        SEED_AB,
        "SELECT id, a, b FROM t ORDER BY id",
        [*ROWS_AB, (4, "x", -1)],
        frozenset({"drop_unique_constraint", "drop_check_constraint"}),
        ("INSERT INTO t VALUES (4, 'x', -1)",),
    ),
    Case(
        "change foreign key action (drop + create)",
        parent_child("cascade"),
        parent_child("set null"),
        (
            "INSERT INTO parent VALUES (1), (2)",
            "INSERT INTO child VALUES (10, 1), (11, 2), (12, NULL)",
        ),
        "SELECT id, parent_id FROM child ORDER BY id",
        [(10, None), (11, 2), (12, None)],  # deleting parent 1 now sets NULL, not cascade
        frozenset({"drop_foreign_key", "create_foreign_key"}),
        ("DELETE FROM parent WHERE id = 1",),
    ),
    Case(
        "add enum value at the end",
        mood_model("sad", "ok"),
        mood_model("sad", "ok", "happy"),
        ("INSERT INTO t (id, m, ms, n) VALUES (1, 'sad', '{sad}', 0), (2, 'ok', '{ok,sad}', 5)",),
        "SELECT id, m::text, ms::text[], n, enum_range(NULL::mood)::text[] FROM t ORDER BY id",
        [
            (1, "sad", ["sad"], 0, ["sad", "ok", "happy"]),
            (2, "ok", ["ok", "sad"], 5, ["sad", "ok", "happy"]),
            (3, "happy", None, None, ["sad", "ok", "happy"]),
        ],
        frozenset({"add_enum_value"}),
        ("INSERT INTO t (id, m) VALUES (3, 'happy')",),
    ),
    Case(
        "add enum value before an existing one",
        mood_model("sad", "happy"),
        mood_model("sad", "ok", "happy"),
        ("INSERT INTO t (id, m, ms, n) VALUES (1, 'sad', '{sad}', 0), (2, 'happy', NULL, 1)",),
        "SELECT id, m::text, ms::text[], enum_range(NULL::mood)::text[] FROM t ORDER BY t.m, t.id",
        [
            (1, "sad", ["sad"], ["sad", "ok", "happy"]),
            (3, "ok", None, ["sad", "ok", "happy"]),
            (2, "happy", None, ["sad", "ok", "happy"]),
        ],
        frozenset({"add_enum_value"}),
        ("INSERT INTO t (id, m, n) VALUES (3, 'ok', 1)",),
    ),
    Case(
        "reorder enum values (rebuild)",
        mood_model("sad", "ok", "happy"),
        mood_model("ok", "sad", "happy"),
        SEED_MOOD,
        "SELECT id, m::text, ms::text[], n FROM t ORDER BY t.m, t.id",  # the new order
        [
            (2, "ok", ["ok"], 5),
            (1, "sad", ["sad", "happy"], 0),
            (4, "sad", None, None),
            (3, "happy", None, None),
        ],
        frozenset({"rebuild_enum"}),
        ("INSERT INTO t (id) VALUES (4)",),
    ),
    Case(
        "identity options and always -> by default",
        id_column(integer("id").generated_always_as_identity()),
        id_column(integer("id").generated_by_default_as_identity(increment_by=5, cache=3)),
        SEED_IDS,
        "SELECT id, a FROM t ORDER BY id",
        [(1, "one"), (2, "two"), (3, "three"), (8, "four"), (100, "explicit")],
        frozenset({"alter_column"}),
        # BY DEFAULT now accepts an explicit id; the sequence continues with the new step.
        ("INSERT INTO t (a) VALUES ('four')", "INSERT INTO t (id, a) VALUES (100, 'explicit')"),
    ),
    Case(
        "serial -> identity",
        id_column(serial("id")),
        id_column(integer("id").generated_by_default_as_identity()),
        (*SEED_IDS, "INSERT INTO t (id, a) VALUES (10, 'ten')"),
        "SELECT id, a FROM t ORDER BY id",
        [(1, "one"), (2, "two"), (3, "three"), (10, "ten"), (11, "next")],
        frozenset({"alter_column"}),
        ("INSERT INTO t (a) VALUES ('next')",),
    ),
    Case(
        "integer identity -> bigint identity",
        id_column(integer("id").generated_by_default_as_identity()),
        id_column(bigint("id").generated_by_default_as_identity()),
        SEED_IDS,
        "SELECT id, a FROM t ORDER BY id",
        [(1, "one"), (2, "two"), (3, "three"), (5000000000, "big")],
        frozenset({"alter_column"}),
        (
            "SELECT setval(pg_get_serial_sequence('t', 'id'), 4999999999)",
            "INSERT INTO t (a) VALUES ('big')",
        ),
    ),
    Case(
        "serial -> bigserial",
        id_column(serial("id")),
        id_column(bigserial("id")),
        SEED_IDS,
        "SELECT id, a FROM t ORDER BY id",
        [(1, "one"), (2, "two"), (3, "three"), (5000000000, "big")],
        frozenset({"alter_column"}),
        # The owned sequence must be able to go past the integer range too.
        (
            "SELECT setval(pg_get_serial_sequence('t', 'id'), 4999999999)",
            "INSERT INTO t (a) VALUES ('big')",
        ),
    ),
    Case(
        "bigserial -> serial (the values fit)",
        id_column(bigserial("id")),
        id_column(serial("id")),
        SEED_IDS,
        "SELECT id, a, (SELECT format_type(seqtypid, NULL) FROM pg_sequence"
        "  WHERE seqrelid = pg_get_serial_sequence('t', 'id')::regclass) FROM t ORDER BY id",
        [(1, "one", "integer"), (2, "two", "integer"), (3, "three", "integer")],
        frozenset({"alter_column"}),
    ),
    Case(
        "integer -> serial",
        id_column(integer("id")),
        id_column(serial("id")),
        ("INSERT INTO t (id, a) VALUES (1, 'one'), (7, 'seven')",),
        "SELECT id, a FROM t ORDER BY id",
        [(1, "one"), (7, "seven"), (8, "next")],
        frozenset({"alter_column"}),
        ("INSERT INTO t (a) VALUES ('next')",),
    ),
    Case(
        "add identity to an integer column with rows",
        id_column(integer("id")),
        id_column(integer("id").generated_always_as_identity()),
        ("INSERT INTO t (id, a) VALUES (1, 'one'), (2, 'two'), (5, 'five')",),
        "SELECT id, a FROM t ORDER BY id",
        [(1, "one"), (2, "two"), (5, "five"), (6, "six"), (7, "seven")],
        frozenset({"alter_column"}),
        ("INSERT INTO t (a) VALUES ('six')", "INSERT INTO t (a) VALUES ('seven')"),
    ),
    Case(
        "drop identity",
        id_column(bigint("id").generated_by_default_as_identity()),
        id_column(bigint("id")),
        SEED_IDS,
        "SELECT id, a FROM t ORDER BY id",
        [(1, "one"), (2, "two"), (3, "three"), (4, "four")],
        frozenset({"alter_column"}),
        ("INSERT INTO t (id, a) VALUES (4, 'four')",),
    ),
    Case(
        "new table in a new schema",
        column_type(text("a")),
        new_table_v2,
        SEED_A,
        "SELECT t.id, t.a FROM t UNION ALL SELECT n.id, n.note FROM extra.n ORDER BY 1",
        [*ROWS_A, (4, "hello")],
        frozenset({"create_schema", "create_table"}),
        ("INSERT INTO extra.n (id) VALUES (4)",),
    ),
    Case(
        "sequence options change",
        counter(),
        counter(increment_by=10, max_value=10_000, cache=2),
        (
            "SELECT nextval('counter')",
            "SELECT nextval('counter')",
            "INSERT INTO t VALUES (1, 'x')",
        ),
        "SELECT id, a, nextval('counter') FROM t ORDER BY id",
        [(1, "x", 12)],  # the sequence continues from 2 with the new increment
        frozenset({"alter_sequence"}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_rows_survive(linkgress_dsn: str, case: Case) -> None:
    async with context(case.v1)(PgClient(dsn=linkgress_dsn, max_size=4)) as db:
        sm = db.get_schema_manager(out=quiet)
        await sm.migrate(interactive=False)
        assert await sm.analyze() == []
        for statement in case.seed:
            await db.query(statement)

    async with context(case.v2)(PgClient(dsn=linkgress_dsn, max_size=4)) as db:
        sm = db.get_schema_manager(out=quiet)
        plan = await sm.analyze()
        assert [op.describe() for op in plan if op.destructive] == []
        assert case.operations <= {op.type for op in plan}, [op.describe() for op in plan]
        applied = await sm.migrate(interactive=False)  # no confirmation is needed
        assert applied == plan
        assert await sm.analyze() == []
        for statement in case.after:
            await db.query(statement)
        rows = await db.query(case.check)
        assert [tuple(row.values()) for row in rows] == case.expected
