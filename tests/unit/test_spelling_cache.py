"""The spelling cache: by model object, and shared by a new model object of the very same value."""

from __future__ import annotations

import gc

from linkgress_async import DbModelConfig, bigint, text
from linkgress_async.canonical._cache import SpellingCache
from linkgress_async.catalog import Catalog


class Post:
    id: int
    title: str


def _model(table: str = "posts", hint: str | None = None) -> Catalog:
    config = DbModelConfig()
    with config.entity(Post) as e:
        e.to_table(table)
        e.property("id").has_type(bigint("id").primary_key())
        title = e.property("title").has_type(text("title")).has_default_value("untitled")
        if hint is not None:
            title.renamed_from(hint)
    return config.build()


def test_a_model_built_again_finds_the_spelling_of_its_twin() -> None:
    cache = SpellingCache()
    first, spelling = _model(), object()
    cache.put(first, "state", spelling)
    again = _model()
    assert again is not first
    assert cache.knows(again)
    assert cache.get(again, "state") is spelling
    assert cache.get(again, "another state") is None


def test_the_twin_outlives_its_context() -> None:
    # A test suite's previous context (and its model) is gone when the next one spells.
    cache = SpellingCache()
    spelling = object()
    cache.put(_model(), "state", spelling)
    gc.collect()
    assert cache.get(_model(), "state") is spelling


def test_a_model_equal_but_for_a_field_equality_leaves_out_is_no_twin() -> None:
    cache = SpellingCache()
    cache.put(_model(), "state", object())
    hinted = _model(hint="headline")
    assert hinted == _model()  # a rename hint is not part of equality...
    assert not cache.knows(hinted)  # ...but it is part of the model's value
    assert cache.get(hinted, "state") is None


def test_a_different_model_is_no_twin() -> None:
    cache = SpellingCache()
    cache.put(_model(), "state", object())
    assert cache.get(_model("articles"), "state") is None


def test_only_the_last_models_spelled_are_kept_alive() -> None:
    cache = SpellingCache()
    cache.put(_model(), "state", object())
    for table in ("a", "b"):
        cache.put(_model(table), "state", object())
    gc.collect()
    assert cache.get(_model(), "state") is None
    assert cache.get(_model("b"), "state") is not None


def test_a_model_found_again_is_the_last_to_be_let_go() -> None:
    # A suite alternating between two models, with a third now and then, keeps both.
    cache = SpellingCache()
    cache.put(_model(), "state", object())
    cache.put(_model("b"), "state", object())
    assert cache.get(_model(), "state") is not None
    cache.put(_model("c"), "state", object())
    gc.collect()
    assert cache.get(_model(), "state") is not None
    assert cache.get(_model("b"), "state") is None


def test_clear_forgets_the_twins_too() -> None:
    cache = SpellingCache()
    cache.put(_model(), "state", object())
    cache.clear()
    assert cache.get(_model(), "state") is None
