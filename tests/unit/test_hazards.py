"""Classifying dangerous operations from table facts: pure, no database."""

from __future__ import annotations

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
from linkgress_async.migrations.scaffold import split_safe
from linkgress_async.ops import (
    AddColumn,
    AddPrimaryKey,
    AlterColumn,
    CreateCheckConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    CreateUniqueConstraint,
    DropColumn,
    DropIndex,
    MigrationOperation,
)
from linkgress_async.plan.hazards import (
    Hazard,
    HazardFacts,
    HazardPolicy,
    TableFacts,
    find_hazards,
    risky_tables,
    type_change_pairs,
)
from linkgress_async.render.sql import operation_sql, validate_constraint_sql

BIG = TableFacts("public", "big", estimated_rows=50_000, total_bytes=5_000_000, has_rows=True)
SMALL = TableFacts("public", "small", estimated_rows=10, total_bytes=16_384, has_rows=True)
EMPTY = TableFacts("public", "empty", estimated_rows=0, total_bytes=8_192, has_rows=False)
FACTS = HazardFacts({t.qualified_name: t for t in (BIG, SMALL, EMPTY)})

INDEX = Index("ix_v", (IndexElement("v"),))
FK = ForeignKey("fk_big_small", ("small_id",), QualifiedName("public", "small"), ("id",))


def codes(operations: list[MigrationOperation], facts: HazardFacts = FACTS) -> list[str]:
    return [h.code for h in find_hazards(operations, facts)]


def test_not_null_column_without_default_fails_on_any_table_with_rows() -> None:
    required = Column("flag", "boolean", nullable=False)
    for table in ("big", "small"):
        hazards = find_hazards([AddColumn(table, "flag", required)], FACTS)
        assert [h.code for h in hazards] == ["not-null-without-default"]
        assert "fails" in hazards[0].message
        assert f"'{table}'" in hazards[0].message
        assert "default" in hazards[0].safe_alternative
    assert codes([AddColumn("empty", "flag", required)]) == []


@pytest.mark.parametrize(
    "column",
    [
        Column("flag", "boolean"),
        Column("flag", "boolean", nullable=False, default="false"),
        Column("n", "serial", nullable=False),
        Column(
            "n",
            "integer",
            nullable=False,
            identity=Identity(True, SequenceOptions(1, 1, 1, 2**31 - 1)),
        ),
    ],
)
def test_columns_that_fill_themselves_are_safe(column: Column) -> None:
    assert codes([AddColumn("big", column.name, column)]) == []


def test_set_not_null_on_a_large_table_names_the_check_constraint_route() -> None:
    op = AlterColumn("big", "v", Column("v", "text"), Column("v", "text", nullable=False))
    hazards = find_hazards([op], FACTS)
    assert [h.code for h in hazards] == ["set-not-null"]
    assert "CHECK (v IS NOT NULL) NOT VALID" in hazards[0].safe_alternative
    assert "VALIDATE CONSTRAINT" in hazards[0].safe_alternative
    assert hazards[0].operation is op
    assert hazards[0].table == QualifiedName("public", "big")
    assert codes([AlterColumn("small", "v", op.from_, op.to)]) == []


def test_type_change_rewrites_unless_the_server_said_it_is_free() -> None:
    op = AlterColumn("big", "n", Column("n", "integer"), Column("n", "bigint"))
    hazards = find_hazards([op], FACTS)
    assert [h.code for h in hazards] == ["table-rewrite"]
    assert "integer to bigint" in hazards[0].message
    assert "backfill" in hazards[0].safe_alternative
    free = HazardFacts(FACTS.tables, frozenset({("integer", "bigint")}))
    assert codes([op], free) == []
    assert codes([AlterColumn("small", "n", op.from_, op.to)]) == []


def test_serial_to_bigserial_is_probed_as_its_storage_types() -> None:
    op = AlterColumn("big", "n", Column("n", "serial"), Column("n", "bigserial"))
    assert type_change_pairs([op]) == {("integer", "bigint")}
    assert codes([op]) == ["table-rewrite"]


def test_a_rewrite_is_reported_once_even_with_set_not_null() -> None:
    op = AlterColumn("big", "n", Column("n", "integer"), Column("n", "bigint", nullable=False))
    assert codes([op]) == ["table-rewrite"]


def test_default_only_change_is_no_hazard() -> None:
    op = AlterColumn("big", "v", Column("v", "text"), Column("v", "text", default="'x'::text"))
    assert codes([op]) == []
    assert risky_tables([op]) == []


def test_index_and_constraints_on_large_tables() -> None:
    operations: list[MigrationOperation] = [
        CreateIndex.of("public", "big", INDEX),
        CreateForeignKey("big", FK),
        CreateCheckConstraint("big", CheckConstraint("ck", "v > 0")),
        CreateUniqueConstraint("big", UniqueConstraint("uq", ("v",))),
        AddPrimaryKey("big", PrimaryKey("big_pkey", ("id",))),
    ]
    hazards = find_hazards(operations, FACTS)
    assert [h.code for h in hazards] == [
        "index-not-concurrent",
        "foreign-key-not-valid",
        "check-not-valid",
        "unique-constraint",
        "unique-constraint",
    ]
    assert "CONCURRENTLY" in hazards[0].safe_alternative
    assert "NOT VALID" in hazards[1].safe_alternative
    assert "'small'" in hazards[1].message  # the referenced table is locked too
    assert "UNIQUE USING INDEX uq" in hazards[3].safe_alternative
    assert "PRIMARY KEY USING INDEX big_pkey" in hazards[4].safe_alternative
    on_small = [
        CreateIndex.of("public", "small", INDEX),
        CreateForeignKey("small", FK),
    ]
    assert codes(on_small) == []


def test_safe_forms_are_not_hazards() -> None:
    operations: list[MigrationOperation] = [
        CreateIndex.of("public", "big", INDEX, concurrently=True),
        CreateForeignKey("big", FK, not_valid=True),
        CreateCheckConstraint("big", CheckConstraint("ck", "v > 0"), not_valid=True),
    ]
    assert codes(operations) == []
    assert risky_tables(operations) == []


def test_tables_created_by_the_plan_are_never_hazards() -> None:
    # Facts say "big" is large, but the plan creates it: it is empty while the plan runs.
    table = Table("public", "big", (Column("id", "integer", nullable=False),))
    operations: list[MigrationOperation] = [
        CreateTable("big", "public", table),
        CreateIndex.of("public", "big", INDEX),
        CreateForeignKey("big", FK),
    ]
    assert risky_tables(operations) == []
    assert codes(operations) == []


def test_tables_without_facts_are_skipped() -> None:
    assert codes([CreateIndex.of("public", "elsewhere", INDEX)]) == []


def test_risky_tables_lists_each_existing_table_once_in_plan_order() -> None:
    operations: list[MigrationOperation] = [
        DropColumn("gone", "x"),
        CreateIndex.of("s", "b", INDEX),
        CreateIndex.of("public", "a", Index("ix2", (IndexElement("w"),))),
        CreateForeignKey("b", FK, "s"),
        AddColumn("c", "x", Column("x", "text")),  # nullable: fills itself
    ]
    assert risky_tables(operations) == [QualifiedName("s", "b"), QualifiedName("public", "a")]


@pytest.mark.parametrize(
    ("facts", "policy", "large"),
    [
        (BIG, HazardPolicy(), True),
        (SMALL, HazardPolicy(), False),
        (SMALL, HazardPolicy(large_table_rows=10), True),
        (SMALL, HazardPolicy(large_table_rows=0), True),
        (EMPTY, HazardPolicy(large_table_rows=0), False),
        # Never analysed (-1): the size decides, or any row when the threshold is 0.
        (TableFacts("public", "t", -1, 100 * 2**20, True), HazardPolicy(), True),
        (TableFacts("public", "t", -1, 16_384, True), HazardPolicy(), False),
        (TableFacts("public", "t", -1, 16_384, True), HazardPolicy(large_table_rows=0), True),
        # Stale statistics say empty, the size says otherwise.
        (TableFacts("public", "t", 0, 100 * 2**20, True), HazardPolicy(), True),
        # Rows could not be checked (locked): the estimate decides.
        (TableFacts("public", "t", 20_000, 2**20, None), HazardPolicy(), True),
        (TableFacts("public", "t", 0, 0, None), HazardPolicy(large_table_rows=0), False),
    ],
)
def test_policy_is_large(facts: TableFacts, policy: HazardPolicy, large: bool) -> None:
    assert policy.is_large(facts) is large


def test_policy_threshold_is_applied_by_find_hazards() -> None:
    op = CreateIndex.of("public", "small", INDEX)
    assert find_hazards([op], FACTS, HazardPolicy(large_table_rows=5))[0].code == (
        "index-not-concurrent"
    )


def test_summary_and_describe() -> None:
    assert BIG.summary() == "~50,000 rows, 4.8 MB"
    assert TableFacts("public", "t", -1, 512, True).summary() == (
        "row count not yet analysed, 512 bytes"
    )
    hazard = find_hazards([CreateIndex.of("public", "big", INDEX)], FACTS)[0]
    assert isinstance(hazard, Hazard)
    assert hazard.describe() == f"{hazard.message} Safer: {hazard.safe_alternative}"
    assert "~50,000 rows" in hazard.message


def test_safe_forms_render_and_reverse() -> None:
    create = CreateIndex.of("s", "t", INDEX, concurrently=True)
    assert operation_sql(create) == [
        'CREATE INDEX CONCURRENTLY "ix_v" ON "s"."t" USING "btree" ("v")'
    ]
    drop = create.reverse()
    assert drop == DropIndex("t", "ix_v", "s", INDEX, concurrently=True)
    assert operation_sql(drop) == ['DROP INDEX CONCURRENTLY IF EXISTS "s"."ix_v"']
    assert drop.reverse() == create
    # The defaults render exactly as before.
    assert operation_sql(CreateIndex.of("s", "t", INDEX))[0].startswith('CREATE INDEX "ix_v"')
    assert operation_sql(DropIndex("t", "ix_v", "s")) == ['DROP INDEX "s"."ix_v"']

    fk = CreateForeignKey("t", FK, "s", not_valid=True)
    assert operation_sql(fk)[0].endswith("ON DELETE NO ACTION ON UPDATE NO ACTION NOT VALID")
    assert not operation_sql(CreateForeignKey("t", FK, "s"))[0].endswith("NOT VALID")
    check = CreateCheckConstraint("t", CheckConstraint("ck", "v > 0"), "s", not_valid=True)
    assert operation_sql(check) == [
        'ALTER TABLE "s"."t" ADD CONSTRAINT "ck" CHECK (v > 0) NOT VALID'
    ]
    assert validate_constraint_sql("s", "t", 'we"ird') == (
        'ALTER TABLE "s"."t" VALIDATE CONSTRAINT "we""ird"'
    )


def test_split_safe_moves_indexes_and_defers_validation() -> None:
    new_table = Table("public", "fresh", (Column("id", "integer", nullable=False),))
    needed = Index("ux_small_code", (IndexElement("code"),), unique=True)
    fk_to_code = ForeignKey("fk_code", ("code",), QualifiedName("public", "small"), ("code",))
    operations: list[MigrationOperation] = [
        CreateTable("fresh", "public", new_table),
        DropIndex("big", "ix_v", "public", INDEX),
        CreateIndex.of("public", "big", INDEX),
        CreateIndex.of("public", "small", needed),  # the new key below relies on it
        CreateIndex.of("public", "fresh", INDEX),
        CreateForeignKey("big", FK),
        CreateForeignKey("fresh", fk_to_code),
        CreateCheckConstraint("big", CheckConstraint("ck", "v > 0")),
    ]
    split = split_safe(operations)
    assert split.main == [
        operations[0],
        operations[1],
        operations[3],
        operations[4],
        CreateForeignKey("big", FK, not_valid=True),
        operations[6],
        CreateCheckConstraint("big", CheckConstraint("ck", "v > 0"), not_valid=True),
    ]
    assert split.indexes == [CreateIndex.of("public", "big", INDEX, concurrently=True)]
    big = QualifiedName("public", "big")
    assert split.validate == [(big, "fk_big_small"), (big, "ck")]
    assert find_hazards(split.main + list(split.indexes), FACTS) == []


def test_typmod_only_changes_render_without_a_rewriting_using_clause() -> None:
    def sql_of(old: str, new: str) -> str:
        return operation_sql(AlterColumn("t", "c", Column("c", old), Column("c", new)))[0]

    assert sql_of("character varying(10)", "character varying(20)") == (
        'ALTER TABLE "public"."t" ALTER COLUMN "c" TYPE character varying(20)'
    )
    assert sql_of("numeric(10,2)", "numeric(12,2)").endswith("TYPE numeric(12,2)")
    assert sql_of("character varying(10)[]", "character varying(20)[]").endswith(
        "TYPE character varying(20)[]"
    )
    assert sql_of("text", "character varying(5)").endswith(
        'TYPE character varying(5) USING "c"::character varying'
    )
    assert sql_of("integer", "bigint").endswith('TYPE bigint USING "c"::bigint')
