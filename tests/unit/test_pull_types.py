"""Pull, types group, from catalogs built by hand: the declarations written for extensions,
domains, composite types, procedures, aggregates and materialized views, and that running
them gives back the very catalog values they were written from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linkgress_async import DbModelConfig, ModelError
from linkgress_async.catalog import (
    Aggregate,
    Catalog,
    CompositeAttribute,
    CompositeType,
    Domain,
    DomainCheck,
    Extension,
    Function,
    Index,
    IndexElement,
    MaterializedView,
    QualifiedName,
)
from linkgress_async.pulling import render_module
from tests.ruff_clean import ruff_problems

DOMAINS = (
    Domain(
        "app",
        "positive",
        "integer",
        default="1",
        nullable=False,
        checks=(
            DomainCheck("positive_check", "(VALUE > 0)"),
            DomainCheck("positive_small", "(VALUE < 1000000)", not_valid=True),
        ),
        not_null_name="positive_required",
    ),
    Domain("app", "code", "text", collation='"C"', checks=(DomainCheck("c", "(VALUE <> '')"),)),
    Domain("app", "Weird Domain", "character varying(20)", default="'it''s'::character varying"),
)
COMPOSITES = (
    CompositeType(
        "app",
        "money_pair",
        (
            CompositeAttribute("amount", "numeric(12,2)"),
            CompositeAttribute("note", "text", collation='"C"'),
        ),
    ),
)
AGGREGATE = Aggregate(
    "app",
    "concat_all",
    "text",
    (("SFUNC", "app.concat_step"), ("STYPE", "text"), ("INITCOND", "")),
    definition="(text) (SFUNC = app.concat_step, STYPE = text, INITCOND = '')",
)
PROCEDURE = Function(
    "app",
    "tidy",
    "IN days integer",
    definition="(IN days integer)\n LANGUAGE sql\nAS $procedure$ SELECT days $procedure$",
    kind="procedure",
)
TOTALS = MaterializedView(
    "app",
    "totals",
    "SELECT 1 AS n",
    indexes=(
        Index("totals_n", (IndexElement("n"),), unique=True),
        Index(
            "totals_twice",
            (IndexElement(expression="(n * 2)"),),
            method="hash",
            where="(n > 1)",
            options=("fillfactor=70",),
        ),
    ),
    options=("fillfactor=90",),
)
ON_TOTALS = MaterializedView(
    "app",
    "on_totals",
    "SELECT n FROM app.totals",
    depends_on=(QualifiedName("app", "totals"),),
)
CATALOG = Catalog(
    schemas=("app",),
    extensions=(Extension("citext", "app", "1.6"),),
    domains=DOMAINS,
    composite_types=COMPOSITES,
    aggregates=(AGGREGATE,),
    functions=(PROCEDURE,),
    materialized_views=(ON_TOTALS, TOTALS),
)


def _run(source: str) -> Catalog:
    """The catalog the pulled module's ``setup_model`` builds."""
    namespace: dict[str, Any] = {}
    exec(compile(source, "pulled", "exec"), namespace)
    model = DbModelConfig()
    namespace["Database"].setup_model(None, model)
    return model.build()


def test_every_kind_is_declared_and_nothing_is_noted(tmp_path: Path) -> None:
    pulled = render_module(CATALOG)
    assert pulled.undeclared == ()
    assert ruff_problems(pulled.source, tmp_path) == ""
    source = pulled.source
    assert 'model.extension("citext", schema="app")' in source
    assert 'model.domain("code", "text", schema="app", collation=\'"C"\'' in source
    assert 'not_valid=["positive_small"]' in source
    assert 'not_null_name="positive_required"' in source
    assert "model.composite_type(" in source
    assert 'custom_type("note", "text").collate(\'"C"\')' in source
    assert "model.procedure(" in source
    # A materialized view comes after the one it selects from.
    assert source.index('"totals",') < source.index('"on_totals",')


def test_running_the_declarations_gives_back_the_catalog_values() -> None:
    built = _run(render_module(CATALOG).source)
    # The version is left to the server; everything else is as read.
    assert built.extensions == (Extension("citext", "app"),)
    assert built.domains == CATALOG.domains
    assert built.composite_types == CATALOG.composite_types
    [aggregate] = built.aggregates
    assert (aggregate.schema, aggregate.name, aggregate.definition) == (
        "app",
        "concat_all",
        AGGREGATE.definition,
    )
    [procedure] = built.functions
    assert (procedure.kind, procedure.definition) == ("procedure", PROCEDURE.definition)
    views = {view.name: view for view in built.materialized_views}
    totals = views["totals"]
    assert (totals.definition, totals.options) == (TOTALS.definition, TOTALS.options)
    # Equal as the diff compares them (the raw flag of an sql(...) key is not compared).
    assert totals.indexes == TOTALS.indexes
    assert views["on_totals"].definition == ON_TOTALS.definition


def test_a_composite_type_without_attributes_is_noted() -> None:
    pulled = render_module(Catalog(schemas=("app",), composite_types=(CompositeType("app", "e"),)))
    [noted] = pulled.undeclared
    assert noted.description == "type app.e without attributes"
    assert "model.composite_type(" not in pulled.source


def test_a_materialized_view_index_key_with_options_is_an_index_key(tmp_path: Path) -> None:
    elements = (
        IndexElement("n", opclass="text_pattern_ops", descending=True, nulls_first=False),
        IndexElement(expression="lower(t)", collation='"C"'),
        IndexElement("t", opclass="public.gist_trgm_ops", opclass_options=("siglen=32",)),
    )
    index = Index("mv_n", elements, unique=True, nulls_not_distinct=True)
    view = MaterializedView("app", "mv", "SELECT 1 AS n, 'a' AS t", indexes=(index,))
    pulled = render_module(Catalog(schemas=("app",), materialized_views=(view,)))
    assert pulled.undeclared == ()
    assert ruff_problems(pulled.source, tmp_path) == ""
    assert (
        'index_key("n", opclass="text_pattern_ops", descending=True, nulls="last")' in pulled.source
    )
    assert "from linkgress_async import DbContext, DbModelConfig, index_key, sql" in pulled.source
    [built] = _run(pulled.source).materialized_views
    assert built.indexes == (index,)


def test_a_long_check_is_split_inside_sql_and_stays_ruff_clean(tmp_path: Path) -> None:
    long = "(VALUE ~ '" + "x" * 120 + "'::text)"
    domain = Domain("app", "d" * 63, "text", checks=(DomainCheck("c" * 63, long),))
    source = render_module(Catalog(schemas=("app",), domains=(domain,))).source
    assert f'"{"c" * 63}": sql(' in source
    assert ruff_problems(source, tmp_path) == ""
    assert _run(source).domains == (domain,)


def test_domain_not_valid_and_not_null_name_reach_the_catalog() -> None:
    model = DbModelConfig()
    model.domain(
        "qty",
        "integer",
        not_null=True,
        not_null_name="qty_required",
        checks={"qty_positive": "VALUE > 0", "qty_small": "VALUE < 100"},
        not_valid=["qty_small"],
    )
    model.domain("plain", "integer", not_null=True, not_null_name="plain_not_null")
    qty, plain = sorted(model.build().domains, key=lambda d: d.name != "qty")
    assert qty.checks == (
        DomainCheck("qty_positive", "VALUE > 0"),
        DomainCheck("qty_small", "VALUE < 100", not_valid=True),
    )
    assert qty.not_null_name == "qty_required"
    # PostgreSQL's own name is no name of the model's (as introspection reads it).
    assert plain.not_null_name is None


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda m: m.domain("d", "int", checks={"a": "VALUE > 0"}, not_valid=["b"]),
            "domain public.d: not_valid names 'b', which is not one of its checks",
        ),
        (
            lambda m: m.domain("d", "int", not_null_name="d_nn"),
            "domain public.d: not_null_name names NOT NULL; add not_null=True",
        ),
        (
            lambda m: m.domain("d", "int", not_null=True, not_null_name=""),
            "domain public.d: not_null_name",
        ),
    ],
)
def test_bad_domain_options_are_model_errors(declare: Any, message: str) -> None:
    model = DbModelConfig()
    with pytest.raises(ModelError, match=message):
        declare(model)
