"""Rename hints in the diff, rename operations and their SQL, rename candidates: no database."""

from __future__ import annotations

import attrs
import pytest

from linkgress_async import DbModelConfig, ModelError, bigint, enum_column, integer, text
from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    Enum,
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
from linkgress_async.diff import (
    DiffContext,
    RenameCandidate,
    diff,
    rename_candidates,
    type_changes,
    with_renames,
)
from linkgress_async.diff.order import PHASES
from linkgress_async.diff.renames import _rename_references
from linkgress_async.model import build_model
from linkgress_async.ops import (
    AddColumn,
    AlterColumn,
    CreateIndex,
    CreateTable,
    DropColumn,
    DropIndex,
    DropTable,
    EnumColumnUse,
    RebuildEnum,
    RenameColumn,
    RenameConstraint,
    RenameEnum,
    RenameIndex,
    RenameTable,
)
from linkgress_async.render.sql import operation_sql

IDENTITY = Identity(True, SequenceOptions(1, 1, 1, 2147483647))


def users(name: str = "users", hint: str | None = None, email: str = "email") -> Table:
    return Table(
        "public",
        name,
        (
            Column("id", "integer", False, None, IDENTITY),
            Column(email, "text"),
        ),
        PrimaryKey(f"{name}_pkey", ("id",)),
        uniques=(UniqueConstraint(f"{name}_{email}_key", (email,)),),
        checks=(CheckConstraint("ck_email", f"length({email}) > 3"),),
        indexes=(Index("ix_users_email", (IndexElement(column=email),)),),
        renamed_from=hint,
    )


def posts(target: str = "users") -> Table:
    return Table(
        "public",
        "posts",
        (Column("id", "bigint", False), Column("user_id", "integer", False)),
        PrimaryKey("posts_pkey", ("id",)),
        foreign_keys=(
            ForeignKey("fk_posts_user", ("user_id",), QualifiedName("public", target), ("id",)),
        ),
    )


def catalog(*tables: Table, enums: tuple[Enum, ...] = ()) -> Catalog:
    return Catalog(schemas=("public",), tables=tables, enums=enums)


# --- hints in the catalog ------------------------------------------------------------------


def test_hints_take_no_part_in_equality() -> None:
    assert users(hint="app_users") == users()
    assert hash(users(hint="app_users")) == hash(users())
    assert Column("a", "text", renamed_from="b") == Column("a", "text")


def test_the_model_carries_every_hint() -> None:
    class User:
        id: int
        email: str
        role: str

    class Post:
        id: int
        user_id: int

    def setup(model: DbModelConfig) -> None:
        role = model.enum("role", ["a", "b"], renamed_from="kind")
        with model.entity(User) as e:
            e.to_table("users", renamed_from="app_users")
            e.property("id").has_type(integer("id").primary_key())
            e.property("email").has_type(text("email")).renamed_from("mail")
            e.property("role").has_type(enum_column("role", role))
            e.has_index("ix_email", ["email"], renamed_from="ix_mail")
            e.has_unique("uq_email", ["email"], renamed_from="uq_mail")
            e.has_check("ck_email", "email <> ''", renamed_from="ck_mail")
        with model.entity(Post) as p:
            p.to_table("posts")
            p.property("id").has_type(bigint("id").primary_key())
            p.property("user_id").has_type(integer("user_id"))
            p.has_one("user", User).with_foreign_key("user_id").has_db_name("fk_user").renamed_from(
                "fk_old"
            )

    model = build_model(setup)
    table = model.table("public", "users")
    assert table is not None
    assert table.renamed_from == "app_users"
    email = table.column("email")
    assert email is not None
    assert email.renamed_from == "mail"
    assert [i.renamed_from for i in table.indexes] == ["ix_mail"]
    assert [u.renamed_from for u in table.uniques] == ["uq_mail"]
    assert [c.renamed_from for c in table.checks] == ["ck_mail"]
    post = model.table("public", "posts")
    assert post is not None
    assert [f.renamed_from for f in post.foreign_keys] == ["fk_old"]
    assert [e.renamed_from for e in model.enums] == ["kind"]


class A:
    a: int
    b: int


@pytest.mark.parametrize(
    ("configure", "message"),
    [
        (
            lambda e: (
                e.property("a").has_type(integer("a")).renamed_from("x"),
                e.property("b").has_type(integer("b")).renamed_from("x"),
            ),
            "both renamed_from 'x'",
        ),
        (lambda e: e.property("a").has_type(integer("a")).renamed_from(""), "renamed_from"),
        (lambda e: e.to_table("t", renamed_from="x" * 64), "renamed_from"),
    ],
)
def test_bad_hints_are_model_errors(configure: object, message: str) -> None:
    def setup(model: DbModelConfig) -> None:
        e = model.entity(A)
        e.to_table("t")
        configure(e)  # type: ignore[operator]  # a lambda from the parameter list

    with pytest.raises(ModelError, match=message):
        build_model(setup)


# --- the diff ------------------------------------------------------------------------------


def test_rename_table_carries_keys_and_references_along() -> None:
    current = catalog(users("app_users"), posts("app_users"))
    target = catalog(users("users", hint="app_users"), posts("users"))
    ops = diff(current, target)
    assert ops == [
        RenameTable("public", "app_users", "users", ("id",), ("id",)),
        RenameConstraint("public", "users", "app_users_pkey", "users_pkey"),
        RenameConstraint("public", "users", "app_users_email_key", "users_email_key"),
    ]
    assert not any(op.destructive for op in ops)
    # Once applied, the hint left in the model changes nothing.
    assert diff(catalog(users(), posts()), target) == []


def test_hint_whose_new_name_exists_is_left_to_the_normal_diff() -> None:
    current = catalog(users("app_users"), users("users"))
    ops = diff(current, catalog(users("users", hint="app_users")))
    assert ops == [DropTable("app_users", "public", users("app_users"))]


def test_rename_column_with_a_type_change_alters_the_renamed_column() -> None:
    current = catalog(users(email="mail"))
    wanted = attrs.evolve(
        users(),
        columns=(
            Column("id", "integer", False, None, IDENTITY),
            Column("email", "character varying(200)", renamed_from="mail"),
        ),
    )
    ops = diff(current, catalog(wanted))
    assert ops == [
        RenameColumn("public", "users", "mail", "email"),
        # The default-named unique constraint follows the column's name.
        RenameConstraint("public", "users", "users_mail_key", "users_email_key"),
        AlterColumn(
            "users",
            "email",
            Column("email", "text"),
            Column("email", "character varying(200)"),
            "public",
        ),
    ]
    # The cast the server is asked about is the renamed column's.
    assert type_changes(current, catalog(wanted)) == {("text", "character varying(200)")}


def test_renamed_column_keeps_its_constraints_and_index() -> None:
    current = catalog(users(email="mail"))
    wanted = users()
    wanted = attrs.evolve(
        wanted,
        columns=(wanted.columns[0], attrs.evolve(wanted.columns[1], renamed_from="mail")),
        uniques=(UniqueConstraint("users_mail_key", ("email",)),),
    )
    assert diff(current, catalog(wanted)) == [RenameColumn("public", "users", "mail", "email")]


def test_identity_column_rename_renames_its_sequence() -> None:
    table = users()
    current = catalog(
        attrs.evolve(
            table,
            columns=(Column("n", "integer", False, None, IDENTITY), table.columns[1]),
            primary_key=PrimaryKey("users_pkey", ("n",)),
        )
    )
    wanted = attrs.evolve(
        table, columns=(attrs.evolve(table.columns[0], renamed_from="n"), table.columns[1])
    )
    ops = diff(current, catalog(wanted))
    assert ops == [RenameColumn("public", "users", "n", "id", True, True)]
    assert operation_sql(ops[0])[1].startswith("DO ")


def test_chained_renames_apply_in_order() -> None:
    def t(*columns: Column) -> Table:
        return Table("public", "t", columns)

    current = catalog(t(Column("a", "text"), Column("b", "integer")))
    target = catalog(
        t(Column("b", "text", renamed_from="a"), Column("c", "integer", renamed_from="b"))
    )
    assert diff(current, target) == [
        RenameColumn("public", "t", "b", "c"),
        RenameColumn("public", "t", "a", "b"),
    ]


def test_rename_enum_respells_the_columns_that_use_it() -> None:
    def t(type_name: str) -> Table:
        return Table(
            "public",
            "t",
            (
                Column("m", type_name, False, f"'a'::{type_name}"),
                Column("ms", type_name + "[]"),
            ),
        )

    current = catalog(t("public.mood"), enums=(Enum("public", "mood", ("a", "b")),))
    target = catalog(
        t("public.feeling"), enums=(Enum("public", "feeling", ("a", "b"), renamed_from="mood"),)
    )
    assert diff(current, target) == [RenameEnum("public", "mood", "feeling")]


def test_rename_enum_then_rebuild_under_the_new_name() -> None:
    current = catalog(enums=(Enum("public", "mood", ("a", "b")),))
    target = catalog(enums=(Enum("public", "feeling", ("b", "a"), renamed_from="mood"),))
    ops = diff(current, target)
    assert [op.type for op in ops] == ["rename_enum", "rebuild_enum"]


def test_rename_index_and_constraints_by_hint() -> None:
    current = catalog(users())
    wanted = attrs.evolve(
        users(),
        indexes=(Index("ix_mail", (IndexElement(column="email"),), renamed_from="ix_users_email"),),
        checks=(CheckConstraint("ck_mail", "length(email) > 3", renamed_from="ck_email"),),
    )
    assert diff(current, catalog(wanted)) == [
        RenameConstraint("public", "users", "ck_email", "ck_mail"),
        RenameIndex("public", "users", "ix_users_email", "ix_mail"),
    ]


def test_index_rename_onto_a_taken_name_falls_back_to_drop_and_create() -> None:
    other = Table(
        "public", "other", (Column("x", "text"),), indexes=(Index("ix_mail", (IndexElement("x"),)),)
    )
    current = catalog(users(), other)
    index = Index("ix_mail", (IndexElement(column="email"),), renamed_from="ix_users_email")
    target = catalog(attrs.evolve(users(), indexes=(index,)), attrs.evolve(other, indexes=()))
    kinds = [op.type for op in diff(current, target)]
    assert kinds == ["drop_index", "drop_index", "create_index"]


def test_renames_come_first() -> None:
    # Only drops of triggers, policies, views and routines go before them (they hold no
    # data, use old names).
    assert PHASES[:4] == (
        ("drop_trigger", "drop_policy"),
        ("drop_view", "drop_materialized_view"),
        ("drop_aggregate",),
        ("drop_function",),
    )
    assert PHASES[4:8] == (
        ("rename_enum",),
        ("rename_table",),
        ("rename_column",),
        ("rename_constraint", "rename_index", "rename_trigger", "rename_policy"),
    )
    current = catalog(users("app_users"), Table("public", "gone", (Column("x", "text"),)))
    ops = diff(current, catalog(users("users", hint="app_users")))
    assert ops[0].type == "rename_table"
    assert ops[-1].type == "drop_table"


def test_rename_references_leaves_literals_and_other_names() -> None:
    text_ = "((mail <> 'mail'::text) AND (lower(mail) <> x.mail) AND (mail_2 > 0))"
    assert _rename_references(text_, "mail", "email") == (
        "((email <> 'mail'::text) AND (lower(email) <> x.mail) AND (mail_2 > 0))"
    )
    assert _rename_references('("Mail" > 0)', "Mail", "e mail") == '("e mail" > 0)'


# --- operations and SQL --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "description", "statement"),
    [
        (
            RenameTable("app", "old", "new"),
            "Rename table 'app.old' to 'new'",
            'ALTER TABLE "app"."old" RENAME TO "new"',
        ),
        (
            RenameColumn("public", "users", "mail", "email"),
            "Rename column 'users.mail' to 'email'",
            'ALTER TABLE "public"."users" RENAME COLUMN "mail" TO "email"',
        ),
        (
            RenameEnum("public", "mood", "feeling"),
            "Rename enum 'mood' to 'feeling'",
            'ALTER TYPE "public"."mood" RENAME TO "feeling"',
        ),
        (
            RenameIndex("public", "users", "ix_a", "ix_b"),
            "Rename index 'ix_a' on 'users' to 'ix_b'",
            'ALTER INDEX "public"."ix_a" RENAME TO "ix_b"',
        ),
        (
            RenameConstraint("public", "users", "ck_a", "ck_b"),
            "Rename constraint 'ck_a' on 'users' to 'ck_b'",
            'ALTER TABLE "public"."users" RENAME CONSTRAINT "ck_a" TO "ck_b"',
        ),
    ],
)
def test_rename_operations(op: object, description: str, statement: str) -> None:
    assert isinstance(op, RenameTable | RenameColumn | RenameEnum | RenameIndex | RenameConstraint)
    assert op.describe() == description
    assert operation_sql(op) == [statement]
    assert not op.destructive
    back = op.reverse()
    assert back is not None
    assert back.reverse() == op
    assert back.describe() != description


def test_rename_table_renames_owned_sequences_after_the_table() -> None:
    statements = operation_sql(RenameTable("public", "a", "b", ("id",)))
    assert statements[0] == 'ALTER TABLE "public"."a" RENAME TO "b"'
    assert "pg_get_serial_sequence(''\"public\".\"b\"'', ''id'')" in statements[1]
    assert "b_id_seq" in statements[1]


@pytest.mark.parametrize(("holds", "destructive"), [(None, True), (True, True), (False, False)])
def test_enum_rebuild_is_destructive_unless_no_row_holds_a_removed_value(
    holds: bool | None, destructive: bool
) -> None:
    use = EnumColumnUse("public", "t", "m")
    op = RebuildEnum("mood", "public", ("a", "b", "c"), ("c", "a"), (use,), holds)
    assert op.destructive is destructive
    assert op == RebuildEnum("mood", "public", ("a", "b", "c"), ("c", "a"), (use,))
    back = op.reverse()
    if destructive:
        assert back is None
    else:
        assert back == RebuildEnum("mood", "public", ("c", "a"), ("a", "b", "c"), (use,))
        assert not back.destructive


# --- rename candidates ---------------------------------------------------------------------


def test_candidates_pair_drops_and_adds_of_the_same_shape() -> None:
    old, new = users("app_users"), users("members")
    column = Column("nick", "text")
    ops = [
        DropTable("app_users", "public", old),
        CreateTable("members", "public", new),
        DropColumn("posts", "nick", "public", column),
        AddColumn("posts", "handle", Column("handle", "text"), "public"),
        AddColumn("posts", "count", Column("count", "integer"), "public"),
        # A drop and add under one name is a type change: not a candidate.
        DropColumn("posts", "x", "public", Column("x", "text")),
        AddColumn("posts", "x", Column("x", "integer"), "public"),
        DropIndex("posts", "ix", "public"),
        CreateIndex("posts", "ix2", (IndexElement("x"),), "public"),
    ]
    assert rename_candidates(ops) == [
        RenameCandidate("table", "public", "app_users", "app_users", "members"),
        RenameCandidate("column", "public", "posts", "nick", "handle"),
    ]
    assert rename_candidates(ops)[1].question() == (
        "Did you rename column 'posts.nick' to 'handle'?"
    )


def test_different_shapes_are_no_candidates() -> None:
    ops = [
        DropColumn("t", "a", "public", Column("a", "text")),
        AddColumn("t", "b", Column("b", "integer"), "public"),
    ]
    assert rename_candidates(ops) == []


def test_an_accepted_candidate_diffs_as_a_hint() -> None:
    current = catalog(users(email="mail"))
    target = catalog(users())
    plain = diff(current, target)
    candidates = rename_candidates(plain)
    assert candidates == [RenameCandidate("column", "public", "users", "mail", "email")]
    hinted = with_renames(target, candidates)
    assert hinted == target  # hints are not part of equality
    assert diff(current, hinted, DiffContext())[0] == RenameColumn(
        "public", "users", "mail", "email"
    )


def test_a_table_names_the_fields_that_carry_rename_hints() -> None:
    hinted = Table(
        "public",
        "t",
        columns=(Column("id", "integer", nullable=False, renamed_from="old_id"),),
        checks=(CheckConstraint("positive", "(id > 0)", renamed_from="old_positive"),),
        indexes=(Index("ix_id", (IndexElement("id"),)),),
        renamed_from="old_t",
    )
    assert hinted.hinted_fields == frozenset({"columns", "checks"})
    # The table's own hint is the table stage's, not one of its parts'.
    plain = attrs.evolve(hinted, columns=(Column("id", "integer", nullable=False),), checks=())
    assert plain.hinted_fields == frozenset()
