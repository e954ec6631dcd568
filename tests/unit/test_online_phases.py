"""online_phases: which operations leave the first transaction, and in what form."""

from __future__ import annotations

from linkgress_async.catalog import (
    CheckConstraint,
    Column,
    ForeignKey,
    IndexElement,
    QualifiedName,
    Table,
    UniqueConstraint,
)
from linkgress_async.online import online_phases
from linkgress_async.ops import (
    AlterColumn,
    CreateCheckConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateTable,
    CreateUniqueConstraint,
    DropIndex,
)
from linkgress_async.plan.hazard_facts import PartitionNode

EVENTS = QualifiedName("app", "events")


def _index(table: str, name: str, *, unique: bool = False) -> CreateIndex:
    return CreateIndex(table, name, (IndexElement(column="a"),), "app", unique=unique)


def test_a_new_table_keeps_its_indexes_and_keys_in_the_first_phase() -> None:
    table = Table("fresh", "app", (Column("a", "integer"),))
    fk = ForeignKey("fresh_fk", ("a",), QualifiedName("app", "other"), ("id",))
    phases = online_phases(
        [
            CreateTable("fresh", "app", table),
            _index("fresh", "ix"),
            CreateForeignKey("fresh", fk, "app"),
        ]
    )
    (phase,) = phases
    assert phase.kind == "catalog"
    assert not any("NOT VALID" in s or "CONCURRENTLY" in s for s in phase.statements)


def test_a_key_and_a_check_on_an_existing_table_are_validated_apart() -> None:
    fk = ForeignKey("t_fk", ("a",), QualifiedName("app", "other"), ("id",))
    check = CheckConstraint("t_check", "a > 0")
    phases = online_phases(
        [CreateForeignKey("t", fk, "app"), CreateCheckConstraint("t", check, "app")]
    )
    assert [p.kind for p in phases] == ["catalog", "validate", "validate"]
    assert all(s.endswith("NOT VALID") for s in phases[0].statements)
    assert phases[1].statements == ('ALTER TABLE "app"."t" VALIDATE CONSTRAINT "t_fk"',)


def test_a_unique_index_a_new_key_needs_stays_with_its_drop_in_the_first_phase() -> None:
    fk = ForeignKey("t_fk", ("a",), QualifiedName("app", "u"), ("a",))
    drop = DropIndex("u", "ux", "app")
    phases = online_phases([drop, _index("u", "ux", unique=True), CreateForeignKey("t", fk, "app")])
    assert [p.kind for p in phases] == ["catalog", "validate"]
    first = phases[0].statements
    assert first[0] == 'DROP INDEX "app"."ux"'
    assert first[1].startswith('CREATE UNIQUE INDEX "ux"')


def test_set_not_null_goes_through_a_validated_check() -> None:
    before = Column("a", "integer")
    after = Column("a", "integer", nullable=False, default="0")
    (catalog, validate, not_null) = online_phases([AlterColumn("t", "a", before, after, "app")])
    assert "SET DEFAULT 0" in catalog.statements[0]
    assert catalog.statements[-1].endswith('CHECK ("a" IS NOT NULL) NOT VALID')
    assert validate.kind == "validate"
    assert not_null.statements[0].endswith("SET NOT NULL")
    assert not_null.statements[1].endswith('DROP CONSTRAINT "t_a_online_not_null"')


def test_a_partitioned_table_is_indexed_per_partition_and_keeps_its_keys() -> None:
    tree = {EVENTS: (PartitionNode(QualifiedName("app", "events_1"), EVENTS, False),)}
    fk = ForeignKey("events_fk", ("a",), QualifiedName("app", "other"), ("id",))
    phases = online_phases(
        [
            _index("events", "ix"),
            CreateForeignKey("events", fk, "app"),
            DropIndex("events", "old", "app"),
        ],
        tree,
    )
    catalog, *indexes = phases
    assert not any("NOT VALID" in s for s in catalog.statements)
    assert catalog.statements[-1] == 'DROP INDEX "app"."old"'
    built = " ".join(s for p in indexes for s in p.statements)
    assert 'ON ONLY "app"."events"' in built
    assert 'CREATE INDEX CONCURRENTLY "events_1_ix"' in built
    assert all(p.kind == "concurrent" for p in indexes)


def test_an_index_replaced_by_a_unique_constraint_of_its_name_is_dropped_first() -> None:
    unique = UniqueConstraint("ux", ("a",))
    phases = online_phases(
        [DropIndex("t", "ux", "app"), CreateUniqueConstraint("t", unique, "app")]
    )
    (catalog,) = phases
    assert catalog.statements[0] == 'DROP INDEX "app"."ux"'
    assert 'ADD CONSTRAINT "ux" UNIQUE' in catalog.statements[1]
