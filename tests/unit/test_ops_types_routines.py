"""Operations on extensions, domains, composite types, procedures, aggregates, view options
and materialized views: their SQL, describe(), reverse() and destructive, with no database."""

from __future__ import annotations

import ast

import pytest

from linkgress_async.catalog import (
    Aggregate,
    CompositeAttribute,
    CompositeType,
    Domain,
    DomainCheck,
    Extension,
    Function,
    Index,
    IndexElement,
    MaterializedView,
    View,
)
from linkgress_async.introspect._assemble_kinds import aggregate_definition
from linkgress_async.ops import (
    AddCompositeAttribute,
    AddDomainConstraint,
    AlterCompositeAttribute,
    AlterDomain,
    AlterDomainConstraint,
    AlterExtension,
    AlterViewOptions,
    CreateAggregate,
    CreateCompositeType,
    CreateDomain,
    CreateExtension,
    CreateFunction,
    CreateMaterializedView,
    CreateView,
    DomainColumnUse,
    DropAggregate,
    DropCompositeAttribute,
    DropCompositeType,
    DropDomain,
    DropDomainConstraint,
    DropExtension,
    DropFunction,
    DropMaterializedView,
    MigrationOperation,
    RebuildDomain,
)
from linkgress_async.render.python import migration_source
from linkgress_async.render.sql import operation_sql

HSTORE = Extension("hstore", "public", "1.7")
QTY = Domain(
    "public",
    "qty",
    "integer",
    default="1",
    nullable=False,
    checks=(DomainCheck("positive", "(VALUE > 0)"), DomainCheck("small", "(VALUE < 9)", True)),
)
PAIR = CompositeType(
    "Kinds",
    "Pair",
    (CompositeAttribute("a", "integer"), CompositeAttribute("b", "text", '"C"')),
)
GROUP_CONCAT = Aggregate(
    "public",
    "group_concat",
    "text",
    (("SFUNC", "public._group_concat"), ("STYPE", "text"), ("INITCOND", "it's")),
    definition=aggregate_definition(
        "text", (("SFUNC", "public._group_concat"), ("STYPE", "text"), ("INITCOND", "it's"))
    ),
)
COUNTS = MaterializedView(
    "public",
    "counts",
    "SELECT qty, count(*) AS n FROM public.item GROUP BY qty",
    indexes=(Index("counts_qty", (IndexElement(column="qty"),), unique=True),),
    options=("fillfactor=70",),
)
BUMP = Function(
    "public",
    "bump",
    "IN step integer",
    "IN step integer",
    language="sql",
    definition="(IN step integer)\n LANGUAGE sql\nAS $procedure$SELECT 1$procedure$\n",
    kind="procedure",
)


def test_extensions() -> None:
    create = CreateExtension("hstore", HSTORE)
    assert operation_sql(create) == [
        """CREATE EXTENSION IF NOT EXISTS "hstore" WITH SCHEMA "public" VERSION '1.7'"""
    ]
    assert create.describe() == "Create extension 'hstore' 1.7 in 'public'"
    assert create.reverse() == DropExtension("hstore", HSTORE)
    assert not create.destructive
    unversioned = CreateExtension("hstore", Extension("hstore", "ext"))
    assert operation_sql(unversioned) == [
        'CREATE EXTENSION IF NOT EXISTS "hstore" WITH SCHEMA "ext"'
    ]

    drop = DropExtension("hstore", HSTORE)
    assert operation_sql(drop) == ['DROP EXTENSION "hstore"']
    assert drop.destructive  # it drops every object the extension owns, with their data
    assert drop.reverse() == create
    assert DropExtension("hstore").reverse() is None

    moved = AlterExtension("hstore", HSTORE, Extension("hstore", "ext", "1.8"))
    assert operation_sql(moved) == [
        """ALTER EXTENSION "hstore" UPDATE TO '1.8'""",
        'ALTER EXTENSION "hstore" SET SCHEMA "ext"',
    ]
    assert moved.describe() == (
        "Alter extension 'hstore' (update from 1.7 to 1.8, move from 'public' to 'ext')"
    )
    assert moved.reverse() == AlterExtension("hstore", moved.to, HSTORE)
    # A target without a version leaves the installed one alone.
    unpinned = AlterExtension("hstore", HSTORE, Extension("hstore", "ext"))
    assert operation_sql(unpinned) == ['ALTER EXTENSION "hstore" SET SCHEMA "ext"']
    assert not moved.destructive


def test_create_and_drop_domain() -> None:
    create = CreateDomain("qty", "public", QTY)
    assert operation_sql(create) == [
        'CREATE DOMAIN "public"."qty" AS integer DEFAULT 1 NOT NULL'
        ' CONSTRAINT "positive" CHECK ((VALUE > 0))',
        # CREATE DOMAIN cannot say NOT VALID.
        'ALTER DOMAIN "public"."qty" ADD CONSTRAINT "small" CHECK ((VALUE < 9)) NOT VALID',
    ]
    assert create.reverse() == DropDomain("qty", "public", QTY)
    named = Domain("public", "d", "text", collation='"C"', nullable=False, not_null_name="nn")
    assert operation_sql(CreateDomain("d", "public", named)) == [
        'CREATE DOMAIN "public"."d" AS text COLLATE "C" CONSTRAINT "nn" NOT NULL'
    ]
    drop = DropDomain("qty", "public", QTY)
    assert operation_sql(drop) == ['DROP DOMAIN "public"."qty"']
    assert not drop.destructive  # a domain holds no data
    assert drop.reverse() == create
    assert DropDomain("qty", "public").reverse() is None


def test_alter_domain_in_place() -> None:
    loose = Domain("public", "qty", "integer", default="5")
    alter = AlterDomain("qty", "public", QTY, loose)
    assert operation_sql(alter) == [
        'ALTER DOMAIN "public"."qty" SET DEFAULT 5',
        'ALTER DOMAIN "public"."qty" DROP NOT NULL',
    ]
    assert alter.describe() == "Alter domain 'qty' (set default, drop not null)"
    assert alter.reverse() == AlterDomain("qty", "public", loose, QTY)
    assert operation_sql(alter.reverse()) == [
        'ALTER DOMAIN "public"."qty" SET DEFAULT 1',
        'ALTER DOMAIN "public"."qty" SET NOT NULL',
    ]
    # PostgreSQL 17+ names the NOT NULL constraint: a new name is a rename.
    renamed = AlterDomain(
        "qty", "public", QTY, Domain("public", "qty", "integer", "1", False, not_null_name="nn")
    )
    assert operation_sql(renamed) == [
        'ALTER DOMAIN "public"."qty" RENAME CONSTRAINT "qty_not_null" TO "nn"'
    ]
    set_named = AlterDomain(
        "qty", "public", loose, Domain("public", "qty", "integer", "5", False, not_null_name="nn")
    )
    assert operation_sql(set_named) == [
        'ALTER DOMAIN "public"."qty" SET NOT NULL',
        'ALTER DOMAIN "public"."qty" RENAME CONSTRAINT "qty_not_null" TO "nn"',
    ]
    assert not alter.destructive


def test_domain_constraints() -> None:
    check = DomainCheck("big", "(VALUE > 10)", not_valid=True)
    add = AddDomainConstraint("qty", "public", check)
    assert operation_sql(add) == [
        'ALTER DOMAIN "public"."qty" ADD CONSTRAINT "big" CHECK ((VALUE > 10)) NOT VALID'
    ]
    assert add.describe() == "Add constraint 'big' to domain 'qty' (NOT VALID)"
    assert add.reverse() == DropDomainConstraint("qty", "public", "big", check)
    drop = DropDomainConstraint("qty", "public", "big", check)
    assert operation_sql(drop) == ['ALTER DOMAIN "public"."qty" DROP CONSTRAINT "big"']
    assert drop.reverse() == add
    assert DropDomainConstraint("qty", "public", "big").reverse() is None

    valid = DomainCheck("big", "(VALUE > 10)")
    validate = AlterDomainConstraint("qty", "public", check, valid)
    assert operation_sql(validate) == ['ALTER DOMAIN "public"."qty" VALIDATE CONSTRAINT "big"']
    assert validate.describe() == "Validate constraint 'big' of domain 'qty'"
    # Back to NOT VALID cannot happen in place: drop and add it again.
    assert operation_sql(validate.reverse()) == [
        'ALTER DOMAIN "public"."qty" DROP CONSTRAINT "big"',
        'ALTER DOMAIN "public"."qty" ADD CONSTRAINT "big" CHECK ((VALUE > 10)) NOT VALID',
    ]
    rename = AlterDomainConstraint("qty", "public", valid, DomainCheck("large", "(VALUE > 10)"))
    assert operation_sql(rename) == [
        'ALTER DOMAIN "public"."qty" RENAME CONSTRAINT "big" TO "large"'
    ]
    assert rename.describe() == "Rename constraint 'big' of domain 'qty' to 'large'"
    replace = AlterDomainConstraint("qty", "public", valid, DomainCheck("big", "(VALUE > 20)"))
    assert replace.describe() == "Replace constraint 'big' of domain 'qty'"
    assert operation_sql(replace)[1].endswith("CHECK ((VALUE > 20))")
    assert not any(op.destructive for op in (add, drop, validate, rename, replace))


def test_rebuild_domain_converts_its_columns() -> None:
    wider = Domain("public", "qty", "bigint", default="1", nullable=False)
    uses = (
        DomainColumnUse("public", "item", "qty", default="1"),
        DomainColumnUse("public", "item", "history", is_array=True),
        DomainColumnUse("public", "item", "later", keeps_type=False),
    )
    rebuild = RebuildDomain("qty", "public", QTY, wider, uses)
    assert operation_sql(rebuild) == [
        'ALTER TABLE "public"."item" ALTER COLUMN "qty" DROP DEFAULT',
        'ALTER TABLE "public"."item" ALTER COLUMN "qty" TYPE integer USING "qty"::integer',
        'ALTER TABLE "public"."item" ALTER COLUMN "history" TYPE integer[]'
        ' USING "history"::integer[]',
        'ALTER TABLE "public"."item" ALTER COLUMN "later" TYPE integer USING "later"::integer',
        'DROP DOMAIN "public"."qty"',
        'CREATE DOMAIN "public"."qty" AS bigint DEFAULT 1 NOT NULL',
        'ALTER TABLE "public"."item" ALTER COLUMN "qty" TYPE "public"."qty"'
        ' USING "qty"::"public"."qty"',
        'ALTER TABLE "public"."item" ALTER COLUMN "qty" SET DEFAULT 1',
        'ALTER TABLE "public"."item" ALTER COLUMN "history" TYPE "public"."qty"[]'
        ' USING "history"::"public"."qty"[]',
    ]
    assert rebuild.describe() == "Rebuild domain 'qty' as bigint, converting 3 columns"
    assert rebuild.destructive  # stored values are converted
    assert rebuild.reverse() is None
    unused = RebuildDomain("qty", "public", QTY, wider)
    assert not unused.destructive
    assert unused.reverse() == RebuildDomain("qty", "public", wider, QTY)


def test_composite_types() -> None:
    create = CreateCompositeType("Pair", "Kinds", PAIR)
    assert operation_sql(create) == [
        'CREATE TYPE "Kinds"."Pair" AS ("a" integer, "b" text COLLATE "C")'
    ]
    assert operation_sql(CreateCompositeType("e", "public", CompositeType("public", "e"))) == [
        'CREATE TYPE "public"."e" AS ()'
    ]
    assert create.reverse() == DropCompositeType("Pair", "Kinds", PAIR)
    drop = DropCompositeType("Pair", "Kinds", PAIR, recreated=True)
    assert operation_sql(drop) == ['DROP TYPE "Kinds"."Pair"']
    assert drop.describe() == "Drop type 'Kinds.Pair' (recreated below)"
    assert not drop.destructive

    c = CompositeAttribute("c", "numeric(10,2)[]")
    add = AddCompositeAttribute("Pair", "Kinds", c)
    assert operation_sql(add) == ['ALTER TYPE "Kinds"."Pair" ADD ATTRIBUTE "c" numeric(10,2)[]']
    assert add.reverse() == DropCompositeAttribute("Pair", "Kinds", "c", c)
    lose = DropCompositeAttribute("Pair", "Kinds", "c", c)
    assert operation_sql(lose) == ['ALTER TYPE "Kinds"."Pair" DROP ATTRIBUTE "c"']
    assert lose.destructive  # columns of the type lose that attribute's values
    assert lose.reverse() is None
    retype = AlterCompositeAttribute(
        "Pair", "Kinds", PAIR.attributes[1], CompositeAttribute("b", "character varying(5)")
    )
    assert operation_sql(retype) == [
        'ALTER TYPE "Kinds"."Pair" ALTER ATTRIBUTE "b" TYPE character varying(5)'
    ]
    assert operation_sql(retype.reverse()) == [
        'ALTER TYPE "Kinds"."Pair" ALTER ATTRIBUTE "b" TYPE text COLLATE "C"'
    ]
    assert retype.describe() == "Alter attribute 'b' of type 'Kinds.Pair' to character varying(5)"


def test_procedures_use_their_own_words() -> None:
    create = CreateFunction("bump", "public", BUMP)
    assert operation_sql(create) == [
        'CREATE PROCEDURE "public"."bump"(IN step integer)\n LANGUAGE sql\n'
        "AS $procedure$SELECT 1$procedure$\n"
    ]
    assert operation_sql(CreateFunction("bump", "public", BUMP, or_replace=True))[0].startswith(
        'CREATE OR REPLACE PROCEDURE "public"."bump"'
    )
    assert create.describe() == "Create procedure 'bump(IN step integer)'"
    drop = DropFunction("bump", "public", "IN step integer", BUMP)
    assert operation_sql(drop) == ['DROP PROCEDURE "public"."bump"(IN step integer)']
    assert drop.describe() == "Drop procedure 'bump(IN step integer)'"
    assert drop.reverse() == create


def test_aggregates() -> None:
    create = CreateAggregate("group_concat", "public", GROUP_CONCAT)
    assert operation_sql(create) == [
        'CREATE AGGREGATE "public"."group_concat" (text)'
        " (SFUNC = public._group_concat, STYPE = text, INITCOND = 'it''s')"
    ]
    assert create.describe() == "Create aggregate 'group_concat(text)'"
    assert create.reverse() == DropAggregate("group_concat", "public", "text", GROUP_CONCAT)
    drop = DropAggregate("group_concat", "public", "text", GROUP_CONCAT, recreated=True)
    assert operation_sql(drop) == ['DROP AGGREGATE "public"."group_concat"(text)']
    assert drop.describe() == "Drop aggregate 'group_concat(text)' (recreated below)"
    assert not drop.destructive
    assert drop.reverse() == create
    # An aggregate of no arguments is count(*)-like.
    assert operation_sql(DropAggregate("n", "public", "")) == ['DROP AGGREGATE "public"."n"(*)']
    assert aggregate_definition("", (("SFUNC", "int8inc"), ("STYPE", "bigint"))) == (
        "(*) (SFUNC = int8inc, STYPE = bigint)"
    )
    assert (
        aggregate_definition(
            'VARIADIC "any" ORDER BY VARIADIC "any"',
            (("SFUNC", "f"), ("STYPE", "internal"), ("FINALFUNC_EXTRA", ""), ("HYPOTHETICAL", "")),
        )
        == '(VARIADIC "any" ORDER BY VARIADIC "any")'
        " (SFUNC = f, STYPE = internal, FINALFUNC_EXTRA, HYPOTHETICAL)"
    )
    changed = Aggregate("public", "group_concat", "text", (("SFUNC", "f"), ("STYPE", "text")))
    replace = CreateAggregate("group_concat", "public", changed, True, GROUP_CONCAT)
    assert operation_sql(replace)[0].startswith('CREATE OR REPLACE AGGREGATE "public"')
    assert replace.describe() == "Replace aggregate 'group_concat(text)'"
    assert replace.reverse() == CreateAggregate(
        "group_concat", "public", GROUP_CONCAT, True, changed
    )


def test_view_options() -> None:
    view = View("public", "v", "SELECT 1", options=("check_option=local", "security_barrier=true"))
    assert operation_sql(CreateView("v", "public", view)) == [
        """CREATE VIEW "public"."v" WITH ("check_option" = 'local',"""
        """ "security_barrier" = 'true') AS SELECT 1"""
    ]
    alter = AlterViewOptions(
        "v", "public", view.options, ("check_option=cascaded", "security_invoker=true")
    )
    assert operation_sql(alter) == [
        'ALTER VIEW "public"."v" RESET ("security_barrier")',
        """ALTER VIEW "public"."v" SET ("check_option" = 'cascaded',"""
        """ "security_invoker" = 'true')""",
    ]
    assert alter.describe() == (
        "Alter view 'v' options (check_option=cascaded, security_invoker=true,"
        " reset security_barrier)"
    )
    assert alter.reverse() == AlterViewOptions("v", "public", alter.to_options, view.options)
    assert not alter.destructive
    fill = AlterViewOptions("m", "public", (), ("fillfactor=70",), materialized=True)
    assert operation_sql(fill) == [
        """ALTER MATERIALIZED VIEW "public"."m" SET ("fillfactor" = '70')"""
    ]


def test_materialized_views() -> None:
    create = CreateMaterializedView("counts", "public", COUNTS)
    assert operation_sql(create) == [
        """CREATE MATERIALIZED VIEW "public"."counts" WITH ("fillfactor" = '70') AS """
        "SELECT qty, count(*) AS n FROM public.item GROUP BY qty",
        'CREATE UNIQUE INDEX "counts_qty" ON "public"."counts" USING "btree" ("qty")',
    ]
    assert create.reverse() == DropMaterializedView("counts", "public", COUNTS)
    drop = DropMaterializedView("counts", "public", COUNTS)
    assert operation_sql(drop) == ['DROP MATERIALIZED VIEW "public"."counts"']
    assert not drop.destructive  # its rows are derived and come back with it
    assert drop.reverse() == create
    assert DropMaterializedView("counts", "public").reverse() is None
    assert CreateMaterializedView("counts", "public", COUNTS, restores=True).describe() == (
        "Create materialized view 'counts' again as it was (not declared by the model)"
    )


def _every_operation() -> list[MigrationOperation]:
    return [
        CreateExtension("hstore", HSTORE),
        AlterExtension("hstore", HSTORE, Extension("hstore", "public", "1.8")),
        CreateDomain("qty", "public", QTY),
        AlterDomain("qty", "public", QTY, Domain("public", "qty", "integer")),
        AddDomainConstraint("qty", "public", DomainCheck("big", "(VALUE > 10)")),
        AlterDomainConstraint(
            "qty", "public", DomainCheck("big", "(VALUE > 10)"), DomainCheck("b", "(VALUE > 10)")
        ),
        CreateCompositeType("Pair", "Kinds", PAIR),
        AddCompositeAttribute("Pair", "Kinds", CompositeAttribute("c", "integer")),
        CreateFunction("bump", "public", BUMP),
        CreateAggregate("group_concat", "public", GROUP_CONCAT),
        CreateMaterializedView("counts", "public", COUNTS),
        AlterViewOptions("v", "public", (), ("security_barrier=true",)),
    ]


def test_scaffold_writes_them_and_their_reverses() -> None:
    operations = _every_operation()
    source = migration_source(
        operations,
        class_name="Kinds",
        context_module="app.db",
        context_class="AppDatabase",
        title="Every kind",
    )
    ast.parse(source)
    up, down = source.split("async def down")
    for op in operations:
        assert op.describe() in up
        reverse = op.reverse()
        assert reverse is not None
        assert reverse.describe() in down
    assert "raise MigrationError" not in down


@pytest.mark.parametrize(
    "op",
    [
        DropCompositeAttribute("Pair", "Kinds", "c"),
        RebuildDomain(
            "qty",
            "public",
            QTY,
            Domain("public", "qty", "bigint"),
            (DomainColumnUse("public", "item", "qty"),),
        ),
    ],
)
def test_scaffold_declares_what_it_cannot_reverse(op: MigrationOperation) -> None:
    source = migration_source(
        [op], class_name="Lossy", context_module="app.db", context_class="Db", title="Lossy"
    )
    down = source.split("async def down")[1]
    assert f"# - {op.describe()}" in down
    assert "await db.execute" not in down
    assert "irreversible = (" in source
