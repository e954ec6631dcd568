"""ix_lower / ix_unaccent / ix_normalized keys and what they make the model declare."""

from __future__ import annotations

import pytest

from linkgress_async.catalog import IndexElement
from linkgress_async.catalog.routines import calls_function
from linkgress_async.errors import ModelError
from linkgress_async.model import (
    DbModelConfig,
    build_model,
    integer,
    ix_lower,
    ix_normalized,
    ix_unaccent,
    text,
)


class Doc:
    id: int
    title: str


def catalog_with(*keys: object, method: str = "btree"):  # type: ignore[no-untyped-def]
    def setup(model: DbModelConfig) -> None:
        entity = model.entity(Doc).to_table("docs")
        entity.property("id").has_type(integer("id").primary_key())
        entity.property("title").has_type(text("heading"))
        entity.has_index("ix_docs", list(keys), method=method)  # type: ignore[arg-type]

    return build_model(setup)


def test_keys_wrap_the_property_column_innermost_first() -> None:
    catalog = catalog_with(ix_lower(ix_unaccent("title")))
    table = catalog.table("public", "docs")
    assert table is not None
    assert table.indexes[0].elements == (
        IndexElement(expression='lower(public.search_unaccent("heading"))'),
    )
    assert [e.name for e in catalog.extensions] == ["unaccent"]
    assert [(f.schema, f.name) for f in catalog.functions] == [("public", "search_unaccent")]


def test_normalized_keys_bring_their_opclass_method_and_extensions() -> None:
    catalog = catalog_with(ix_normalized("title", gin=True))
    table = catalog.table("public", "docs")
    assert table is not None
    index = table.indexes[0]
    assert index.method == "gin"
    assert index.elements[0].opclass == "gin_trgm_ops"
    assert sorted(e.name for e in catalog.extensions) == ["pg_trgm", "unaccent"]
    btree = catalog_with(ix_normalized("title")).table("public", "docs")
    assert btree is not None
    assert btree.indexes[0].elements[0].opclass == "text_pattern_ops"


def test_ix_normalized_must_be_outermost() -> None:
    with pytest.raises(ModelError, match="ix_normalized must be the outermost"):
        ix_lower(ix_normalized("title"))
    with pytest.raises(ModelError, match="takes a property name"):
        ix_lower(3)  # type: ignore[arg-type]


def test_calls_function_sees_qualified_and_unqualified_calls() -> None:
    assert calls_function("public.search_normalize(name)", "public", "search_normalize")
    assert calls_function("search_normalize (name)", "public", "search_normalize")
    assert not calls_function("my_search_normalize(name)", "public", "search_normalize")
    assert not calls_function("other.search_normalize(name)", "public", "search_normalize")
