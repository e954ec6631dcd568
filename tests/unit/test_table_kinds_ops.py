"""Operations of the table-level kinds and their SQL: no database."""

from __future__ import annotations

import pytest

from linkgress_async.catalog import (
    CheckConstraint,
    Column,
    Generated,
    QualifiedName,
    Table,
)
from linkgress_async.ops import (
    AlterColumn,
    AttachPartition,
    CreateTable,
    DetachPartition,
    DisownSequence,
    DropColumn,
    InheritTable,
    MigrationOperation,
    NoInheritTable,
    ReplaceGeneratedColumn,
    SetSequenceOwner,
    SetTableLogged,
    SetTableOptions,
)
from linkgress_async.render.python import migration_source
from linkgress_async.render.sql import column_definition, operation_sql

EVENTS = QualifiedName("public", "events")
OWNER = (QualifiedName("app", "tickets"), "no")
CHECK = CheckConstraint("events_id_check", "(id > 0)")


def test_storage_parameters_are_set_and_reset() -> None:
    op = SetTableOptions(
        "people",
        "public",
        ("autovacuum_enabled=false", "fillfactor=70", "toast.autovacuum_enabled=false"),
        ("fillfactor=50", "toast.vacuum_truncate=off"),
    )
    assert operation_sql(op) == [
        'ALTER TABLE "public"."people" SET '
        '("fillfactor"=\'50\', "toast"."vacuum_truncate"=\'off\')',
        'ALTER TABLE "public"."people" RESET ("autovacuum_enabled", "toast"."autovacuum_enabled")',
    ]
    assert op.describe() == (
        "Storage parameters of 'people': set fillfactor=50, toast.vacuum_truncate=off; "
        "reset autovacuum_enabled, toast.autovacuum_enabled"
    )
    assert op.reverse() == SetTableOptions("people", "public", op.to_options, op.from_options)
    assert not op.destructive


def test_a_storage_parameter_value_is_a_literal() -> None:
    op = SetTableOptions("t", "public", (), ("x=it's",))
    assert operation_sql(op) == ['ALTER TABLE "public"."t" SET ("x"=\'it\'\'s\')']


@pytest.mark.parametrize(("logged", "word"), [(True, "LOGGED"), (False, "UNLOGGED")])
def test_persistence(logged: bool, word: str) -> None:
    op = SetTableLogged("scratch", "app", logged)
    assert operation_sql(op) == [f'ALTER TABLE "app"."scratch" SET {word}']
    assert op.describe() == f"Set table 'app.scratch' {word} (rewrites the table)"
    assert op.reverse() == SetTableLogged("scratch", "app", not logged)
    assert not op.destructive


def test_attach_adds_the_parent_checks_first() -> None:
    op = AttachPartition(
        "events_2024", "archive", EVENTS, "FOR VALUES FROM ('2024-01-01') TO (MAXVALUE)", (CHECK,)
    )
    assert operation_sql(op) == [
        'ALTER TABLE "archive"."events_2024" ADD CONSTRAINT "events_id_check" CHECK ((id > 0))',
        'ALTER TABLE "public"."events" ATTACH PARTITION "archive"."events_2024" '
        "FOR VALUES FROM ('2024-01-01') TO (MAXVALUE)",
    ]
    assert op.describe() == (
        "Attach 'archive.events_2024' as a partition of 'events' "
        "(FOR VALUES FROM ('2024-01-01') TO (MAXVALUE))"
    )
    assert op.reverse() == DetachPartition("events_2024", "archive", EVENTS, op.bound)
    assert not op.destructive


def test_detach_keeps_the_rows_and_can_be_undone_when_the_bound_is_known() -> None:
    op = DetachPartition("events_old", "public", EVENTS, "DEFAULT")
    assert operation_sql(op) == [
        'ALTER TABLE "public"."events" DETACH PARTITION "public"."events_old"'
    ]
    assert op.describe() == "Detach partition 'events_old' from 'events' (it keeps its rows)"
    assert op.reverse() == AttachPartition("events_old", "public", EVENTS, "DEFAULT")
    assert DetachPartition("events_old", "public", EVENTS).reverse() is None
    assert not op.destructive


def test_inherit_adds_what_the_child_lacks_first() -> None:
    vehicles = QualifiedName("public", "vehicles")
    op = InheritTable("cars", "public", vehicles, (Column("wheels", "integer", False, "4"),))
    assert operation_sql(op) == [
        'ALTER TABLE "public"."cars" ADD COLUMN "wheels" integer DEFAULT 4 NOT NULL',
        'ALTER TABLE "public"."cars" INHERIT "public"."vehicles"',
    ]
    assert op.describe() == "Make 'cars' inherit 'vehicles'"
    assert op.reverse() == NoInheritTable("cars", "public", vehicles)
    no = NoInheritTable("cars", "public", vehicles)
    assert operation_sql(no) == ['ALTER TABLE "public"."cars" NO INHERIT "public"."vehicles"']
    assert no.reverse() == InheritTable("cars", "public", vehicles)
    assert "keeps its columns" in no.describe()


def test_sequence_owners() -> None:
    own = SetSequenceOwner("ticket_seq", "app", OWNER)
    assert operation_sql(own) == ['ALTER SEQUENCE "app"."ticket_seq" OWNED BY "app"."tickets"."no"']
    assert own.describe() == "Make sequence 'app.ticket_seq' owned by 'app.tickets.no'"
    assert own.reverse() == DisownSequence("ticket_seq", "app", OWNER)
    other = (QualifiedName("app", "tickets"), "title")
    assert SetSequenceOwner("ticket_seq", "app", OWNER, other).reverse() == SetSequenceOwner(
        "ticket_seq", "app", other, OWNER
    )
    disown = DisownSequence("ticket_seq", "app", OWNER)
    assert operation_sql(disown) == ['ALTER SEQUENCE "app"."ticket_seq" OWNED BY NONE']
    assert disown.reverse() == own
    assert not own.destructive
    assert not disown.destructive


STORED = Column("inches", "numeric", generated=Generated("(cm / 2.54)"))
VIRTUAL = Column("inches", "numeric", generated=Generated("(cm / 2.54)", "virtual"))
REGULAR = Column("inches", "numeric")


def test_column_definitions_spell_collation_and_generation() -> None:
    assert column_definition(Column("name", "text", False, collation='"C"')) == (
        '"name" text COLLATE "C" NOT NULL'
    )
    assert column_definition(STORED) == (
        '"inches" numeric GENERATED ALWAYS AS ((cm / 2.54)) STORED'
    )
    assert column_definition(VIRTUAL).endswith("VIRTUAL")


@pytest.mark.parametrize(
    ("old", "new", "destructive", "says"),
    [
        (STORED, Column("inches", "numeric", generated=Generated("(cm / 2.5)")), False, "new"),
        (STORED, VIRTUAL, False, "as VIRTUAL instead of STORED"),
        (REGULAR, STORED, True, "stored values are replaced"),
        (VIRTUAL, REGULAR, True, "virtual values are not kept"),
    ],
)
def test_replacing_a_generated_column(
    old: Column, new: Column, destructive: bool, says: str
) -> None:
    op = ReplaceGeneratedColumn("lengths", "inches", old, new, "public")
    assert operation_sql(op) == [
        'ALTER TABLE "public"."lengths" DROP COLUMN "inches"',
        f'ALTER TABLE "public"."lengths" ADD COLUMN {column_definition(new)}',
    ]
    assert op.destructive is destructive
    assert says in op.describe()
    assert "moves to the end" in op.describe()
    reverse = op.reverse()
    if destructive:
        assert reverse is None
    else:
        assert reverse == ReplaceGeneratedColumn("lengths", "inches", new, old, "public")


def test_alter_column_collation_and_generation_in_place() -> None:
    collated = AlterColumn(
        "people", "nick", Column("nick", "text"), Column("nick", "text", collation='"C"')
    )
    assert operation_sql(collated) == [
        'ALTER TABLE "public"."people" ALTER COLUMN "nick" TYPE text COLLATE "C"'
    ]
    assert collated.describe() == "Alter column 'people.nick' (collation \"C\")"
    assert operation_sql(collated.reverse()) == [
        'ALTER TABLE "public"."people" ALTER COLUMN "nick" TYPE text COLLATE pg_catalog."default"'
    ]
    retyped = AlterColumn(
        "people",
        "nick",
        Column("nick", "text", collation='"C"'),
        Column("nick", "character varying(9)", collation='"POSIX"'),
    )
    assert operation_sql(retyped) == [
        'ALTER TABLE "public"."people" ALTER COLUMN "nick" TYPE character varying(9) '
        'COLLATE "POSIX" USING "nick"::character varying'
    ]
    expression = AlterColumn(
        "lengths", "inches", STORED, Column("inches", "numeric", generated=Generated("cm"))
    )
    assert operation_sql(expression) == [
        'ALTER TABLE "public"."lengths" ALTER COLUMN "inches" SET EXPRESSION AS (cm)'
    ]
    assert expression.describe() == "Alter column 'lengths.inches' (set expression)"
    regular = AlterColumn("lengths", "inches", STORED, REGULAR)
    assert operation_sql(regular) == [
        'ALTER TABLE "public"."lengths" ALTER COLUMN "inches" DROP EXPRESSION'
    ]
    assert regular.changes == ("generated",)
    assert not regular.destructive


def test_drop_column_only_or_naming_the_heirs() -> None:
    only = DropColumn("vehicles", "wheels", only=True)
    assert operation_sql(only) == ['ALTER TABLE ONLY "public"."vehicles" DROP COLUMN "wheels"']
    assert only.describe() == (
        "Drop column 'vehicles.wheels' from this table only (inheriting tables keep theirs)"
    )
    heirs = tuple(QualifiedName("public", f"p{n}") for n in range(7))
    losing = DropColumn("vehicles", "wheels", inheritors=heirs)
    assert operation_sql(losing) == ['ALTER TABLE "public"."vehicles" DROP COLUMN "wheels"']
    assert losing.describe() == (
        "Drop column 'vehicles.wheels' and from the tables inheriting it: "
        "'p0', 'p1', 'p2', 'p3', 'p4' and 2 more"
    )


def test_create_table_with_every_table_property() -> None:
    child = Table(
        "public",
        "log",
        (Column("id", "integer"),),
        unlogged=True,
        options=("fillfactor=70", "autovacuum_enabled=false"),
        inherits=(QualifiedName("public", "base"), QualifiedName("other", "tagged")),
    )
    assert operation_sql(CreateTable("log", "public", child)) == [
        'CREATE UNLOGGED TABLE "public"."log" (\n    "id" integer\n) '
        'INHERITS ("public"."base", "other"."tagged") '
        "WITH (\"fillfactor\"='70', \"autovacuum_enabled\"='false')"  # in the order given
    ]
    parent = Table("public", "events", (Column("at", "date"),), partition_by="RANGE (at)")
    partition = Table(
        "public",
        "events_1",
        (Column("at", "date"),),
        partition_of=EVENTS,
        partition_bound="DEFAULT",
    )
    assert operation_sql(CreateTable("events", "public", parent)) == [
        'CREATE TABLE "public"."events" (\n    "at" date\n) PARTITION BY RANGE (at)'
    ]
    # A partition is created on its own; AttachPartition makes it one.
    assert operation_sql(CreateTable("events_1", "public", partition)) == [
        'CREATE TABLE "public"."events_1" (\n    "at" date\n)'
    ]


def test_scaffolded_down_reverses_every_new_operation() -> None:
    operations: list[MigrationOperation] = [
        SetTableOptions("t", "public", (), ("fillfactor=70",)),
        SetTableLogged("t", "public", False),
        AttachPartition("p", "public", EVENTS, "DEFAULT"),
        NoInheritTable("c", "public", QualifiedName("public", "parent")),
        SetSequenceOwner("s", "public", (QualifiedName("public", "t"), "id")),
        ReplaceGeneratedColumn("t", "g", STORED, VIRTUAL),
    ]
    source = migration_source(
        operations, class_name="M", context_module="app.db", context_class="Db", title="T"
    )
    down = source[source.index("async def down") :]
    assert "MigrationError" not in source
    assert down.index("OWNED BY NONE") < down.index("INHERIT") < down.index("DETACH")
    assert down.index("DETACH") < down.index("SET LOGGED") < down.index("RESET")
    compile(source, "m.py", "exec")
