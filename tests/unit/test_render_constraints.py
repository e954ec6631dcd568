"""SQL, reverse, destructive and describe of keys, constraints and indexes with options."""

from __future__ import annotations

import ast

import pytest

from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    ExclusionConstraint,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    QualifiedName,
    Table,
    UniqueConstraint,
)
from linkgress_async.diff import diff
from linkgress_async.ops import (
    AddPrimaryKey,
    AlterColumn,
    AlterConstraint,
    AlterIndexOptions,
    CreateCheckConstraint,
    CreateExclusionConstraint,
    CreateForeignKey,
    CreateIndex,
    CreateUniqueConstraint,
    DropExclusionConstraint,
    MigrationOperation,
    RenameColumn,
    RenameTable,
)
from linkgress_async.render.python import migration_source
from linkgress_async.render.sql import operation_sql, table_definition

PARENT = QualifiedName("public", "parent")
FK = ForeignKey("child_parent_fkey", ("parent_id",), PARENT, ("id",))
CHECK = CheckConstraint("child_amount_check", "(amount > 0)")
EXCLUSION = ExclusionConstraint(
    "child_no_overlap", "EXCLUDE USING gist (room WITH =, during WITH &&)"
)


def table_catalog(*tables: Table) -> Catalog:
    return Catalog(schemas=("public",), tables=tables)


# --- clauses ------------------------------------------------------------------------------


def test_index_keys_with_every_option() -> None:
    index = Index(
        "ix",
        (
            IndexElement(
                column="name", opclass="public.gist_trgm_ops", opclass_options=("siglen=32",)
            ),
            IndexElement(expression="lower(title)", collation='"C"', opclass="text_pattern_ops"),
            IndexElement(column="a", descending=True, nulls_first=False),
            IndexElement(column="b", nulls_first=True),
            IndexElement(column="c", descending=True),
        ),
        unique=True,
        include=("d",),
        nulls_not_distinct=True,
        options=("fillfactor=70", "deduplicate_items=off"),
        where="(a > 0)",
    )
    assert operation_sql(CreateIndex.of("public", "t", index)) == [
        'CREATE UNIQUE INDEX "ix" ON "public"."t" USING "btree" ('
        '"name" public.gist_trgm_ops ("siglen"=\'32\'), '
        '(lower(title)) COLLATE "C" text_pattern_ops, '
        '"a" DESC NULLS LAST, "b" NULLS FIRST, "c" DESC) INCLUDE ("d") NULLS NOT DISTINCT '
        "WITH (\"fillfactor\"='70', \"deduplicate_items\"='off') WHERE (a > 0)"
    ]


def test_create_index_carries_every_field_of_the_index() -> None:
    index = Index("ix", (IndexElement("a"),), nulls_not_distinct=True, options=("fillfactor=70",))
    op = CreateIndex.of("public", "t", index)
    assert op.index == index
    assert op.reverse().index == index  # type: ignore[union-attr]


def test_keys_with_options_in_create_table() -> None:
    table = Table(
        "public",
        "t",
        (
            Column("id", "integer", nullable=False, not_null_name="t_id_required"),
            Column("k", "text"),
        ),
        primary_key=PrimaryKey(
            "t_pkey", ("id",), include=("k",), options=("fillfactor=90",), deferrable=True
        ),
        uniques=(
            UniqueConstraint(
                "t_k_key",
                ("k",),
                nulls_not_distinct=True,
                deferrable=True,
                initially_deferred=True,
            ),
        ),
        checks=(
            CheckConstraint("t_k_check", "(k <> '')", no_inherit=True),
            CheckConstraint("t_late_check", "(id > 0)", not_valid=True),
        ),
        exclusions=(EXCLUSION,),
    )
    assert table_definition(table) == (
        'CREATE TABLE "public"."t" (\n'
        '    "id" integer CONSTRAINT "t_id_required" NOT NULL,\n'
        '    "k" text,\n'
        '    CONSTRAINT "t_pkey" PRIMARY KEY ("id") INCLUDE ("k") WITH ("fillfactor"=\'90\')'
        " DEFERRABLE,\n"
        '    CONSTRAINT "t_k_key" UNIQUE NULLS NOT DISTINCT ("k") DEFERRABLE INITIALLY DEFERRED,\n'
        '    CONSTRAINT "child_no_overlap" EXCLUDE USING gist (room WITH =, during WITH &&),\n'
        "    CONSTRAINT \"t_k_check\" CHECK ((k <> '')) NO INHERIT\n"
        ")"
    )
    # CREATE TABLE would validate the NOT VALID check: the diff adds it on its own.
    assert [op.type for op in diff(table_catalog(), table_catalog(table))] == [
        "create_table",
        "create_check_constraint",
    ]
    (_, added) = diff(table_catalog(), table_catalog(table))
    assert operation_sql(added) == [
        'ALTER TABLE "public"."t" ADD CONSTRAINT "t_late_check" CHECK ((id > 0)) NOT VALID'
    ]


def test_temporal_keys() -> None:
    pk = PrimaryKey("p_pkey", ("id", "valid_at"), without_overlaps=True)
    unique = UniqueConstraint("p_key", ("k", "valid_at"), without_overlaps=True)
    fk = ForeignKey(
        "o_fkey", ("id", "valid_at"), PARENT, ("id", "valid_at"), period=True, match="full"
    )
    assert operation_sql(AddPrimaryKey("p", pk)) == [
        'ALTER TABLE "public"."p" ADD CONSTRAINT "p_pkey" PRIMARY KEY ("id", "valid_at"'
        " WITHOUT OVERLAPS)"
    ]
    assert operation_sql(CreateUniqueConstraint("p", unique)) == [
        'ALTER TABLE "public"."p" ADD CONSTRAINT "p_key" UNIQUE ("k", "valid_at" WITHOUT OVERLAPS)'
    ]
    assert operation_sql(CreateForeignKey("o", fk)) == [
        'ALTER TABLE "public"."o" ADD CONSTRAINT "o_fkey" FOREIGN KEY ("id", PERIOD "valid_at") '
        'REFERENCES "public"."parent" ("id", PERIOD "valid_at") MATCH FULL '
        "ON DELETE NO ACTION ON UPDATE NO ACTION"
    ]


def test_foreign_key_flags() -> None:
    fk = ForeignKey(
        "fk",
        ("a", "b"),
        PARENT,
        ("x", "y"),
        on_delete="set null",
        delete_set_columns=("b",),
        deferrable=True,
        initially_deferred=True,
        not_valid=True,
    )
    assert operation_sql(CreateForeignKey("c", fk)) == [
        'ALTER TABLE "public"."c" ADD CONSTRAINT "fk" FOREIGN KEY ("a", "b") REFERENCES '
        '"public"."parent" ("x", "y") ON DELETE SET NULL ("b") ON UPDATE NO ACTION '
        "DEFERRABLE INITIALLY DEFERRED NOT VALID"
    ]
    loose = ForeignKey("fk", ("a",), PARENT, ("x",), enforced=False)
    assert operation_sql(CreateForeignKey("c", loose, not_valid=True))[0].endswith("NOT ENFORCED")
    assert not CreateForeignKey("c", loose).checks_rows
    assert not CreateForeignKey("c", fk).checks_rows
    assert CreateForeignKey("c", FK).checks_rows


def test_check_flags() -> None:
    check = CheckConstraint("ck", "(a > 0)", no_inherit=True, enforced=False)
    assert operation_sql(CreateCheckConstraint("t", check)) == [
        'ALTER TABLE "public"."t" ADD CONSTRAINT "ck" CHECK ((a > 0)) NO INHERIT NOT ENFORCED'
    ]


# --- the new operations -------------------------------------------------------------------


def test_exclusion_constraints() -> None:
    deferred = ExclusionConstraint(EXCLUSION.name, EXCLUSION.definition, deferrable=True)
    create = CreateExclusionConstraint("child", deferred, "app")
    assert operation_sql(create) == [
        'ALTER TABLE "app"."child" ADD CONSTRAINT "child_no_overlap" '
        "EXCLUDE USING gist (room WITH =, during WITH &&) DEFERRABLE"
    ]
    drop = create.reverse()
    assert drop == DropExclusionConstraint("child", "child_no_overlap", "app", deferred)
    assert operation_sql(drop) == ['ALTER TABLE "app"."child" DROP CONSTRAINT "child_no_overlap"']
    assert drop.reverse() == create
    assert DropExclusionConstraint("child", "x").reverse() is None
    assert not create.destructive
    assert not drop.destructive
    assert create.describe() == "Create exclusion constraint 'child_no_overlap' on 'app.child'"
    assert drop.describe() == "Drop exclusion constraint 'child_no_overlap' on 'app.child'"


ALTERS: list[tuple[object, object, list[str], str]] = [
    (
        FK,
        ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, deferrable=True),
        ['ALTER CONSTRAINT "child_parent_fkey" DEFERRABLE INITIALLY IMMEDIATE'],
        "deferrable",
    ),
    (
        ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, not_valid=True),
        FK,
        ['VALIDATE CONSTRAINT "child_parent_fkey"'],
        "validate",
    ),
    (
        FK,
        ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, enforced=False),
        ['ALTER CONSTRAINT "child_parent_fkey" NOT ENFORCED'],
        "not enforced",
    ),
    (
        ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, enforced=False),
        FK,
        ['ALTER CONSTRAINT "child_parent_fkey" ENFORCED'],
        "enforced",
    ),
    (
        ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, enforced=False),
        ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, not_valid=True),
        [
            'DROP CONSTRAINT "child_parent_fkey"',
            'ADD CONSTRAINT "child_parent_fkey" FOREIGN KEY ("parent_id") REFERENCES '
            '"public"."parent" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION NOT VALID',
        ],
        "enforced, not valid",
    ),
    (
        FK,
        ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, not_valid=True),
        [
            'DROP CONSTRAINT "child_parent_fkey"',
            'ADD CONSTRAINT "child_parent_fkey" FOREIGN KEY ("parent_id") REFERENCES '
            '"public"."parent" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION NOT VALID',
        ],
        "not valid",
    ),
    (
        CheckConstraint(CHECK.name, CHECK.expression, not_valid=True),
        CHECK,
        ['VALIDATE CONSTRAINT "child_amount_check"'],
        "validate",
    ),
    (
        CHECK,
        CheckConstraint(CHECK.name, CHECK.expression, no_inherit=True),
        [
            'DROP CONSTRAINT "child_amount_check"',
            'ADD CONSTRAINT "child_amount_check" CHECK ((amount > 0)) NO INHERIT',
        ],
        "no inherit",
    ),
    (
        CHECK,
        CheckConstraint(CHECK.name, CHECK.expression, enforced=False),
        [
            'DROP CONSTRAINT "child_amount_check"',
            'ADD CONSTRAINT "child_amount_check" CHECK ((amount > 0)) NOT ENFORCED',
        ],
        "not enforced",
    ),
]


@pytest.mark.parametrize(("old", "new", "actions", "changes"), ALTERS)
def test_alter_constraint(old: object, new: object, actions: list[str], changes: str) -> None:
    op = AlterConstraint("child", old, new)  # type: ignore[arg-type]
    assert operation_sql(op) == [f'ALTER TABLE "public"."child" {a}' for a in actions]
    kind = "foreign key" if isinstance(new, ForeignKey) else "check constraint"
    assert op.describe() == f"Alter {kind} '{op.constraint_name}' on 'child' ({changes})"
    assert not op.destructive
    assert op.reverse() == AlterConstraint("child", new, old)  # type: ignore[arg-type]


def test_diff_alters_flags_in_place() -> None:
    old = Table("public", "child", (Column("parent_id", "integer"),), foreign_keys=(FK,))
    deferred = ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, deferrable=True)
    new = Table("public", "child", old.columns, foreign_keys=(deferred,))
    assert diff(table_catalog(old), table_catalog(new)) == [AlterConstraint("child", FK, deferred)]
    # More than flags: dropped and created again.
    cascading = ForeignKey(FK.name, FK.columns, PARENT, FK.referenced_columns, "cascade")
    changed = Table("public", "child", old.columns, foreign_keys=(cascading,))
    assert [op.type for op in diff(table_catalog(old), table_catalog(changed))] == [
        "drop_foreign_key",
        "create_foreign_key",
    ]


def test_alter_index_options() -> None:
    op = AlterIndexOptions(
        "t", "ix", ("fillfactor=70", "fastupdate=off"), ("fillfactor=50", "buffering=on"), "app"
    )
    assert operation_sql(op) == [
        'ALTER INDEX "app"."ix" RESET ("fastupdate")',
        'ALTER INDEX "app"."ix" SET ("fillfactor"=\'50\', "buffering"=\'on\')',
    ]
    assert op.describe() == (
        "Alter index 'ix' on 'app.t' (set fillfactor=50, set buffering=on, reset fastupdate)"
    )
    assert op.reverse() == AlterIndexOptions(
        "t", "ix", ("fillfactor=50", "buffering=on"), ("fillfactor=70", "fastupdate=off"), "app"
    )
    assert not op.destructive


def test_storage_parameters_compare_as_a_set() -> None:
    a = Index("ix", (IndexElement("a"),), options=("fillfactor=70", "fastupdate=off"))
    b = Index("ix", (IndexElement("a"),), options=("fastupdate=off", "fillfactor=70"))
    assert a == b
    assert hash(a) == hash(b)
    table_a = Table("public", "t", (Column("a", "integer"),), indexes=(a,))
    table_b = Table("public", "t", (Column("a", "integer"),), indexes=(b,))
    assert diff(table_catalog(table_a), table_catalog(table_b)) == []


def test_options_alone_alter_the_index_in_place() -> None:
    old = Table(
        "public",
        "t",
        (Column("a", "integer", nullable=False),),
        primary_key=PrimaryKey("t_pkey", ("a",)),
        indexes=(Index("ix", (IndexElement("a"),)),),
    )
    new = Table(
        "public",
        "t",
        old.columns,
        primary_key=PrimaryKey("t_pkey", ("a",), options=("fillfactor=80",)),
        indexes=(Index("ix", (IndexElement("a"),), options=("fillfactor=70",)),),
    )
    assert diff(table_catalog(old), table_catalog(new)) == [
        AlterIndexOptions("t", "t_pkey", (), ("fillfactor=80",)),
        AlterIndexOptions("t", "ix", (), ("fillfactor=70",)),
    ]


# --- NOT NULL constraint names (PostgreSQL 18) ---------------------------------------------


def test_not_null_names() -> None:
    plain = Column("a", "integer", nullable=False)
    named = Column("a", "integer", nullable=False, not_null_name="a_required")
    rename = AlterColumn("t", "a", plain, named)
    assert operation_sql(rename) == [
        'ALTER TABLE "public"."t" RENAME CONSTRAINT "t_a_not_null" TO "a_required"'
    ]
    assert rename.describe() == "Alter column 't.a' (rename NOT NULL constraint)"
    assert operation_sql(rename.reverse()) == [
        'ALTER TABLE "public"."t" RENAME CONSTRAINT "a_required" TO "t_a_not_null"'
    ]
    added = AlterColumn("t", "a", Column("a", "integer"), named)
    assert operation_sql(added) == [
        'ALTER TABLE "public"."t" ADD CONSTRAINT "a_required" NOT NULL "a"'
    ]


def test_renames_carry_server_named_not_null_constraints() -> None:
    statements = operation_sql(RenameTable("public", "old", "new", (), ("a",)))
    assert statements[0] == 'ALTER TABLE "public"."old" RENAME TO "new"'
    body = statements[1]
    # Renamed only where the constraint has the server's name (none before PostgreSQL 18).
    assert "contype = ''n''" in body
    assert "''old_a_not_null''" in body
    assert 'RENAME CONSTRAINT "old_a_not_null" TO "new_a_not_null"' in body
    assert len(operation_sql(RenameTable("public", "old", "new"))) == 1
    column = operation_sql(RenameColumn("public", "t", "a", "b", False, True))
    assert 'RENAME CONSTRAINT "t_a_not_null" TO "t_b_not_null"' in column[1]


# --- the scaffold ---------------------------------------------------------------------------


def test_scaffold_renders_and_reverses_the_new_operations() -> None:
    deferrable = ForeignKey(FK.name, FK.columns, PARENT, ("id",), deferrable=True)
    operations: list[MigrationOperation] = [
        CreateExclusionConstraint("child", EXCLUSION),
        AlterConstraint("child", FK, deferrable),
        AlterIndexOptions("child", "ix", (), ("fillfactor=70",)),
    ]
    source = migration_source(
        operations,
        class_name="M",
        context_module="app.db",
        context_class="AppDatabase",
        title="Keys",
    )
    statements = _executed(source)
    assert statements["up"] == [_flat(s) for op in operations for s in operation_sql(op)]
    reverse = [op.reverse() for op in reversed(operations)]
    assert statements["down"] == [_flat(s) for op in reverse if op for s in operation_sql(op)]
    assert statements["down"][:2] == [
        'ALTER INDEX "public"."ix" RESET ("fillfactor")',
        'ALTER TABLE "public"."child" ALTER CONSTRAINT "child_parent_fkey" NOT DEFERRABLE'
        " INITIALLY IMMEDIATE",
    ]


def _flat(sql: str) -> str:
    """A statement without its layout (the file may lay a long one out over lines)."""
    return " ".join(sql.split())


def _executed(source: str) -> dict[str, list[str]]:
    """The statements each method of a generated migration passes to ``db.execute``."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AsyncFunctionDef):
            found[node.name] = [
                _flat(ast.literal_eval(call.args[0]))
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and ast.unparse(call.func) == "db.execute"
            ]
    return found
