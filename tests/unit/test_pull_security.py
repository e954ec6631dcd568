"""Pull of triggers, policies, row-level security, comments, grants and owners, from
catalogs built by hand; and the builder declarations they use, built into the very catalog
values introspection reads."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from linkgress_async import DbModelConfig, ModelError, PgClient, serial, text
from linkgress_async.canonical._routine_refs import resolve_routine_refs
from linkgress_async.catalog import (
    Catalog,
    Column,
    Comment,
    Function,
    Grant,
    Identity,
    ObjectRef,
    Owner,
    Policy,
    PrimaryKey,
    QualifiedName,
    SequenceOptions,
    Table,
    Trigger,
    UniqueConstraint,
    View,
)
from linkgress_async.model import build_model
from linkgress_async.model.access import routine_placeholder
from linkgress_async.ops import (
    AlterOwner,
    CreatePolicy,
    CreateTable,
    CreateTrigger,
    GrantPrivileges,
    SetComment,
)
from linkgress_async.plan.lifecycle import creation_operations
from linkgress_async.pulling import render_module
from tests.integration.fidelity import import_module
from tests.ruff_clean import ruff_problems

TOUCH = Trigger(
    "touch",
    QualifiedName("app", "touch"),
    "before",
    ("insert", "update"),
    "row",
    update_columns=("Full Name",),
    when="(new.id > 0)",
    arguments=("it's",),
    enabled="replica",
)
AUDIT = Trigger(
    "audit",
    QualifiedName("app", "audit"),
    "after",
    ("update",),
    old_table="gone",
    new_table="came",
    constraint=False,
)
LATER = Trigger(
    "later",
    QualifiedName("app", "audit"),
    "after",
    ("insert",),
    "row",
    constraint=True,
    deferrable=True,
    initially_deferred=True,
)
OWN_ROWS = Policy("own_rows", "select", False, ("reader", "writer"), "(id > 0)", None)
ACCOUNTS = Table(
    "app",
    "accounts",
    columns=(
        Column("id", "serial", False),
        Column("Full Name", "text"),
        Column("code", "bigint", False, identity=Identity(True, SequenceOptions(1, 1, 1, 9))),
    ),
    primary_key=PrimaryKey("accounts_pkey", ("id",)),
    uniques=(UniqueConstraint("accounts_code_key", ("code",)),),
    triggers=(TOUCH, AUDIT, LATER),
    policies=(OWN_ROWS, Policy("everyone")),
    rls_enabled=True,
    rls_forced=True,
)
TABLE = ObjectRef("table", "app", "accounts")
SCHEMA = ObjectRef("schema", None, "app")
PUBLIC = ObjectRef("schema", None, "public")
VIEW = ObjectRef("view", "app", "names")
ADD = ObjectRef("function", "app", "add", "a integer, b integer")
ANNOTATIONS: dict[str, Any] = {
    "comments": (
        Comment(SCHEMA, "the app"),
        Comment(PUBLIC, "standard public schema"),
        Comment(TABLE, "accounts"),
        Comment(ObjectRef("column", "app", "accounts", "Full Name"), "who"),
        Comment(ObjectRef("constraint", "app", "accounts", "accounts_pkey"), "the key"),
        Comment(ObjectRef("index", "app", "accounts_code_key"), "the code's index"),
        Comment(ObjectRef("trigger", "app", "accounts", "touch"), "stamps"),
        Comment(ObjectRef("policy", "app", "accounts", "own_rows"), "own rows"),
        Comment(ObjectRef("sequence", "app", "accounts_id_seq"), "ids"),
        Comment(VIEW, "names"),
        Comment(ObjectRef("column", "app", "names", "name"), "a name"),
        Comment(ObjectRef("trigger", "app", "names", "redirect"), "redirects"),
        Comment(ADD, "adds"),
    ),
    "grants": (
        Grant(PUBLIC, "PUBLIC", "USAGE"),
        Grant(SCHEMA, "writer", "CREATE", grantable=True, position=1),
        Grant(SCHEMA, "reader", "USAGE", position=0),
        Grant(TABLE, "reader", "SELECT", position=0),
        Grant(TABLE, "reader", "INSERT", position=0),
        Grant(ObjectRef("column", "app", "accounts", "Full Name"), "writer", "UPDATE"),
        Grant(ObjectRef("sequence", "app", "accounts_code_seq"), "writer", "USAGE"),
        Grant(ObjectRef("column", "app", "names", "name"), "writer", "SELECT"),
        Grant(ADD, "PUBLIC", "EXECUTE", revoke=True),
        Grant(ADD, "reader", "EXECUTE", grantable=True),
    ),
    "owners": (
        Owner(PUBLIC, "pg_database_owner"),
        Owner(SCHEMA, "app_owner"),
        Owner(TABLE, "app_owner"),
        Owner(VIEW, "me"),
        Owner(ADD, "me"),
        Owner(ObjectRef("sequence", "app", "accounts_id_seq"), "app_owner"),
    ),
}
NAMES = View(
    "app",
    "names",
    'SELECT "Full Name" AS name FROM app.accounts',
    triggers=(
        Trigger("redirect", QualifiedName("app", "touch"), "instead of", ("insert",), "row"),
    ),
)
FUNCTIONS = (
    Function("app", "add", "a integer, b integer", definition="(a integer, b integer) ..."),
)


def _catalog(**changes: Any) -> Catalog:
    catalog = Catalog(
        schemas=("app", "public"),
        tables=(ACCOUNTS,),
        views=(NAMES,),
        functions=FUNCTIONS,
        **ANNOTATIONS,
    )
    return attrs.evolve(catalog, **changes)


@pytest.fixture(scope="module")
def pulled_source() -> str:
    pulled = render_module(_catalog(), current_user="me")
    assert pulled.undeclared == ()
    return pulled.source


def test_a_table_block_declares_its_security_and_annotations(pulled_source: str) -> None:
    block = pulled_source.split("with model.entity(Accounts) as e:")[1]
    for line in (
        "e.has_row_level_security(force=True)",
        'e.has_trigger(\n                "touch",\n                "app.touch",',
        'update_of="full_name",',
        'when="(new.id > 0)",',
        """arguments=["it's"],""",
        'enabled="replica",',
        'comment="stamps",',
        'referencing_old="gone",',
        "constraint=True,",
        "initially_deferred=True,",
        'e.has_policy(\n                "own_rows",\n                command="select",',
        "permissive=False,",
        'to=["reader", "writer"],',
        'e.has_policy("everyone")',
        'e.has_comment("accounts")',
        'e.property("full_name").has_comment("who")',
        'e.has_constraint_comment("accounts_pkey", "the key")',
        """e.has_index_comment("accounts_code_key", "the code's index")""",
        'e.property("id").has_sequence_comment("ids")',
        'e.property("code").grant_on_sequence("USAGE", to="writer")',
        'e.grant("INSERT", "SELECT", to="reader")',
        'e.grant("UPDATE", to="writer", columns="full_name")',
        'e.has_owner("app_owner")',
    ):
        assert line in block, line
    # the table's owner owns its serial sequence: no declaration of its own
    assert "accounts_id_seq" not in pulled_source


def test_other_objects_get_theirs_on_their_handles(pulled_source: str) -> None:
    for line in (
        'app = model.schema("app")',
        "add = model.function(",
        "names = model.view(",
        'model.view_trigger(\n            names,\n            "redirect",',
        'model.comment(app, "the app")',
        'model.comment(names, "a name", column="name")',
        'model.owner(app, "app_owner")',
        'model.revoke("EXECUTE", on=add, from_="PUBLIC")',
        'model.grant("EXECUTE", on=add, to="reader", with_grant_option=True)',
        'model.grant("SELECT", on=names, to="writer", columns="name")',
        'comment="redirects"',
    ):
        assert line in pulled_source, line
    # ACL order: reader (position 0) before writer
    assert pulled_source.index('on=app, to="reader"') < pulled_source.index('on=app, to="writer"')


def test_defaults_are_not_declared(pulled_source: str) -> None:
    # the role that pulls owns the view and the function; the public schema is as created
    assert 'model.owner(names, "me")' not in pulled_source
    assert 'model.owner(add, "me")' not in pulled_source
    assert 'model.schema("public")' in pulled_source
    assert "pg_database_owner" not in pulled_source
    assert "standard public schema" not in pulled_source
    # PUBLIC is named (EXECUTE on add is revoked): its USAGE on public is stated too
    assert 'model.grant("USAGE", on=public, to="PUBLIC")' in pulled_source
    grants = tuple(g for g in ANNOTATIONS["grants"] if g.grantee != "PUBLIC" or g.target == PUBLIC)
    source = render_module(_catalog(grants=grants), current_user="me").source
    assert "on=public" not in source


def test_the_public_schema_is_declared_where_it_differs() -> None:
    owners = (Owner(PUBLIC, "me"),)
    grants = (Grant(PUBLIC, "PUBLIC", "USAGE"), Grant(PUBLIC, "PUBLIC", "CREATE"))
    source = render_module(_catalog(owners=owners, grants=grants), current_user="me").source
    # pg_database_owner is a fresh database's owner, so even the pulling role is declared;
    # once PUBLIC is named, all its privileges on the schema are
    assert 'model.owner(public, "me")' in source
    assert 'model.grant("CREATE", "USAGE", on=public, to="PUBLIC")' in source


def test_without_a_current_user_every_owner_is_declared() -> None:
    source = render_module(_catalog()).source
    assert 'model.owner(names, "me")' in source


def test_what_has_no_declaration_is_noted() -> None:
    stray = (Comment(ObjectRef("statistics", "app", "stats"), "stats"),)
    forced = attrs.evolve(ACCOUNTS, rls_enabled=False)
    pulled = render_module(_catalog(comments=stray, tables=(forced,)), current_user="me")
    assert [item.description for item in pulled.undeclared] == [
        "FORCE ROW LEVEL SECURITY (not enabled) on app.accounts",
        "comment on statistics app.stats",
    ]


def test_the_pulled_module_is_ruff_clean_and_builds_the_catalog(
    pulled_source: str, tmp_path: Path
) -> None:
    assert ruff_problems(pulled_source, tmp_path) == ""
    module: ModuleType = import_module(pulled_source, tmp_path)
    built = module.Database(PgClient(dsn="postgresql://localhost/unused")).model
    table = built.table("app", "accounts")
    assert table is not None
    assert table.triggers == ACCOUNTS.triggers
    assert table.policies == ACCOUNTS.policies
    assert (table.rls_enabled, table.rls_forced) == (True, True)
    assert built.views[0].triggers == NAMES.triggers
    expected = set(_catalog().comments) - {Comment(PUBLIC, "standard public schema")}
    # routine references are placeholders until the canonical stage spells their arguments
    spelled = {_spelled(c.target): c for c in built.comments}
    assert set(spelled) == {c.target for c in expected}


def _spelled(ref: ObjectRef) -> ObjectRef:
    if ref.kind == "function":
        return attrs.evolve(ref, member="a integer, b integer")
    return ref


# --- the builder declarations -------------------------------------------------------------


@attrs.define
class Ticket:
    id: int
    title: str


def _tickets(model: DbModelConfig) -> None:
    with model.entity(Ticket) as e:
        e.to_table("tickets", schema="app")
        e.property("id").has_type(serial("id").primary_key())
        e.property("title").has_type(text("title")).is_unique()
        e.has_constraint_comment("tickets_title_key", "unique titles")
        e.has_index_comment("tickets_pkey", "the key's index")
        e.property("id").has_sequence_comment("numbers").grant_on_sequence(
            "usage", "select", to="reader"
        )
        e.grant("SELECT", to=["b_role", "a_role"])


def test_comments_and_grants_of_parts_build_into_catalog_values() -> None:
    catalog = build_model(_tickets)
    sequence = ObjectRef("sequence", "app", "tickets_id_seq")
    assert set(catalog.comments) == {
        Comment(ObjectRef("constraint", "app", "tickets", "tickets_title_key"), "unique titles"),
        Comment(ObjectRef("index", "app", "tickets_pkey"), "the key's index"),
        Comment(sequence, "numbers"),
    }
    assert {g for g in catalog.grants if g.target == sequence} == {
        Grant(sequence, "reader", "USAGE"),
        Grant(sequence, "reader", "SELECT"),
    }
    # grants keep their declaration order, which the diff grants in
    table = [g for g in catalog.grants if g.target.kind == "table"]
    assert [g.grantee for g in sorted(table, key=lambda g: g.position)] == ["b_role", "a_role"]


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda e: e.has_constraint_comment("nope", "x"),
            "has_constraint_comment names constraint 'nope', which the table does not have",
        ),
        (
            lambda e: e.has_index_comment("nope", "x"),
            "has_index_comment names index 'nope', which the table does not have",
        ),
        (lambda e: e.has_constraint_comment("tickets_pkey", 3), "a comment is a string"),
        (
            lambda e: e.property("title").has_sequence_comment("x"),
            "column 'title' has no sequence of its own",
        ),
    ],
)
def test_bad_part_declarations_are_model_errors(declare: Any, message: str) -> None:
    def setup(model: DbModelConfig) -> None:
        _tickets(model)
        declare(model.entity(Ticket))

    with pytest.raises(ModelError, match=message):
        build_model(setup)


def test_view_triggers_and_view_column_annotations() -> None:
    def setup(model: DbModelConfig) -> None:
        view = model.view("names", "SELECT 1 AS n", schema="app")
        model.view_trigger(
            view, "redirect", "app.touch", timing="instead of", events="insert", for_each="row"
        )
        model.view_trigger(view, "log", "app.audit", timing="after", events=["update"])
        model.comment(view, "a number", column="n")
        model.grant("SELECT", on=view, to="reader", columns=["n"])

    catalog = build_model(setup)
    [view] = catalog.views
    assert [t.name for t in view.triggers] == ["log", "redirect"]
    assert view.triggers[1] == NAMES.triggers[0]
    column = ObjectRef("column", "app", "names", "n")
    assert Comment(column, "a number") in catalog.comments
    assert Grant(column, "reader", "SELECT") in catalog.grants


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda m, v: m.view_trigger("v", "t", "a.f", timing="after", events="insert"),
            "is not a declared view",
        ),
        (
            lambda m, v: m.view_trigger(v, "t", "a.f", timing="later", events="insert"),
            "timing is one of",
        ),
        (
            lambda m, v: [
                m.view_trigger(v, "t", "a.f", timing="after", events="insert") for _ in "ab"
            ],
            "is declared twice",
        ),
        (lambda m, v: m.comment(m.schema("s"), "x", column="c"), "column= comments a column"),
        (lambda m, v: m.grant("SELECT", on=m.schema("s"), to="r", columns="c"), "columns="),
    ],
)
def test_bad_view_declarations_are_model_errors(declare: Any, message: str) -> None:
    def setup(model: DbModelConfig) -> None:
        declare(model, model.view("v", "SELECT 1", schema="app"))

    with pytest.raises(ModelError, match=message):
        build_model(setup)


def test_routine_references_get_their_argument_types() -> None:
    placeholder = ObjectRef("function", "app", "add", routine_placeholder(0))
    function = Function("app", "add", "a integer, b integer", position=0)
    catalog = Catalog(
        functions=(function,),
        comments=(Comment(placeholder, "adds"),),
        grants=(Grant(placeholder, "PUBLIC", "EXECUTE", revoke=True),),
        owners=(Owner(placeholder, "me"),),
    )
    resolved = resolve_routine_refs(catalog)
    assert resolved.comments == (Comment(ADD, "adds"),)
    assert resolved.grants == (Grant(ADD, "PUBLIC", "EXECUTE", revoke=True),)
    assert resolved.owners == (Owner(ADD, "me"),)
    unresolved = attrs.evolve(catalog, functions=(attrs.evolve(function, identity_args=None),))
    assert resolve_routine_refs(unresolved).comments == (Comment(placeholder, "adds"),)


def test_ensure_created_completes_what_it_creates_and_leaves_the_rest() -> None:
    other = ObjectRef("table", "app", "other")
    operations = [
        CreateTable("accounts", "app", ACCOUNTS),
        CreateTrigger("accounts", "app", TOUCH),
        CreatePolicy("accounts", "app", OWN_ROWS),
        CreateTrigger("other", "app", TOUCH),
        SetComment(TABLE, "accounts"),
        SetComment(ObjectRef("sequence", "app", "accounts_id_seq"), "ids"),
        SetComment(ObjectRef("index", "app", "accounts_pkey"), "the key"),
        SetComment(other, "not new"),
        GrantPrivileges(PUBLIC, "PUBLIC", ("CREATE",)),
        AlterOwner(other, "me"),
    ]
    chosen = creation_operations(operations)
    assert chosen == [
        op
        for op in operations
        if not (isinstance(op, CreateTrigger) and op.table_name == "other")
        and getattr(op, "target", None) != other
    ]
