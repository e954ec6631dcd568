"""The diff, on hand-made catalogs: no database."""

from __future__ import annotations

import attrs

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
    Sequence,
    SequenceOptions,
    Table,
    UniqueConstraint,
)
from linkgress_async.diff import DiffContext, diff, type_changes
from linkgress_async.ops import (
    AddColumn,
    AddEnumValue,
    AddPrimaryKey,
    AlterColumn,
    AlterSequence,
    CreateCheckConstraint,
    CreateEnum,
    CreateForeignKey,
    CreateIndex,
    CreateSchema,
    CreateSequence,
    CreateTable,
    DropCheckConstraint,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropSequence,
    DropTable,
    RebuildEnum,
)

INT_IDENTITY = Identity(True, SequenceOptions(1, 1, 1, 2147483647))


def users(**changes: object) -> Table:
    table = Table(
        "public",
        "users",
        (
            Column("id", "integer", False, None, INT_IDENTITY),
            Column("name", "character varying(100)", False),
            Column("email", "text"),
        ),
        PrimaryKey("users_pkey", ("id",)),
        uniques=(UniqueConstraint("users_name_key", ("name",)),),
        indexes=(Index("ix_users_email", (IndexElement(column="email"),)),),
    )
    return attrs.evolve(table, **changes)


def posts(**changes: object) -> Table:
    table = Table(
        "public",
        "posts",
        (
            Column("id", "bigint", False, None, None),
            Column("user_id", "integer", False),
        ),
        PrimaryKey("posts_pkey", ("id",)),
        foreign_keys=(
            ForeignKey("FK_posts_users", ("user_id",), QualifiedName("public", "users"), ("id",)),
        ),
    )
    return attrs.evolve(table, **changes)


def catalog(*tables: Table, **fields: object) -> Catalog:
    schemas = {t.schema for t in tables} | set(fields.pop("schemas", ()))  # type: ignore[call-overload]
    return Catalog(schemas=schemas, tables=tables, **fields)  # type: ignore[arg-type]


def test_equal_catalogs_need_nothing() -> None:
    model = catalog(users(), posts())
    assert diff(model, model) == []


def test_creating_everything_orders_tables_before_keys_and_indexes() -> None:
    enum = Enum("auth", "role", ("admin", "user"))
    seq = Sequence("public", "counter", SequenceOptions(1, 1, 1, 2**63 - 1))
    target = catalog(users(), posts(), enums=(enum,), sequences=(seq,), schemas=("auth",))
    ops = diff(Catalog(), target)
    kinds = [op.type for op in ops]
    assert kinds == [
        "create_schema",
        "create_schema",
        "create_enum",
        "create_sequence",
        "create_table",
        "create_table",
        "create_foreign_key",
        "create_index",
    ]
    assert ops[0] == CreateSchema("auth")
    assert ops[2] == CreateEnum("role", ("admin", "user"), "auth")
    assert ops[3] == CreateSequence("counter", "public", seq)
    assert {op.table_name for op in ops if isinstance(op, CreateTable)} == {"users", "posts"}


def test_dropping_a_table_is_destructive_and_first() -> None:
    ops = diff(catalog(users(), posts()), catalog(users()))
    assert ops == [DropTable("posts", "public", posts())]
    assert ops[0].destructive
    assert ops[0].describe() == "Drop table 'posts'"
    assert ops[0].reverse() is None


def test_column_added_dropped_and_altered() -> None:
    old = users()
    new = users(
        columns=(
            Column("id", "integer", False, None, INT_IDENTITY),
            Column("name", "character varying(200)", True, "'x'::character varying"),
            Column("age", "integer"),
        )
    )
    ops = diff(catalog(old), catalog(new))
    assert ops == [
        DropColumn("users", "email", "public", old.columns[2]),
        AddColumn("users", "age", new.columns[2], "public"),
        AlterColumn("users", "name", old.columns[1], new.columns[1], "public"),
    ]
    assert ops[0].describe() == "Drop column 'users.email'"
    alter = ops[2]
    assert isinstance(alter, AlterColumn)
    assert alter.changes == ("type", "nullable", "default")
    assert not alter.destructive
    assert alter.reverse() == AlterColumn("users", "name", new.columns[1], old.columns[1])


def test_type_change_without_cast_is_drop_and_add() -> None:
    old = users()
    new_email = Column("email", "boolean")
    new = users(columns=(*old.columns[:2], new_email))
    context = DiffContext(castable=lambda a, b: False)
    ops = diff(catalog(old), catalog(new), context)
    assert [op.type for op in ops] == ["drop_index", "drop_column", "add_column", "create_index"]
    assert any(op.destructive for op in ops)
    assert type_changes(catalog(old), catalog(new)) == {("text", "boolean")}


def test_serial_and_integer_share_a_storage_type() -> None:
    old = posts(columns=(Column("id", "bigserial", False), posts().columns[1]))
    new = posts(columns=(Column("id", "bigint", False), posts().columns[1]))
    assert type_changes(catalog(users(), old), catalog(users(), new)) == set()
    ops = diff(catalog(users(), old), catalog(users(), new), DiffContext(lambda a, b: False))
    assert [op.type for op in ops] == ["alter_column"]


def test_foreign_key_action_change_is_drop_and_create() -> None:
    old = posts()
    fk = attrs.evolve(old.foreign_keys[0], on_delete="cascade")
    ops = diff(catalog(users(), old), catalog(users(), posts(foreign_keys=(fk,))))
    assert ops == [
        DropForeignKey("posts", "FK_posts_users", "public", old.foreign_keys[0]),
        CreateForeignKey("posts", fk, "public"),
    ]
    assert not any(op.destructive for op in ops)


def test_recreated_primary_key_takes_referencing_foreign_keys_along() -> None:
    new_users = users(primary_key=PrimaryKey("users_pk", ("id",)))
    ops = diff(catalog(users(), posts()), catalog(new_users, posts()))
    assert [op.type for op in ops] == [
        "drop_foreign_key",
        "drop_primary_key",
        "add_primary_key",
        "create_foreign_key",
    ]
    assert ops[1] == DropPrimaryKey("users", "users_pkey", "public", users().primary_key)
    assert ops[2] == AddPrimaryKey("users", PrimaryKey("users_pk", ("id",)), "public")


def test_retyped_referenced_column_recreates_foreign_key() -> None:
    new_users = users(columns=(Column("id", "bigint", False, None, None), *users().columns[1:]))
    new_posts = posts(columns=(posts().columns[0], Column("user_id", "bigint", False)))
    ops = diff(catalog(users(), posts()), catalog(new_users, new_posts))
    kinds = [op.type for op in ops]
    assert kinds[0] == "drop_foreign_key"
    assert kinds[-1] == "create_foreign_key"
    assert kinds.count("alter_column") == 2


def test_index_and_check_changes() -> None:
    old = users(checks=(CheckConstraint("name_len", "(length((name)::text) > 0)"),))
    new_index = Index("ix_users_email", (IndexElement(column="email"),), unique=True)
    new = users(
        indexes=(new_index,),
        checks=(CheckConstraint("name_len", "(length((name)::text) > 1)"),),
    )
    ops = diff(catalog(old), catalog(new))
    assert ops == [
        DropIndex("users", "ix_users_email", "public", old.indexes[0]),
        DropCheckConstraint("users", "name_len", "public", old.checks[0]),
        CreateCheckConstraint("users", new.checks[0], "public"),
        CreateIndex.of("public", "users", new_index),
    ]
    assert not any(op.destructive for op in ops)
    assert ops[3].reverse() == DropIndex("users", "ix_users_email", "public", new_index)


def test_enum_values_appended_and_inserted_in_position() -> None:
    old = Enum("public", "status", ("draft", "published"))
    new = Enum("public", "status", ("new", "draft", "review", "published", "archived"))
    ops = diff(
        catalog(enums=(old,), schemas=("public",)), catalog(enums=(new,), schemas=("public",))
    )
    assert ops == [
        AddEnumValue("status", "new", "public", before="draft"),
        AddEnumValue("status", "review", "public", before="published"),
        AddEnumValue("status", "archived", "public", after="published"),
    ]
    assert ops[0].reverse() is None
    assert not any(op.destructive for op in ops)


def test_enum_value_removed_rebuilds_the_type_with_its_columns() -> None:
    old_enum = Enum("public", "status", ("draft", "published", "archived"))
    new_enum = Enum("public", "status", ("published", "draft"))
    column = Column("status", "public.status", True, "'draft'::public.status")
    table = Table("public", "docs", (column, Column("tags", "public.status[]")))
    ops = diff(catalog(table, enums=(old_enum,)), catalog(table, enums=(new_enum,)))
    assert len(ops) == 1
    op = ops[0]
    assert isinstance(op, RebuildEnum)
    assert op.destructive
    assert op.removed_values == ("archived",)
    assert [(c.column_name, c.is_array, c.default) for c in op.columns] == [
        ("status", False, "'draft'::public.status"),
        ("tags", True, None),
    ]
    reorder = diff(
        catalog(table, enums=(new_enum,)),
        catalog(table, enums=(attrs.evolve(new_enum, values=("draft", "published")),)),
    )
    assert len(reorder) == 1
    assert not reorder[0].destructive


def test_dropped_enum_and_sequence_come_after_columns_change() -> None:
    enum = Enum("public", "status", ("a",))
    seq = Sequence("public", "s", SequenceOptions(1, 1, 1, 10))
    old = Table("public", "t", (Column("s", "public.status"),))
    new = Table("public", "t", (Column("s", "text"),))
    ops = diff(catalog(old, enums=(enum,), sequences=(seq,)), catalog(new))
    assert [op.type for op in ops] == ["alter_column", "drop_sequence", "drop_enum"]
    assert ops[2] == DropEnum("status", "public", ("a",))
    assert all(op.destructive for op in ops[1:])


def test_sequence_option_change_is_an_alter() -> None:
    old = Sequence("public", "s", SequenceOptions(1, 1, 1, 10))
    new = attrs.evolve(old, options=SequenceOptions(1, 2, 1, 10))
    ops = diff(
        catalog(sequences=(old,), schemas=("public",)),
        catalog(sequences=(new,), schemas=("public",)),
    )
    assert ops == [AlterSequence("s", "public", old, new)]
    assert ops[0].reverse() == AlterSequence("s", "public", new, old)
    assert DropSequence("s", "public", old).reverse() == CreateSequence("s", "public", old)


def test_enum_value_used_by_the_target_rebuilds_instead_of_adding() -> None:
    old_enum = Enum("public", "status", ("a", "b"))
    new_enum = Enum("public", "status", ("a", "c", "b"))
    old = Table("public", "t", (Column("s", "public.status", True, "'a'::public.status"),))
    new = Table("public", "t", (Column("s", "public.status", True, "'c'::public.status"),))
    ops = diff(catalog(old, enums=(old_enum,)), catalog(new, enums=(new_enum,)))
    assert [op.type for op in ops] == ["rebuild_enum", "alter_column"]
    rebuild = ops[0]
    assert isinstance(rebuild, RebuildEnum)
    assert rebuild.added_values == ("c",)
    assert not rebuild.destructive
    assert rebuild.reverse() is None  # undoing it would remove a value rows may hold
    unused = diff(catalog(old, enums=(old_enum,)), catalog(old, enums=(new_enum,)))
    assert [op.type for op in unused] == ["add_enum_value"]
