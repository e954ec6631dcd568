"""The builder's declarations of every object kind, and the catalog values they become."""

from __future__ import annotations

from typing import Any

import pytest

from linkgress_async import DbModelConfig, ModelError, integer, sql, text, timestamptz, varchar
from linkgress_async.catalog import (
    Catalog,
    Comment,
    CompositeAttribute,
    Domain,
    DomainCheck,
    Extension,
    Generated,
    Grant,
    IndexElement,
    ObjectRef,
    Owner,
    Policy,
    QualifiedName,
    Table,
    Trigger,
)
from linkgress_async.model import EntityBuilder, custom_type, index_key, numeric, pg_schema
from linkgress_async.model.access import routine_placeholder


class Doc:
    id: int
    title: str
    body: str
    at: object
    price: object
    qty: int
    total: object


def _doc(model: DbModelConfig) -> EntityBuilder[Doc]:
    e = model.entity(Doc)
    e.to_table("docs")
    e.property("id").has_type(integer("id").primary_key())
    e.property("title").has_type(text("title"))
    e.property("body").has_type(text("body"))
    e.property("at").has_type(timestamptz("at"))
    return e


def _build(setup: Any) -> Catalog:
    model = DbModelConfig()
    setup(model)
    return model.build()


def _table(catalog: Catalog, name: str = "docs") -> Table:
    table = catalog.table("public", name)
    assert table is not None
    return table


def test_collations_from_the_type_builder_and_the_property() -> None:
    def setup(model: DbModelConfig) -> None:
        e = _doc(model)
        e.property("title").has_type(text("title").collate('"C"'))
        e.property("body").has_collation('"en-x-icu"')

    table = _table(_build(setup))
    assert table.column("title") is not None
    assert table.column("title").collation == '"C"'  # type: ignore[union-attr]
    assert table.column("body").collation == '"en-x-icu"'  # type: ignore[union-attr]
    assert table.column("id").collation is None  # type: ignore[union-attr]


def test_generated_columns_stored_and_virtual() -> None:
    def setup(model: DbModelConfig) -> None:
        e = _doc(model)
        e.property("price").has_type(numeric("price", 10, 2))
        e.property("qty").has_type(integer("qty"))
        e.property("total").has_type(numeric("total", 12, 2).generated_always_as("price * qty"))
        e.property("title").generated_always_as(sql("upper(body)"), stored=False)

    table = _table(_build(setup))
    assert table.column("total").generated == Generated("price * qty", "stored")  # type: ignore[union-attr]
    assert table.column("title").generated == Generated("upper(body)", "virtual")  # type: ignore[union-attr]


def test_a_generated_column_with_a_default_is_refused() -> None:
    def setup(model: DbModelConfig) -> None:
        e = _doc(model)
        e.property("qty").has_type(integer("qty").generated_always_as("id * 2"))
        e.property("qty").has_default_value(1)

    with pytest.raises(ModelError, match="generated column computes its value"):
        _build(setup)


def test_table_storage_partitioning_and_security() -> None:
    def setup(model: DbModelConfig) -> None:
        e = _doc(model)
        e.is_unlogged().has_storage_parameters(fillfactor=70, autovacuum_enabled=False)
        e.has_partitioning("range", ["at"])
        e.has_row_level_security(force=True)
        e.has_policy("own", command="select", to=["alice", "PUBLIC"], using="title = 'x'")
        e.has_policy("strict", permissive=False, with_check=sql("body IS NOT NULL"))

    table = _table(_build(setup))
    assert table.unlogged
    assert table.options == ("fillfactor=70", "autovacuum_enabled=false")  # as declared
    assert table.partition_by == 'RANGE ("at")'
    assert (table.rls_enabled, table.rls_forced) == (True, True)
    assert table.policies == (
        Policy("own", "select", True, ("alice", "public"), "title = 'x'"),
        Policy("strict", "all", False, ("public",), None, "body IS NOT NULL"),
    )


def test_partitioning_by_a_raw_key_and_the_mistakes() -> None:
    def by_expression(model: DbModelConfig) -> None:
        _doc(model).has_partitioning("list", expression_sql=sql("lower(title)"))

    assert _table(_build(by_expression)).partition_by == "LIST (lower(title))"
    with pytest.raises(ModelError, match="strategy is one of range, list, hash"):
        _build(lambda m: _doc(m).has_partitioning("tree", ["at"]))  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="not both"):
        _build(lambda m: _doc(m).has_partitioning("range"))


def test_triggers_name_their_function_with_its_schema() -> None:
    def setup(model: DbModelConfig) -> None:
        touch = model.function("touch", "() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN END$$")
        e = _doc(model)
        e.has_trigger(
            "t_touch",
            touch,
            timing="before",
            events=["update", "insert"],
            for_each="row",
            update_of=["title"],
            when="OLD.* IS DISTINCT FROM NEW.*",
        )
        e.has_trigger(
            "t_fts",
            "pg_catalog.tsvector_update_trigger",
            timing="before",
            events="insert",
            for_each="row",
            arguments=["body", "pg_catalog.english", "title"],
            enabled="disabled",
        )

    triggers = _table(_build(setup)).triggers
    assert triggers[0] == Trigger(
        "t_fts",
        QualifiedName("pg_catalog", "tsvector_update_trigger"),
        "before",
        ("insert",),
        "row",
        ("body", "pg_catalog.english", "title"),
        enabled="disabled",
    )
    assert triggers[1].events == ("insert", "update")  # PostgreSQL's order
    assert triggers[1].function == QualifiedName("public", "touch")
    assert triggers[1].update_columns == ("title",)
    with pytest.raises(ModelError, match="name the trigger function with its schema"):
        _build(lambda m: _doc(m).has_trigger("t", "touch", timing="before", events="update"))
    with pytest.raises(ModelError, match="events are some of"):
        _build(lambda m: _doc(m).has_trigger("t", "a.b", timing="before", events="select"))


def test_constraint_flags_keys_and_exclusions() -> None:
    def setup(model: DbModelConfig) -> None:
        e = _doc(model)
        e.has_primary_key(["id"], include=["title"], deferrable=True, comment="the key")
        e.has_unique("docs_title_key", ["title"], nulls_not_distinct=True,
                     options={"fillfactor": 90})  # fmt: skip
        e.has_check("docs_body_check", "length(body) > 0", not_valid=True, no_inherit=True)
        e.has_exclusion("docs_no_overlap", "USING gist (title WITH =)", deferrable=True)

    catalog = _build(setup)
    table = _table(catalog)
    assert table.primary_key is not None
    assert table.primary_key.include == ("title",)
    assert table.primary_key.deferrable
    assert table.uniques[0].nulls_not_distinct
    assert table.uniques[0].options == ("fillfactor=90",)
    assert (table.checks[0].not_valid, table.checks[0].no_inherit) == (True, True)
    assert table.exclusions[0].definition == "EXCLUDE USING gist (title WITH =)"
    assert table.exclusions[0].deferrable
    assert Comment(ObjectRef("constraint", "public", "docs", "docs_pkey"), "the key") in (
        catalog.comments
    )
    with pytest.raises(ModelError, match="initially_deferred needs deferrable"):
        _build(lambda m: _doc(m).has_unique("u", ["title"], initially_deferred=True))


def test_index_keys_with_options() -> None:
    def setup(model: DbModelConfig) -> None:
        e = _doc(model)
        e.has_index("ix_title_trgm", ["title", index_key("body")], method="gin",
                    opclass="gin_trgm_ops")  # fmt: skip
        e.has_index(
            "ix_at",
            [
                index_key("at", descending=True, nulls="last"),
                index_key("title", collation='"C"', nulls="first"),
                index_key(sql("lower(body)"), opclass="text_pattern_ops"),
            ],
            nulls_not_distinct=True,
            options={"fillfactor": 80},
            comment="by time",
        )
        e.has_index("ix_raw", [sql("at DESC NULLS LAST")])

    catalog = _build(setup)
    indexes = {i.name: i for i in _table(catalog).indexes}
    assert [e.opclass for e in indexes["ix_title_trgm"].elements] == ["gin_trgm_ops"] * 2
    at, title, body = indexes["ix_at"].elements
    assert at == IndexElement(column="at", descending=True, nulls_first=False)
    assert title == IndexElement(column="title", collation='"C"', nulls_first=True)
    assert body == IndexElement(expression="lower(body)", opclass="text_pattern_ops")
    assert indexes["ix_at"].nulls_not_distinct
    assert indexes["ix_at"].options == ("fillfactor=80",)
    raw = indexes["ix_raw"].elements[0]
    assert (raw.expression, raw.raw) == ("at DESC NULLS LAST", True)
    assert Comment(ObjectRef("index", "public", "ix_at"), "by time") in catalog.comments


def test_descending_keys_default_to_nulls_first() -> None:
    def setup(model: DbModelConfig) -> None:
        _doc(model).has_index("ix", [index_key("at", descending=True, nulls="first")])

    assert _table(_build(setup)).indexes[0].elements[0].nulls_first is None


def test_types_extensions_and_routines() -> None:
    def setup(model: DbModelConfig) -> None:
        model.extension("pg_trgm", schema="ext", comment="trigrams")
        year = model.domain("year", "integer", default=2000, not_null=True,
                            checks={"year_check": "VALUE >= 1901"})  # fmt: skip
        point = model.composite_type("point2", {"x": "integer", "label": varchar("label", 9)})
        e = _doc(model)
        e.property("qty").has_type(custom_type("qty", year))
        e.property("price").has_type(custom_type("price", point))
        model.procedure("tidy", "() LANGUAGE sql AS $$ SELECT 1 $$")
        model.aggregate("concat_all", "(text) (SFUNC = textcat, STYPE = text)", comment="c")
        mv = model.materialized_view("doc_titles", "SELECT id, title FROM public.docs",
                                     options={"fillfactor": 100})  # fmt: skip
        mv.has_index("ix_doc_titles_id", ["id"], unique=True)
        model.view("doc_ids", "SELECT id FROM public.docs;", options={"security_barrier": True})

    catalog = _build(setup)
    assert catalog.extensions == (Extension("pg_trgm", "ext"),)
    assert "ext" in catalog.schemas
    check = DomainCheck("year_check", "VALUE >= 1901")
    assert catalog.domains == (Domain("public", "year", "integer", "2000", False, None, (check,)),)
    assert catalog.composite_types[0].attributes == (
        CompositeAttribute("x", "integer"),
        CompositeAttribute("label", "character varying(9)"),
    )
    table = _table(catalog)
    assert table.column("qty").data_type == '"public"."year"'  # type: ignore[union-attr]
    assert catalog.functions[0].kind == "procedure"
    assert catalog.aggregates[0].definition == "(text) (SFUNC = textcat, STYPE = text)"
    view = catalog.materialized_views[0]
    assert [i.name for i in view.indexes] == ["ix_doc_titles_id"]
    assert view.options == ("fillfactor=100",)
    assert catalog.views[0].options == ("security_barrier=true",)
    assert catalog.views[0].definition == "SELECT id FROM public.docs"
    refs = {c.target for c in catalog.comments}
    assert ObjectRef("extension", None, "pg_trgm") in refs
    assert ObjectRef("aggregate", "public", "concat_all", routine_placeholder(0)) in refs


def test_privileges_owners_and_comments() -> None:
    def setup(model: DbModelConfig) -> None:
        app = model.schema("app", comment="the app", owner="app_owner")
        assert isinstance(app, pg_schema)
        assert app == "app"
        touch = model.function("touch", "() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$")
        e = _doc(model).has_comment("documents").has_owner("app_owner")
        e.property("title").has_comment("the title").grant("UPDATE", to="editor")
        e.grant("select", "INSERT", to=["reader", "public"])
        e.grant("SELECT", to="auditor", columns=["id", "title"])
        model.grant("USAGE", on=app, to="reader")
        model.grant("all privileges", on=Doc, to="admin", with_grant_option=True)
        model.revoke("EXECUTE", on=touch, from_="PUBLIC")
        model.owner(touch, "app_owner")

    catalog = _build(setup)
    docs = ObjectRef("table", "public", "docs")
    title = ObjectRef("column", "public", "docs", "title")
    touch = ObjectRef("function", "public", "touch", routine_placeholder(0))
    assert set(catalog.grants) == {
        Grant(title, "editor", "UPDATE"),
        Grant(docs, "reader", "SELECT"),
        Grant(docs, "reader", "INSERT"),
        Grant(docs, "PUBLIC", "SELECT"),
        Grant(docs, "PUBLIC", "INSERT"),
        Grant(ObjectRef("column", "public", "docs", "id"), "auditor", "SELECT"),
        Grant(title, "auditor", "SELECT"),
        Grant(ObjectRef("schema", None, "app"), "reader", "USAGE"),
        Grant(docs, "admin", "ALL", grantable=True),
        Grant(touch, "PUBLIC", "EXECUTE", revoke=True),
    }
    assert set(catalog.owners) == {
        Owner(ObjectRef("schema", None, "app"), "app_owner"),
        Owner(docs, "app_owner"),
        Owner(touch, "app_owner"),
    }
    assert Comment(docs, "documents") in catalog.comments
    assert Comment(title, "the title") in catalog.comments
    assert Comment(ObjectRef("schema", None, "app"), "the app") in catalog.comments


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (lambda m: m.grant("FLY", on=m.schema("s"), to="r"), "not a privilege"),
        (lambda m: m.grant("SELECT", on=object(), to="r"), "not a declared object"),
        (lambda m: m.grant("SELECT", on=m.schema("s"), to=[]), "at least one role"),
        (lambda m: m.domain("d", "int", default=1, default_sql="2"), "not both"),
        (lambda m: m.composite_type("c", {}), "at least one attribute"),
        (lambda m: (m.extension("x"), m.extension("x")), "declared twice"),
    ],
)
def test_bad_declarations_are_model_errors(declare: Any, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        _build(declare)


def test_duplicate_trigger_names_on_a_table_are_refused() -> None:
    def setup(model: DbModelConfig) -> None:
        e = _doc(model)
        e.has_trigger("t", "public.f", timing="before", events="insert")
        e.has_trigger("t", "public.f", timing="after", events="insert")

    with pytest.raises(ModelError, match="two trigger declarations are named 't'"):
        _build(setup)
