"""Trigger, row-level security, policy, comment, privilege and owner operations: their SQL,
reverse, destructive flag and description. No database."""

from __future__ import annotations

import ast

import pytest

from linkgress_async.catalog import ObjectRef, Policy, QualifiedName, Trigger
from linkgress_async.ops import (
    AlterOwner,
    AlterPolicy,
    AlterRowSecurity,
    AlterTriggerEnabled,
    CreatePolicy,
    CreateTrigger,
    DropPolicy,
    DropTrigger,
    GrantPrivileges,
    MigrationOperation,
    RenamePolicy,
    RenameTrigger,
    RevokePrivileges,
    SetComment,
)
from linkgress_async.render.python import migration_source
from linkgress_async.render.sql import operation_sql, plan_sql

AUDIT = QualifiedName("app", "audit")


def trigger(name: str = "audit", **changes: object) -> Trigger:
    fields: dict[str, object] = {
        "name": name,
        "function": AUDIT,
        "timing": "after",
        "events": ("insert", "update"),
        "level": "row",
    }
    fields.update(changes)
    return Trigger(**fields)  # type: ignore[arg-type]


# --- SQL -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "sql"),
    [
        pytest.param(
            CreateTrigger("t", "app", trigger()),
            [
                'CREATE TRIGGER "audit" AFTER INSERT OR UPDATE ON "app"."t" FOR EACH ROW '
                'EXECUTE FUNCTION "app"."audit"()'
            ],
            id="trigger",
        ),
        pytest.param(
            CreateTrigger(
                "t",
                "app",
                trigger(
                    timing="before",
                    events=("insert", "delete", "update", "truncate"),
                    level="statement",
                    update_columns=("a", 'we"ird'),
                    arguments=("it's", "", "back\\slash"),
                    enabled="replica",
                ),
                or_replace=True,
            ),
            [
                'CREATE OR REPLACE TRIGGER "audit" BEFORE INSERT OR DELETE OR UPDATE OF "a", '
                '"we""ird" OR TRUNCATE ON "app"."t" FOR EACH STATEMENT EXECUTE FUNCTION '
                "\"app\".\"audit\"('it''s', '', E'back\\\\slash')",
                'ALTER TABLE "app"."t" ENABLE REPLICA TRIGGER "audit"',
            ],
            id="replaced trigger, every option",
        ),
        pytest.param(
            CreateTrigger(
                "t",
                "app",
                trigger(
                    constraint=True,
                    deferrable=True,
                    initially_deferred=True,
                    when="new.x > 0",
                    old_table=None,
                    enabled="disabled",
                ),
            ),
            [
                'CREATE CONSTRAINT TRIGGER "audit" AFTER INSERT OR UPDATE ON "app"."t" '
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (new.x > 0) "
                'EXECUTE FUNCTION "app"."audit"()',
                'ALTER TABLE "app"."t" DISABLE TRIGGER "audit"',
            ],
            id="constraint trigger",
        ),
        pytest.param(
            CreateTrigger(
                "t",
                "app",
                trigger(level="statement", old_table="o", new_table="New Rows"),
            ),
            [
                'CREATE TRIGGER "audit" AFTER INSERT OR UPDATE ON "app"."t" REFERENCING OLD '
                'TABLE AS "o" NEW TABLE AS "New Rows" FOR EACH STATEMENT '
                'EXECUTE FUNCTION "app"."audit"()'
            ],
            id="transition tables",
        ),
        pytest.param(
            DropTrigger("t", "audit", "app"), ['DROP TRIGGER "audit" ON "app"."t"'], id="drop"
        ),
        pytest.param(
            RenameTrigger("t", "a", "b", "app"),
            ['ALTER TRIGGER "a" ON "app"."t" RENAME TO "b"'],
            id="rename",
        ),
        pytest.param(
            AlterTriggerEnabled("t", "audit", "always", "origin", "app"),
            ['ALTER TABLE "app"."t" ENABLE ALWAYS TRIGGER "audit"'],
            id="enabled",
        ),
        pytest.param(
            AlterRowSecurity("t", "app", True, False, False, True),
            [
                'ALTER TABLE "app"."t" ENABLE ROW LEVEL SECURITY',
                'ALTER TABLE "app"."t" NO FORCE ROW LEVEL SECURITY',
            ],
            id="row security",
        ),
        pytest.param(
            CreatePolicy(
                "t",
                "app",
                Policy("p", "update", False, ("public", "Reader"), "(a > 0)", "(b = 1)"),
            ),
            [
                'CREATE POLICY "p" ON "app"."t" AS RESTRICTIVE FOR UPDATE TO PUBLIC, "Reader" '
                "USING ((a > 0)) WITH CHECK ((b = 1))"
            ],
            id="policy",
        ),
        pytest.param(
            AlterPolicy("t", "app", Policy("p", using="x"), Policy("p", roles=("r",), using="y")),
            ['ALTER POLICY "p" ON "app"."t" TO "r" USING (y)'],
            id="alter policy",
        ),
        pytest.param(
            AlterPolicy("t", "app", Policy("p", using="x"), Policy("p", with_check="y")),
            [
                'DROP POLICY "p" ON "app"."t"',
                'CREATE POLICY "p" ON "app"."t" AS PERMISSIVE FOR ALL TO PUBLIC WITH CHECK (y)',
            ],
            id="alter policy that cannot be done in place",
        ),
        pytest.param(
            RenamePolicy("t", "a", "b", "app"),
            ['ALTER POLICY "a" ON "app"."t" RENAME TO "b"'],
            id="rename policy",
        ),
        pytest.param(DropPolicy("t", "p", "app"), ['DROP POLICY "p" ON "app"."t"'], id="drop"),
    ],
)
def test_sql(op: MigrationOperation, sql: list[str]) -> None:
    assert operation_sql(op) == sql


@pytest.mark.parametrize(
    ("ref", "named"),
    [
        (ObjectRef.of_schema("app"), 'SCHEMA "app"'),
        (ObjectRef("extension", None, "vector"), 'EXTENSION "vector"'),
        (ObjectRef("type", "app", "mood"), 'TYPE "app"."mood"'),
        (ObjectRef("domain", "app", "year"), 'DOMAIN "app"."year"'),
        (ObjectRef("sequence", "app", "s"), 'SEQUENCE "app"."s"'),
        (ObjectRef.of_table("app", "t"), 'TABLE "app"."t"'),
        (ObjectRef.of_column("app", "t", 'c"x'), 'COLUMN "app"."t"."c""x"'),
        (ObjectRef("constraint", "app", "t", "ck"), 'CONSTRAINT "ck" ON "app"."t"'),
        (ObjectRef("domain_constraint", "app", "d", "ck"), 'CONSTRAINT "ck" ON DOMAIN "app"."d"'),
        (ObjectRef("index", "app", "ix"), 'INDEX "app"."ix"'),
        (ObjectRef("trigger", "app", "t", "tg"), 'TRIGGER "tg" ON "app"."t"'),
        (ObjectRef("policy", "app", "t", "p"), 'POLICY "p" ON "app"."t"'),
        (ObjectRef("view", "app", "v"), 'VIEW "app"."v"'),
        (ObjectRef("materialized_view", "app", "m"), 'MATERIALIZED VIEW "app"."m"'),
        (ObjectRef("function", "app", "f", "a integer"), 'FUNCTION "app"."f"(a integer)'),
        (ObjectRef("procedure", "app", "p", ""), 'PROCEDURE "app"."p"()'),
        (ObjectRef("aggregate", "app", "agg", ""), 'AGGREGATE "app"."agg"(*)'),
        (
            ObjectRef("aggregate", "app", "pct", "double precision ORDER BY integer"),
            'AGGREGATE "app"."pct"(double precision ORDER BY integer)',
        ),
        (ObjectRef("statistics", "app", "st"), 'STATISTICS "app"."st"'),
    ],
)
def test_comment_names_every_kind(ref: ObjectRef, named: str) -> None:
    assert operation_sql(SetComment(ref, "it's")) == [f"COMMENT ON {named} IS 'it''s'"]
    assert operation_sql(SetComment(ref, None)) == [f"COMMENT ON {named} IS NULL"]


@pytest.mark.parametrize(
    ("op", "sql"),
    [
        (
            GrantPrivileges(ObjectRef.of_table("app", "t"), "Reader", ("SELECT", "INSERT")),
            'GRANT SELECT, INSERT ON TABLE "app"."t" TO "Reader"',
        ),
        (
            GrantPrivileges(ObjectRef.of_column("app", "t", "c"), "r", ("UPDATE",), True),
            'GRANT UPDATE ("c") ON TABLE "app"."t" TO "r" WITH GRANT OPTION',
        ),
        (
            RevokePrivileges(ObjectRef("function", "app", "f", ""), "PUBLIC", ("EXECUTE",)),
            'REVOKE EXECUTE ON FUNCTION "app"."f"() FROM PUBLIC',
        ),
        (
            RevokePrivileges(
                ObjectRef("aggregate", "app", "pct", "float8 ORDER BY integer"),
                "r",
                ("EXECUTE",),
                grant_option_only=True,
            ),
            'REVOKE GRANT OPTION FOR EXECUTE ON FUNCTION "app"."pct"(float8, integer) FROM "r"',
        ),
        (
            GrantPrivileges(ObjectRef.of_schema("public"), "PUBLIC", ("CREATE", "USAGE")),
            'GRANT CREATE, USAGE ON SCHEMA "public" TO PUBLIC',
        ),
        (
            GrantPrivileges(ObjectRef("sequence", "app", "s"), "r", ("USAGE",)),
            'GRANT USAGE ON SEQUENCE "app"."s" TO "r"',
        ),
        (
            GrantPrivileges(ObjectRef("domain", "app", "d"), "r", ("USAGE",)),
            'GRANT USAGE ON DOMAIN "app"."d" TO "r"',
        ),
        (
            GrantPrivileges(ObjectRef("procedure", "app", "p", "integer"), "r", ("EXECUTE",)),
            'GRANT EXECUTE ON PROCEDURE "app"."p"(integer) TO "r"',
        ),
        (
            AlterOwner(ObjectRef("materialized_view", "app", "m"), "Boss", "old"),
            'ALTER MATERIALIZED VIEW "app"."m" OWNER TO "Boss"',
        ),
        (
            AlterOwner(ObjectRef("aggregate", "app", "agg", ""), None),
            'ALTER AGGREGATE "app"."agg"(*) OWNER TO CURRENT_USER',
        ),
    ],
)
def test_privilege_and_owner_sql(op: MigrationOperation, sql: str) -> None:
    assert operation_sql(op) == [sql]


def test_what_cannot_be_granted_or_owned_is_refused() -> None:
    with pytest.raises(ValueError, match="trigger"):
        operation_sql(AlterOwner(ObjectRef("trigger", "app", "t", "tg"), "r"))
    with pytest.raises(ValueError, match="index"):
        operation_sql(GrantPrivileges(ObjectRef("index", "app", "ix"), "r", ("SELECT",)))


# --- reverse, destructive, describe --------------------------------------------------------


REVERSIBLE: list[tuple[MigrationOperation, MigrationOperation]] = [
    (
        CreateTrigger("t", "app", trigger()),
        DropTrigger("t", "audit", "app", trigger()),
    ),
    (
        CreateTrigger("t", "app", trigger(when="x"), True, trigger()),
        CreateTrigger("t", "app", trigger(), True, trigger(when="x")),
    ),
    (DropTrigger("t", "audit", "app", trigger()), CreateTrigger("t", "app", trigger())),
    (RenameTrigger("t", "a", "b", "app"), RenameTrigger("t", "b", "a", "app")),
    (
        AlterTriggerEnabled("t", "audit", "disabled", "origin", "app"),
        AlterTriggerEnabled("t", "audit", "origin", "disabled", "app"),
    ),
    (
        AlterRowSecurity("t", "app", True, True, False, False),
        AlterRowSecurity("t", "app", False, False, True, True),
    ),
    (CreatePolicy("t", "app", Policy("p")), DropPolicy("t", "p", "app", Policy("p"))),
    (DropPolicy("t", "p", "app", Policy("p")), CreatePolicy("t", "app", Policy("p"))),
    (
        AlterPolicy("t", "app", Policy("p"), Policy("p", using="x")),
        AlterPolicy("t", "app", Policy("p", using="x"), Policy("p")),
    ),
    (RenamePolicy("t", "a", "b", "app"), RenamePolicy("t", "b", "a", "app")),
    (
        SetComment(ObjectRef.of_table("app", "t"), "new", "old"),
        SetComment(ObjectRef.of_table("app", "t"), "old", "new"),
    ),
    (
        GrantPrivileges(ObjectRef.of_table("app", "t"), "r", ("SELECT",)),
        RevokePrivileges(ObjectRef.of_table("app", "t"), "r", ("SELECT",)),
    ),
    (
        GrantPrivileges(ObjectRef.of_table("app", "t"), "r", ("SELECT",), True, True),
        RevokePrivileges(ObjectRef.of_table("app", "t"), "r", ("SELECT",), True, True),
    ),
    (
        GrantPrivileges(ObjectRef.of_table("app", "t"), "r", ("SELECT",), True),
        RevokePrivileges(ObjectRef.of_table("app", "t"), "r", ("SELECT",), False, True),
    ),
    (
        RevokePrivileges(ObjectRef("function", "app", "f", ""), "PUBLIC", ("EXECUTE",)),
        GrantPrivileges(ObjectRef("function", "app", "f", ""), "PUBLIC", ("EXECUTE",)),
    ),
    (
        AlterOwner(ObjectRef.of_table("app", "t"), "new", "old"),
        AlterOwner(ObjectRef.of_table("app", "t"), "old", "new"),
    ),
    (
        AlterOwner(ObjectRef.of_table("app", "t"), "new"),
        AlterOwner(ObjectRef.of_table("app", "t"), None, "new"),
    ),
]


@pytest.mark.parametrize(("op", "inverse"), REVERSIBLE, ids=lambda op: op.type)
def test_reverse_is_exact_and_nothing_is_destructive(
    op: MigrationOperation, inverse: MigrationOperation
) -> None:
    assert op.reverse() == inverse
    reverse_of_reverse = inverse.reverse()
    assert reverse_of_reverse is not None
    assert not op.destructive
    assert not inverse.destructive
    # A reverse of a reverse does what the operation does.
    assert operation_sql(reverse_of_reverse) == operation_sql(op)


def test_a_drop_without_its_definition_cannot_be_reversed() -> None:
    assert DropTrigger("t", "audit", "app").reverse() is None
    assert DropPolicy("t", "p", "app").reverse() is None


@pytest.mark.parametrize(
    ("op", "text"),
    [
        (CreateTrigger("t", "public", trigger()), "Create trigger 'audit' on 't'"),
        (
            CreateTrigger("t", "app", trigger(), True, trigger(when="x")),
            "Replace trigger 'audit' on 'app.t'",
        ),
        (
            DropTrigger("t", "audit", "app", recreated=True),
            "Drop trigger 'audit' on 'app.t' (recreated below)",
        ),
        (RenameTrigger("t", "a", "b"), "Rename trigger 'a' on 't' to 'b'"),
        (AlterTriggerEnabled("t", "a", "disabled", "origin"), "Disable trigger 'a' on 't'"),
        (
            AlterTriggerEnabled("t", "a", "replica", "origin"),
            "Enable (replica only) trigger 'a' on 't'",
        ),
        (
            AlterRowSecurity("t", "app", False, True, True, False),
            "Disable and force row level security on 'app.t'",
        ),
        (CreatePolicy("t", "app", Policy("p")), "Create policy 'p' on 'app.t'"),
        (
            AlterPolicy("t", "app", Policy("p"), Policy("p", roles=("r",), with_check="x")),
            "Alter policy 'p' on 'app.t' (roles, with check)",
        ),
        (DropPolicy("t", "p"), "Drop policy 'p' on 't'"),
        (RenamePolicy("t", "a", "b"), "Rename policy 'a' on 't' to 'b'"),
        (SetComment(ObjectRef.of_column("app", "t", "c"), "x"), "Set comment on column 'app.t.c'"),
        (
            SetComment(ObjectRef("trigger", "public", "t", "tg"), None, "x"),
            "Remove comment on trigger 'tg' on 't'",
        ),
        (
            SetComment(ObjectRef("domain_constraint", "app", "d", "ck"), "x"),
            "Set comment on constraint 'ck' on domain 'app.d'",
        ),
        (
            GrantPrivileges(ObjectRef("function", "app", "f", "integer"), "r", ("EXECUTE",), True),
            "Grant EXECUTE on function 'app.f(integer)' to 'r' with grant option",
        ),
        (
            RevokePrivileges(ObjectRef.of_schema("public"), "PUBLIC", ("CREATE",), True),
            "Revoke grant option for CREATE on schema 'public' from 'PUBLIC'",
        ),
        (
            AlterOwner(ObjectRef("materialized_view", "app", "m"), "boss"),
            "Change the owner of materialized view 'app.m' to 'boss'",
        ),
        (
            AlterOwner(ObjectRef.of_table("app", "t"), None, "boss"),
            "Change the owner of table 'app.t' to the current user",
        ),
    ],
)
def test_describe(op: MigrationOperation, text: str) -> None:
    assert op.describe() == text


def test_scaffold_renders_them_and_their_reverse() -> None:
    operations = [op for op, _inverse in REVERSIBLE]
    source = migration_source(
        operations,
        class_name="Security",
        context_module="app.db",
        context_class="AppDatabase",
        title="Security.",
    )
    tree = ast.parse(source)
    executed = [
        ast.literal_eval(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "execute"
    ]
    down = [op.reverse() for op in reversed(operations)]
    expected = plan_sql(operations) + plan_sql([op for op in down if op is not None])
    # The same statements; the file may lay a long one out over lines.
    assert [" ".join(sql.split()) for sql in executed] == [
        " ".join(sql.split()) for sql in expected
    ]
    assert "MigrationError" not in source
