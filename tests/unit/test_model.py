"""The fluent model builder: entities, properties, keys, indexes, names and the Catalog."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime

import attrs
import pytest

import linkgress_async.model as model_package
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
from linkgress_async.errors import ModelError
from linkgress_async.model import (
    DbModelConfig,
    EntityMapping,
    bigint,
    boolean,
    build_model,
    enum_column,
    integer,
    jsonb,
    numeric,
    pg_enum,
    serial,
    sql,
    text,
    timestamptz,
    uuid,
    varchar,
)


@attrs.define
class User:
    id: int
    username: str
    email: str | None = None


@attrs.define
class Post:
    id: int
    user_id: int
    title: str
    status: str
    created_at: datetime


def api_example(model: DbModelConfig) -> None:
    status = model.enum("post_status", ["draft", "published"], schema="public")
    with model.entity(User) as e:
        e.to_table("users", schema="auth")
        e.property("id").has_type(integer("id").primary_key().generated_always_as_identity())
        e.property("username").has_type(varchar("username", 100)).is_required().is_unique()
        e.property("email").has_type(text("email"))
        e.has_index("ix_users_email", ["email"])
    with model.entity(Post) as e:
        e.to_table("posts")
        e.property("id").has_type(bigint("id").primary_key().generated_by_default_as_identity())
        e.property("user_id").has_type(integer("user_id")).is_required()
        e.property("title").has_type(varchar("title", 200)).is_required().has_default_value(
            "untitled"
        )
        e.property("status").has_type(enum_column("status", status)).has_default_value("draft")
        e.property("created_at").has_type(timestamptz("created_at")).has_default_sql("now()")
        e.has_one("user", User).with_foreign_key("user_id").with_principal_key("id").on_delete(
            "cascade"
        ).on_update("no action")
        e.has_index("ix_posts_user_title", ["user_id", "title"], unique=True)


def test_api_example_builds_the_expected_catalog() -> None:
    int_max, big_max = 2**31 - 1, 2**63 - 1
    expected = Catalog(
        schemas=["public", "auth"],
        enums=[Enum("public", "post_status", ("draft", "published"))],
        tables=[
            Table(
                "auth",
                "users",
                columns=(
                    Column(
                        "id",
                        "integer",
                        nullable=False,
                        identity=Identity(True, SequenceOptions(1, 1, 1, int_max)),
                    ),
                    Column("username", "character varying(100)", nullable=False),
                    Column("email", "text"),
                ),
                primary_key=PrimaryKey("users_pkey", ("id",)),
                uniques=[UniqueConstraint("users_username_key", ("username",))],
                indexes=[Index("ix_users_email", (IndexElement(column="email"),))],
            ),
            Table(
                "public",
                "posts",
                columns=(
                    Column(
                        "id",
                        "bigint",
                        nullable=False,
                        identity=Identity(False, SequenceOptions(1, 1, 1, big_max)),
                    ),
                    Column("user_id", "integer", nullable=False),
                    Column("title", "character varying(200)", False, "'untitled'"),
                    Column("status", '"public"."post_status"', True, "'draft'"),
                    Column("created_at", "timestamp with time zone", True, "now()"),
                ),
                primary_key=PrimaryKey("posts_pkey", ("id",)),
                foreign_keys=[
                    ForeignKey(
                        "FK_posts_users",
                        ("user_id",),
                        QualifiedName("auth", "users"),
                        ("id",),
                        on_delete="cascade",
                    )
                ],
                indexes=[
                    Index(
                        "ix_posts_user_title",
                        (IndexElement(column="user_id"), IndexElement(column="title")),
                        unique=True,
                    )
                ],
            ),
        ],
    )
    assert build_model(api_example) == expected


def test_build_twice_gives_equal_frozen_catalogs() -> None:
    config = DbModelConfig()
    api_example(config)
    first = config.build()
    assert config.build() == first
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.tables = ()  # type: ignore[misc]


def test_entity_map() -> None:
    config = DbModelConfig()
    api_example(config)
    users = config.entities[User]
    assert users == EntityMapping(
        User,
        QualifiedName("auth", "users"),
        (("id", "id"), ("username", "username"), ("email", "email")),
    )
    assert users.column("email") == "email"
    assert config.entities[Post].columns["user_id"] == "user_id"
    with pytest.raises(KeyError):
        users.column("nope")


def test_public_exports() -> None:
    api_names = [
        "DbModelConfig",
        "integer",
        "bigint",
        "varchar",
        "text",
        "boolean",
        "timestamptz",
        "numeric",
        "jsonb",
        "uuid",
        "enum_column",
        "pg_enum",
        "sql",
        "smallint",
        "serial",
        "bigserial",
        "smallserial",
        "decimal",
        "real",
        "double_precision",
        "char",
        "date",
        "time",
        "timestamp",
        "interval",
        "json",
        "bytea",
        "inet",
        "cidr",
        "custom_type",
        "build_model",
        "complete_sequence_options",
    ]
    for name in api_names:
        assert name in model_package.__all__, name
    for name in model_package.__all__:
        assert getattr(model_package, name) is not None, name
    assert (boolean, jsonb, numeric, uuid) == (
        model_package.boolean,
        model_package.jsonb,
        model_package.numeric,
        model_package.uuid,
    )


# -- entities -----------------------------------------------------------------------------------


def test_entity_configured_twice_is_one_builder() -> None:
    config = DbModelConfig()
    first = config.entity(User)
    assert config.entity(User) is first
    first.to_table("users")
    config.entity(User).property("id").has_type(integer("id"))
    config.entity(User).property("id").is_required()
    table = config.build().table("public", "users")
    assert table is not None
    assert table.columns == (Column("id", "integer", nullable=False),)


def test_context_manager_returns_the_builder_and_propagates_errors() -> None:
    config = DbModelConfig()
    builder = config.entity(User)
    with builder as e:
        assert e is builder
    with pytest.raises(RuntimeError), config.entity(User):
        raise RuntimeError("boom")


def test_entity_without_table_is_a_model_error() -> None:
    def setup(model: DbModelConfig) -> None:
        model.entity(User).property("id").has_type(integer("id"))

    with pytest.raises(ModelError, match=r"entity User.*to_table"):
        build_model(setup)


def test_entity_must_be_a_class() -> None:
    with pytest.raises(ModelError, match="entity class"):
        DbModelConfig().entity("User")  # type: ignore[arg-type]


def test_two_entities_on_one_table_is_a_model_error() -> None:
    def setup(model: DbModelConfig) -> None:
        model.entity(User).to_table("people")
        model.entity(Post).to_table("people", schema="public")

    with pytest.raises(ModelError, match=r"Post.*User.*public\.people"):
        build_model(setup)


def test_same_table_name_in_two_schemas_is_fine() -> None:
    def setup(model: DbModelConfig) -> None:
        model.entity(User).to_table("people", schema="a")
        model.entity(Post).to_table("people", schema="b")

    catalog = build_model(setup)
    assert [t.qualified_name for t in catalog.tables] == [
        QualifiedName("a", "people"),
        QualifiedName("b", "people"),
    ]


# -- properties -------------------------------------------------------------------------------


def test_only_configured_properties_become_columns_in_configuration_order() -> None:
    def setup(model: DbModelConfig) -> None:
        with model.entity(User) as e:
            e.to_table("users")
            e.property("email").has_type(text("mail"))
            e.property("id").has_type(integer("user_id"))

    config = DbModelConfig()
    setup(config)
    table = config.build().table("public", "users")
    assert table is not None
    assert [c.name for c in table.columns] == ["mail", "user_id"]
    assert config.entities[User].columns == {"email": "mail", "id": "user_id"}


def test_selector_names_the_property() -> None:
    def setup(model: DbModelConfig) -> None:
        with model.entity(User) as e:
            e.to_table("users")
            e.property(lambda u: u.email).has_type(text("email"))

    table = build_model(setup).table("public", "users")
    assert table is not None
    assert [c.name for c in table.columns] == ["email"]


@pytest.mark.parametrize(
    "selector",
    [lambda u: u.email.lower, lambda u: 42, lambda u: u.email + 1, lambda u: u],
)
def test_bad_selector_is_a_model_error(selector: object) -> None:
    with pytest.raises(ModelError, match=r"entity User.*selector"):
        DbModelConfig().entity(User).property(selector)  # type: ignore[arg-type]


def test_selector_naming_a_missing_attribute_is_a_model_error() -> None:
    with pytest.raises(ModelError, match=r"entity User, property 'emial'"):
        DbModelConfig().entity(User).property(lambda u: u.emial)  # type: ignore[attr-defined]


@dataclasses.dataclass
class DataclassEntity:
    id: int
    name: str = ""


class Base:
    id: int


class PlainEntity(Base):
    name: str

    def __init__(self) -> None:
        self.extra = 1

    @property
    def computed(self) -> int:
        return 1


@pytest.mark.parametrize(
    ("cls", "good", "bad"),
    [
        (User, ["id", "username", "email"], ["emial", "__init__", "extra"]),
        (DataclassEntity, ["id", "name"], ["nope", "__eq__"]),
        (PlainEntity, ["id", "name", "computed"], ["nope", "extra", "__init__", "__doc__"]),
    ],
)
def test_property_must_be_an_attribute(cls: type, good: list[str], bad: list[str]) -> None:
    config = DbModelConfig()
    for name in good:
        config.entity(cls).property(name)
    for name in bad:
        with pytest.raises(ModelError, match=rf"entity {cls.__qualname__}, property '{name}'"):
            config.entity(cls).property(name)


def test_unknown_property_lists_the_attributes() -> None:
    with pytest.raises(ModelError) as info:
        DbModelConfig().entity(User).property("mail")
    assert "id, username, email" in str(info.value)


def test_property_without_type_is_a_model_error() -> None:
    def setup(model: DbModelConfig) -> None:
        with model.entity(User) as e:
            e.to_table("users")
            e.property("email").is_required()

    with pytest.raises(ModelError, match=r"entity User.*property 'email'.*has_type"):
        build_model(setup)


def test_has_type_needs_a_type_builder() -> None:
    with pytest.raises(ModelError, match=r"entity User, property 'email'.*type builder"):
        DbModelConfig().entity(User).property("email").has_type("text")  # type: ignore[arg-type]


def test_duplicate_column_names_are_a_model_error() -> None:
    def setup(model: DbModelConfig) -> None:
        with model.entity(User) as e:
            e.to_table("users")
            e.property("username").has_type(text("name"))
            e.property("email").has_type(text("name"))

    with pytest.raises(ModelError, match=r"entity User.*property 'email'.*'name'.*'username'"):
        build_model(setup)


def users_table(configure: object) -> Table:
    """Build a users table configured by ``configure(e)`` and return it."""

    def setup(model: DbModelConfig) -> None:
        with model.entity(User) as e:
            e.to_table("users")
            assert callable(configure)
            configure(e)

    table = build_model(setup).table("public", "users")
    assert table is not None
    return table


def test_nullability() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("id").primary_key())
        e.property("username").has_type(text("username")).is_required()
        e.property("email").has_type(text("email"))

    table = users_table(configure)
    assert [(c.name, c.nullable) for c in table.columns] == [
        ("id", False),
        ("username", False),
        ("email", True),
    ]


def test_is_required_false_keeps_the_column_nullable() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("email").has_type(text("email")).is_required().is_required(False)

    assert users_table(configure).columns == (Column("email", "text", nullable=True),)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@pytest.mark.parametrize(
    ("column_type", "value", "rendered"),
    [
        (text("email"), "pending", "'pending'"),
        (text("email"), "x'); DROP TABLE users; --", "'x''); DROP TABLE users; --'"),
        (text("email"), "back\\slash", "E'back\\\\slash'"),
        (integer("email"), 42, "42"),
        (boolean("email"), False, "false"),
        (numeric("email", 10, 2), 1.5, "1.5"),
        (jsonb("email"), {"b": 1, "a": [1]}, '\'{"a":[1],"b":1}\''),
        (integer("email").array(), [1, 2], "ARRAY[1, 2]"),
        (text("email").array(), [], "'{}'"),
        (text("email"), Color.RED, "'red'"),
        (timestamptz("email"), sql("now()"), "now()"),
        (text("email"), None, None),
    ],
)
def test_has_default_value_renders_a_safe_literal(
    column_type: model_package.ColumnType, value: object, rendered: str | None
) -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("email").has_type(column_type).has_default_value(value)

    assert users_table(configure).columns[0].default == rendered


def test_has_default_sql_is_verbatim_and_last_default_wins() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("email").has_type(text("email")).has_default_value("x").has_default_sql(
            "current_user"
        )
        e.property("username").has_type(text("username")).has_default_sql("now()")
        e.property("username").has_default_value("now()")

    assert [c.default for c in users_table(configure).columns] == ["current_user", "'now()'"]


def test_unrenderable_default_is_a_model_error() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("email").has_type(text("email")).has_default_value(object())

    with pytest.raises(ModelError, match=r"entity User.*property 'email'.*default"):
        users_table(configure)


def test_empty_default_sql_is_a_model_error() -> None:
    with pytest.raises(ModelError, match=r"entity User, property 'email'"):
        DbModelConfig().entity(User).property("email").has_default_sql(" ")


def test_enum_default_must_be_a_label() -> None:
    def setup(model: DbModelConfig) -> None:
        status = model.enum("color", Color)
        with model.entity(User) as e:
            e.to_table("users")
            e.property("email").has_type(enum_column("email", status)).has_default_value("blue")

    with pytest.raises(ModelError, match=r"entity User.*property 'email'.*'blue'.*red, green"):
        build_model(setup)


def test_enum_from_python_enum_class_and_enum_member_default() -> None:
    config = DbModelConfig()
    color = config.enum("color", Color, schema="paint")
    assert color == pg_enum("paint", "color", ("red", "green"))
    with config.entity(User) as e:
        e.to_table("users")
        e.property("email").has_type(enum_column("email", color)).has_default_value(Color.GREEN)
    catalog = config.build()
    assert catalog.enums == (Enum("paint", "color", ("red", "green")),)
    table = catalog.table("public", "users")
    assert table is not None
    assert table.columns == (Column("email", '"paint"."color"', True, "'green'"),)


def test_enum_from_another_model_is_a_model_error() -> None:
    foreign = DbModelConfig().enum("mood", ["ok"])

    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("email").has_type(enum_column("email", foreign))

    with pytest.raises(ModelError, match=r"entity User.*property 'email'.*model\.enum"):
        users_table(configure)


# -- primary keys, uniques, checks, indexes ----------------------------------------------


def test_primary_key_from_marked_columns_in_declaration_order() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("username").has_type(text("username").primary_key())
        e.property("email").has_type(text("email"))
        e.property("id").has_type(integer("id").primary_key())

    assert users_table(configure).primary_key == PrimaryKey("users_pkey", ("username", "id"))


def test_has_primary_key_with_a_name() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("user_id"))
        e.property("email").has_type(text("email"))
        e.has_primary_key(["email", "id"], name="pk users")

    table = users_table(configure)
    assert table.primary_key == PrimaryKey("pk users", ("email", "user_id"))
    assert all(not c.nullable for c in table.columns)


def test_has_primary_key_conflicting_with_marked_columns() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("id").primary_key())
        e.property("email").has_type(text("email"))
        e.has_primary_key("email")

    with pytest.raises(ModelError, match=r"entity User.*primary key.*email.*id"):
        users_table(configure)


def test_has_primary_key_naming_a_missing_property() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("id"))
        e.has_primary_key(["id", "username"])

    with pytest.raises(ModelError, match=r"entity User.*primary key.*'username'"):
        users_table(configure)


def test_uniques_and_default_names() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("id"))
        e.property("username").has_type(text("login")).is_unique()
        e.property("email").has_type(text("email")).is_unique("uq email")
        e.has_unique(None, ["id", "username"])
        e.has_unique("uq_pair", ["email", "id"])

    assert users_table(configure).uniques == (
        UniqueConstraint("uq email", ("email",)),
        UniqueConstraint("uq_pair", ("email", "id")),
        UniqueConstraint("users_id_login_key", ("id", "login")),
        UniqueConstraint("users_login_key", ("login",)),
    )


@pytest.mark.parametrize(
    "configure",
    [
        lambda e: e.has_unique("uq", ["id", "mail"]),
        lambda e: e.has_index("ix", ["mail"]),
        lambda e: e.has_index("ix", ["id"], include=["mail"]),
        lambda e: e.has_unique("uq", ["email"]),  # an attribute, but not configured
    ],
)
def test_constraints_naming_a_missing_property(configure: object) -> None:
    def full(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("id"))
        assert callable(configure)
        configure(e)

    with pytest.raises(ModelError, match=r"entity User.*has no configured property"):
        users_table(full)


def test_unique_with_a_column_listed_twice() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("id"))
        e.has_unique("uq", ["id", "id"])

    with pytest.raises(ModelError, match=r"entity User.*'uq'.*twice"):
        users_table(configure)


def test_checks() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("id"))
        e.has_check("id_positive", "id > 0")
        e.has_check("a_check", sql("id < 100"))

    assert users_table(configure).checks == (
        CheckConstraint("a_check", "id < 100"),
        CheckConstraint("id_positive", "id > 0"),
    )


def test_check_needs_an_expression() -> None:
    with pytest.raises(ModelError, match=r"entity User, check constraint 'c'"):
        DbModelConfig().entity(User).has_check("c", "")


def test_indexes() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("user_id"))
        e.property("email").has_type(text("mail"))
        e.has_index("ix_lower", [sql("lower(mail)"), "id"], unique=True, where="mail IS NOT NULL")
        e.has_index("ix_gin", "email", method="GIN")
        e.has_index("ix_cover", ["id"], include=["email"], where=sql("user_id > 0"))

    assert users_table(configure).indexes == (
        Index(
            "ix_cover",
            (IndexElement(column="user_id"),),
            where="user_id > 0",
            include=("mail",),
        ),
        Index("ix_gin", (IndexElement(column="mail"),), method="gin"),
        Index(
            "ix_lower",
            (IndexElement(expression="lower(mail)"), IndexElement(column="user_id")),
            unique=True,
            where="mail IS NOT NULL",
        ),
    )


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"columns": []}, "columns"),
        ({"columns": [1]}, "columns"),
        ({"columns": ["id"], "method": "btree; drop"}, "index method"),
        ({"columns": ["id"], "unique": True, "method": "hash"}, "only btree"),
        ({"columns": ["id"], "where": " "}, "where"),
    ],
)
def test_bad_index_arguments(kwargs: dict[str, object], problem: str) -> None:
    with pytest.raises(ModelError, match=rf"entity User, index 'ix'.*{problem}"):
        DbModelConfig().entity(User).has_index("ix", **kwargs)  # type: ignore[arg-type]


def test_duplicate_constraint_names_on_a_table() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("id"))
        e.has_check("same", "id > 0")
        e.has_unique("same", ["id"])

    with pytest.raises(ModelError, match=r"entity User.*'same'.*unique within a table"):
        users_table(configure)


def test_property_and_column_names_that_are_ambiguous() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("id").has_type(integer("email"))
        e.property("email").has_type(text("id"))
        e.has_index("ix", ["id"])

    with pytest.raises(ModelError, match=r"entity User.*'id' is ambiguous"):
        users_table(configure)


def test_column_names_are_accepted_where_unambiguous() -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        e.property("email").has_type(text("mail"))
        e.has_index("ix", ["mail"])

    assert users_table(configure).indexes == (Index("ix", (IndexElement(column="mail"),)),)


# -- names ----------------------------------------------------------------------------------


HOSTILE = [
    'we"ird',
    "with space",
    "ünïcødé_表",
    "semi;colon",
    "dash--dash",
    "select",
    "user",
    "Mixed Case",
    "'; DROP TABLE users; --",
    "a" * 63,
    "é" * 31 + "a",  # 63 bytes
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_identifiers_are_kept_verbatim(name: str) -> None:
    def setup(model: DbModelConfig) -> None:
        model.enum(name, [name], schema="enums")
        model.sequence(name, schema="seqs")
        with model.entity(User) as e:
            e.to_table(name, schema=name)
            e.property("id").has_type(integer(name).primary_key())
            e.property("email").has_type(text("email"))
            e.has_primary_key([name], name="pk")
            e.has_index("ix", [name])
            e.has_check(name, sql(f'"{name}" > 0'))

    catalog = build_model(setup)
    assert name in catalog.schemas
    assert catalog.enum("enums", name) == Enum("enums", name, (name,))
    assert catalog.sequences[0].name == name
    table = catalog.table(name, name)
    assert table is not None
    assert table.columns[0].name == name
    assert table.primary_key == PrimaryKey("pk", (name,))
    assert table.checks[0].name == name


@pytest.mark.parametrize(
    "name",
    ["a" * 64, "é" * 32, "", "nul\x00byte"],
)
@pytest.mark.parametrize(
    "use",
    ["table", "schema", "column", "index", "check", "unique", "pk", "identity"],
)
def test_invalid_identifiers_are_model_errors(name: str, use: str) -> None:
    def configure(e: model_package.EntityBuilder[User]) -> None:
        column = name if use == "column" else "id"
        if use == "table":
            e.to_table(name)
        if use == "schema":
            e.to_table("users", schema=name)
        identity = use == "identity"
        column_type = integer(column)
        if identity:
            column_type = column_type.generated_always_as_identity(name)
        e.property("id").has_type(column_type)
        if use == "index":
            e.has_index(name, [column])
        if use == "check":
            e.has_check(name, "true")
        if use == "unique":
            e.has_unique(name, [column])
        if use == "pk":
            e.has_primary_key(column, name=name)

    with pytest.raises(ModelError, match="entity User") as info:
        users_table(configure)
    message = str(info.value)
    assert "63" in message or "empty" in message or "NUL" in message


def test_default_names_over_63_bytes_say_how_to_name_them() -> None:
    long_table = "t" * 60

    def setup(model: DbModelConfig, what: str) -> None:
        with model.entity(User) as e:
            e.to_table(long_table)
            e.property("id").has_type(
                integer("id").primary_key() if what == "pk" else integer("id")
            )
            if what == "unique":
                e.property("email").has_type(text("email")).is_unique()

    with pytest.raises(ModelError, match=r"entity User.*has_primary_key\(columns, name="):
        build_model(lambda model: setup(model, "pk"))
    with pytest.raises(ModelError, match=r"entity User.*is_unique\(name="):
        build_model(lambda model: setup(model, "unique"))


def test_enum_and_schema_names_are_checked() -> None:
    config = DbModelConfig()
    with pytest.raises(ModelError, match="enum"):
        config.enum("x" * 64, ["a"])
    with pytest.raises(ModelError, match="schema"):
        config.enum("e", ["a"], schema="")
    with pytest.raises(ModelError, match="schema"):
        config.schema("s" * 64)
    with pytest.raises(ModelError, match="sequence"):
        config.sequence("", schema="s")


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ([], "at least one value"),
        (["a", "a"], "listed twice"),
        (["a", ""], "not a valid label"),
        (["x" * 64], "64 bytes"),
        (["é" * 32], "64 bytes"),
        (["a", 1], "not a string"),
        ("ab", "not one string"),
    ],
)
def test_bad_enum_values(values: list[object], problem: str) -> None:
    with pytest.raises(ModelError, match=rf"enum 'mood'.*{problem}"):
        DbModelConfig().enum("mood", values)  # type: ignore[arg-type]


def test_enum_value_of_63_bytes_is_fine() -> None:
    assert DbModelConfig().enum("mood", ["é" * 31 + "a"]).values == ("é" * 31 + "a",)


def test_duplicate_enums_and_sequences() -> None:
    config = DbModelConfig()
    config.enum("mood", ["a"])
    config.enum("mood", ["a"], schema="other")
    with pytest.raises(ModelError, match=r"enum public\.mood is declared twice"):
        config.enum("mood", ["b"], schema="public")
    config.sequence("ids")
    with pytest.raises(ModelError, match=r"sequence public\.ids is declared twice"):
        config.sequence("ids")


@pytest.mark.parametrize(
    ("configure", "clash"),
    [
        (lambda model, e: e.has_index("posts", ["id"]), "index 'posts'"),
        (lambda model, e: e.has_index("users_pkey", ["id"]), "index 'users_pkey'"),
        (lambda model, e: e.has_unique("posts_pkey", ["id"]), "unique constraint 'posts_pkey'"),
        (lambda model, e: model.sequence("users"), "sequence public.users"),
        (lambda model, e: model.enum("users", ["a"]), "enum public.users"),
        (
            lambda model, e: e.property("email").has_type(
                integer("email").generated_always_as_identity("posts")
            ),
            "identity sequence of column users.email",
        ),
        (
            lambda model, e: (
                e.has_index("users_email_seq", ["id"])
                and e.property("email").has_type(integer("email").generated_always_as_identity())
            ),
            "identity sequence of column users.email",
        ),
        (
            lambda model, e: (
                e.property("email").has_type(serial("email")) and model.sequence("users_email_seq")
            ),
            "serial column users.email",
        ),
    ],
)
def test_names_shared_within_a_schema(configure: object, clash: str) -> None:
    def setup(model: DbModelConfig) -> None:
        with model.entity(Post) as e:
            e.to_table("posts")
            e.property("id").has_type(integer("id").primary_key())
        with model.entity(User) as e:
            e.to_table("users")
            e.property("id").has_type(integer("id").primary_key())
            assert callable(configure)
            configure(model, e)

    with pytest.raises(ModelError, match="rename one") as info:
        build_model(setup)
    assert clash in str(info.value)
    assert "schema 'public'" in str(info.value)


def test_same_index_name_in_different_schemas_is_fine() -> None:
    def setup(model: DbModelConfig) -> None:
        for cls, schema in ((User, "a"), (Post, "b")):
            with model.entity(cls) as e:
                e.to_table("t", schema=schema)
                e.property("id").has_type(integer("id"))
                e.has_index("ix", ["id"])

    assert [t.indexes[0].name for t in build_model(setup).tables] == ["ix", "ix"]


def test_schemas_are_declared_and_used_ones() -> None:
    def setup(model: DbModelConfig) -> None:
        assert model.schema("reporting") == "reporting"
        model.schema("reporting")
        model.enum("mood", ["a"], schema="types")
        model.sequence("ids", schema="seqs")
        model.entity(User).to_table("users")

    assert build_model(setup).schemas == ("public", "reporting", "seqs", "types")


def test_empty_model() -> None:
    assert build_model(lambda model: None) == Catalog()


def test_reserved_schema_prefix() -> None:
    with pytest.raises(ModelError, match=r"'pg_stuff'.*reserved"):
        build_model(lambda model: model.entity(User).to_table("users", schema="pg_stuff"))
