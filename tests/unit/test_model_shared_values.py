"""Equal columns, index keys and column types of a model are one object each."""

from __future__ import annotations

from linkgress_async import DbModelConfig, bigint, integer, text


class Post:
    id: int
    title: str


class Page:
    id: int
    title: str


def _build(page_hint: str | None) -> DbModelConfig:
    model = DbModelConfig()
    for cls, table in ((Post, "posts"), (Page, "pages")):
        with model.entity(cls) as e:
            e.to_table(table)
            e.property("id").has_type(bigint("id").primary_key())
            title = e.property("title").has_type(text("title")).is_required()
            if cls is Page and page_hint is not None:
                title.renamed_from(page_hint)
            e.has_index(f"ix_{table}_title", ["title"])
    return model


def test_the_tables_of_a_build_share_equal_columns_and_index_keys() -> None:
    posts, pages = sorted(_build(None).build().tables, key=lambda t: t.name, reverse=True)
    assert posts.name == "posts"
    assert posts.columns[1] is pages.columns[1]
    assert posts.indexes[0].elements[0] is pages.indexes[0].elements[0]


def test_a_column_with_a_rename_hint_keeps_it_to_itself() -> None:
    posts, pages = sorted(_build("headline").build().tables, key=lambda t: t.name, reverse=True)
    assert posts.columns[1] == pages.columns[1]  # the hint is not part of equality...
    assert posts.columns[1].renamed_from is None  # ...so it is not shared
    assert pages.columns[1].renamed_from == "headline"


def test_type_builders_share_equal_types_and_modifiers_copy_them() -> None:
    assert integer("n") is integer("n")
    keyed = integer("n").primary_key()
    assert keyed.is_primary_key
    assert not integer("n").is_primary_key

    class Name(str):
        pass

    assert integer(Name("n")) is not integer(Name("n"))
