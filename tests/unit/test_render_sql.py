"""The SQL renderer and the quoting functions: no database."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

from linkgress_async.catalog import (
    CheckConstraint,
    Column,
    ForeignKey,
    Identity,
    Index,
    IndexElement,
    PrimaryKey,
    QualifiedName,
    SequenceOptions,
    Table,
    UniqueConstraint,
)
from linkgress_async.ops import (
    AddEnumValue,
    AlterColumn,
    CreateEnum,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    DropColumn,
    EnumColumnUse,
    RebuildEnum,
)
from linkgress_async.render.quote import qualified, quote_ident, render_literal, sql
from linkgress_async.render.sql import operation_sql, plan_sql


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("users", '"users"'),
        ('we"ird', '"we""ird"'),
        ("select", '"select"'),
        ("a b; DROP TABLE x --", '"a b; DROP TABLE x --"'),
        ("Ünïcødé", '"Ünïcødé"'),
    ],
)
def test_quote_ident(name: str, quoted: str) -> None:
    assert quote_ident(name) == quoted


def test_quote_ident_rejects_what_postgres_would_truncate_or_refuse() -> None:
    with pytest.raises(ValueError, match="63"):
        quote_ident("x" * 64)
    with pytest.raises(ValueError, match="63"):
        quote_ident("é" * 32)  # 64 bytes in UTF-8
    assert quote_ident("é" * 31 + "x") == '"' + "é" * 31 + 'x"'
    with pytest.raises(ValueError, match="empty"):
        quote_ident("")
    with pytest.raises(ValueError, match="NUL"):
        quote_ident("a\x00b")


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("pending", "'pending'"),
        ("it's", "'it''s'"),
        ("a\\b", "E'a\\\\b'"),
        ("'; DROP TABLE users; --", "'''; DROP TABLE users; --'"),
        (None, "NULL"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (1.5, "1.5"),
        (decimal.Decimal("10.20"), "10.20"),
        (datetime.date(2024, 1, 15), "'2024-01-15'"),
        (uuid.UUID(int=1), "'00000000-0000-0000-0000-000000000001'"),
        ({"b": 1, "a": [1, 2]}, '\'{"a":[1,2],"b":1}\''),
        (b"\x01\xff", "'\\x01ff'::bytea"),
        (sql("now()"), "now()"),
    ],
)
def test_render_literal(value: object, literal: str) -> None:
    assert render_literal(value) == literal


def test_render_literal_arrays_and_refusals() -> None:
    assert render_literal([1, 2], array=True) == "ARRAY[1, 2]"
    assert render_literal([], array=True) == "'{}'"
    with pytest.raises(ValueError, match="NUL"):
        render_literal("a\x00")
    with pytest.raises(TypeError, match="has_default_sql"):
        render_literal(object())


def test_create_table_renders_every_part() -> None:
    identity = Identity(True, SequenceOptions(1, 1, 1, 2147483647), "users_seq")
    table = Table(
        "auth",
        "us ers",
        (
            Column("id", "integer", False, None, identity),
            Column("name", "character varying(100)", False, "'x'::character varying"),
        ),
        PrimaryKey("users_pkey", ("id",)),
        uniques=(UniqueConstraint("u_name", ("name",)),),
        checks=(CheckConstraint("c_len", "(length((name)::text) > 0)"),),
    )
    [statement] = operation_sql(CreateTable("us ers", "auth", table))
    assert statement == (
        'CREATE TABLE "auth"."us ers" (\n'
        '    "id" integer GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME "users_seq" INCREMENT BY 1 '
        "MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1 NO CYCLE) NOT NULL,\n"
        "    \"name\" character varying(100) DEFAULT 'x'::character varying NOT NULL,\n"
        '    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),\n'
        '    CONSTRAINT "u_name" UNIQUE ("name"),\n'
        '    CONSTRAINT "c_len" CHECK ((length((name)::text) > 0))\n'
        ")"
    )


def test_foreign_key_and_index() -> None:
    fk = ForeignKey(
        "FK_posts_users", ("user_id",), QualifiedName("auth", "users"), ("id",), "cascade"
    )
    assert operation_sql(CreateForeignKey("posts", fk)) == [
        'ALTER TABLE "public"."posts" ADD CONSTRAINT "FK_posts_users" FOREIGN KEY ("user_id") '
        'REFERENCES "auth"."users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION'
    ]
    index = Index(
        "ix",
        (IndexElement(column="a"), IndexElement(expression="lower(b)")),
        unique=True,
        where="(c IS NULL)",
        include=("d",),
    )
    assert operation_sql(CreateIndex.of("public", "t", index)) == [
        'CREATE UNIQUE INDEX "ix" ON "public"."t" USING "btree" ("a", (lower(b))) '
        'INCLUDE ("d") WHERE (c IS NULL)'
    ]


def test_enum_operations() -> None:
    assert operation_sql(CreateEnum("st", ("a", "it's"), "public")) == [
        "CREATE TYPE \"public\".\"st\" AS ENUM ('a', 'it''s')"
    ]
    assert operation_sql(AddEnumValue("st", "b", "public", before="a")) == [
        "ALTER TYPE \"public\".\"st\" ADD VALUE IF NOT EXISTS 'b' BEFORE 'a'"
    ]
    rebuild = RebuildEnum(
        "st",
        "public",
        ("a", "b"),
        ("b",),
        (EnumColumnUse("public", "t", "c", False, "'b'::public.st"),),
    )
    assert operation_sql(rebuild) == [
        'ALTER TYPE "public"."st" RENAME TO "__old_st"',
        'CREATE TYPE "public"."st" AS ENUM (\'b\')',
        'ALTER TABLE "public"."t" ALTER COLUMN "c" DROP DEFAULT',
        'ALTER TABLE "public"."t" ALTER COLUMN "c" TYPE "public"."st"'
        ' USING "c"::text::"public"."st"',
        'ALTER TABLE "public"."t" ALTER COLUMN "c" SET DEFAULT \'b\'::public.st',
        'DROP TYPE "public"."__old_st"',
    ]


def test_alter_column_type_drops_and_restores_the_default() -> None:
    old = Column("n", "integer", True, "0")
    new = Column("n", "bigint", False, "1")
    assert operation_sql(AlterColumn("t", "n", old, new)) == [
        'ALTER TABLE "public"."t" ALTER COLUMN "n" DROP DEFAULT',
        'ALTER TABLE "public"."t" ALTER COLUMN "n" TYPE bigint USING "n"::bigint',
        'ALTER TABLE "public"."t" ALTER COLUMN "n" SET DEFAULT 1',
        'ALTER TABLE "public"."t" ALTER COLUMN "n" SET NOT NULL',
    ]


def test_alter_identity_options() -> None:
    old = Column("id", "bigint", False, None, Identity(True, SequenceOptions(1, 1, 1, 100)))
    new = Column("id", "bigint", False, None, Identity(False, SequenceOptions(1, 5, 1, 100)))
    assert operation_sql(AlterColumn("t", "id", old, new)) == [
        'ALTER TABLE "public"."t" ALTER COLUMN "id" SET GENERATED BY DEFAULT SET INCREMENT BY 5'
    ]
    dropped = AlterColumn("t", "id", old, Column("id", "bigint", False))
    assert operation_sql(dropped) == ['ALTER TABLE "public"."t" ALTER COLUMN "id" DROP IDENTITY']


def test_plan_sql_concatenates_in_order() -> None:
    ops = [DropColumn("t", "a"), DropColumn("t", "b")]
    assert plan_sql(ops) == [
        'ALTER TABLE "public"."t" DROP COLUMN "a"',
        'ALTER TABLE "public"."t" DROP COLUMN "b"',
    ]
    assert qualified("s", "t") == '"s"."t"'
