"""Relationships: has_one / has_many become foreign keys, checked against PostgreSQL's rules."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from linkgress_async.catalog import Catalog, Column, ForeignKey, QualifiedName, Table
from linkgress_async.errors import ModelError
from linkgress_async.model import (
    ColumnType,
    DbModelConfig,
    EntityBuilder,
    bigint,
    bigserial,
    build_model,
    char,
    cidr,
    custom_type,
    date,
    double_precision,
    enum_column,
    inet,
    integer,
    numeric,
    real,
    serial,
    smallint,
    sql,
    text,
    timestamp,
    timestamptz,
    uuid,
    varchar,
)


@attrs.define
class Author:
    id: int
    code: str
    region: int


@attrs.define
class Book:
    id: int
    author_id: int
    author_code: str
    author_region: int
    editor_id: int


Configure = Callable[[DbModelConfig, EntityBuilder[Author], EntityBuilder[Book]], object]


def build(
    configure: Configure,
    *,
    author_id: ColumnType | None = None,
    book_author_id: ColumnType | None = None,
    author_pk: bool = True,
) -> Catalog:
    """Authors and books with the relationships ``configure`` declares."""

    def setup(model: DbModelConfig) -> None:
        author = model.entity(Author).to_table("authors")
        id_type = author_id or integer("id")
        author.property("id").has_type(id_type.primary_key() if author_pk else id_type)
        author.property("code").has_type(varchar("code", 10)).is_unique()
        author.property("region").has_type(integer("region"))
        book = model.entity(Book).to_table("books", schema="library")
        book.property("id").has_type(integer("id").primary_key())
        book.property("author_id").has_type(book_author_id or integer("author_id"))
        book.property("author_code").has_type(varchar("author_code", 20))
        book.property("author_region").has_type(integer("author_region"))
        book.property("editor_id").has_type(integer("editor_id"))
        configure(model, author, book)

    return build_model(setup)


def books(catalog: Catalog) -> Table:
    table = catalog.table("library", "books")
    assert table is not None
    return table


AUTHORS = QualifiedName("public", "authors")


def test_has_one_references_the_primary_key_by_default() -> None:
    catalog = build(lambda model, a, b: b.has_one("author", Author).with_foreign_key("author_id"))
    assert books(catalog).foreign_keys == (
        ForeignKey("FK_books_authors", ("author_id",), AUTHORS, ("id",)),
    )
    authors = catalog.table("public", "authors")
    assert authors is not None
    assert authors.foreign_keys == ()


def test_has_many_puts_the_key_on_the_target() -> None:
    catalog = build(
        lambda model, a, b: (
            a.has_many("books", Book)
            .with_foreign_key("author_id")
            .on_delete("CASCADE")
            .on_update("  Set   Null ")
        )
    )
    assert books(catalog).foreign_keys == (
        ForeignKey(
            "FK_books_authors",
            ("author_id",),
            AUTHORS,
            ("id",),
            on_delete="cascade",
            on_update="set null",
        ),
    )


@pytest.mark.parametrize("action", ["cascade", "RESTRICT", "set null", "Set Default", "no action"])
def test_every_action_is_accepted_and_lower_cased(action: str) -> None:
    catalog = build(
        lambda model, a, b: (
            b.has_one("author", Author).with_foreign_key("author_id").on_delete(action)
        )
    )
    assert books(catalog).foreign_keys[0].on_delete == action.lower()


@pytest.mark.parametrize("action", ["delete", "set_null", "", "cascade; drop table x"])
def test_unknown_action_is_a_model_error(action: str) -> None:
    builder = DbModelConfig().entity(Book).has_one("author", Author)
    with pytest.raises(ModelError, match=r"entity Book, relationship has_one\('author', Author\)"):
        builder.on_delete(action)
    with pytest.raises(ModelError, match="on_update"):
        builder.on_update(action)


def test_both_sides_are_one_foreign_key_with_merged_options() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_id").on_delete("cascade")
        a.has_many("books", Book).with_foreign_key(["author_id"]).with_principal_key(
            "id"
        ).on_update("restrict").has_db_name("fk_book_author")

    assert books(build(configure)).foreign_keys == (
        ForeignKey(
            "fk_book_author",
            ("author_id",),
            AUTHORS,
            ("id",),
            on_delete="cascade",
            on_update="restrict",
        ),
    )


def test_inverse_side_without_foreign_key_joins_the_other_side() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        a.has_many("books", Book).on_delete("cascade")
        b.has_one("author", Author).with_foreign_key("author_id")

    assert books(build(configure)).foreign_keys == (
        ForeignKey("FK_books_authors", ("author_id",), AUTHORS, ("id",), on_delete="cascade"),
    )


def test_both_sides_disagreeing_is_a_model_error() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_id").on_delete("cascade")
        a.has_many("books", Book).with_foreign_key("author_id").on_delete("restrict")

    with pytest.raises(ModelError, match=r"disagree on on_delete") as info:
        build(configure)
    assert "entity Book, relationship has_one('author', Author)" in str(info.value)
    assert "entity Author, relationship has_many('books', Book)" in str(info.value)


def test_both_sides_with_different_names_is_a_model_error() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_id").has_db_name("x")
        a.has_many("books", Book).with_foreign_key("author_id").has_db_name("y")

    with pytest.raises(ModelError, match=r"disagree on name \('(x|y)' vs '(x|y)'\)") as info:
        build(configure)
    assert "entity Book" in str(info.value)
    assert "entity Author" in str(info.value)


def test_relationship_without_foreign_key_and_no_other_side() -> None:
    with pytest.raises(
        ModelError, match=r"entity Author.*has_many\('books', Book\).*with_foreign_key.*entity Book"
    ):
        build(lambda model, a, b: a.has_many("books", Book))


def test_ambiguous_inverse_side() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_id").has_db_name("fk_author")
        b.has_one("editor", Author).with_foreign_key("editor_id").has_db_name("fk_editor")
        a.has_many("books", Book)

    with pytest.raises(ModelError, match=r"entity Author.*could be any of 2.*with_foreign_key"):
        build(configure)


def test_two_foreign_keys_with_the_same_default_name() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_id")
        b.has_one("editor", Author).with_foreign_key("editor_id")

    with pytest.raises(ModelError, match=r"'FK_books_authors'.*has_db_name"):
        build(configure)


def test_has_db_name_separates_two_foreign_keys() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_id")
        b.has_one("editor", Author).with_foreign_key("editor_id").has_db_name("FK editor")

    names = [fk.name for fk in books(build(configure)).foreign_keys]
    assert names == ["FK editor", "FK_books_authors"]


def test_foreign_key_name_clashing_with_another_constraint() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_id").has_db_name("books_pkey")

    with pytest.raises(ModelError, match=r"entity Book.*'books_pkey'.*unique within a table"):
        build(configure)


def test_is_required_makes_the_foreign_key_columns_not_null() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key(["author_id"]).is_required()

    columns = {c.name: c.nullable for c in books(build(configure)).columns}
    assert columns["author_id"] is False
    assert columns["editor_id"] is True


def test_composite_keys_match_by_position() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        a.has_unique("uq_author_region", ["region", "id"])
        b.has_one("author", Author).with_foreign_key(
            ["author_id", "author_region"]
        ).with_principal_key(["id", "region"])

    assert books(build(configure)).foreign_keys == (
        ForeignKey("FK_books_authors", ("author_id", "author_region"), AUTHORS, ("id", "region")),
    )


def test_composite_keys_of_different_lengths() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key(
            ["author_id", "author_region"]
        ).with_principal_key("id")

    with pytest.raises(ModelError, match=r"entity Book.*2 columns.*principal key has 1"):
        build(configure)


def test_foreign_key_column_listed_twice() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key(["author_id", "author_id"])

    with pytest.raises(ModelError, match=r"entity Book.*'author_id' is listed twice"):
        build(configure)


def test_principal_key_must_be_unique() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_region").with_principal_key("region")

    with pytest.raises(
        ModelError, match=r"entity Book.*\(region\).*not its primary key.*has_unique"
    ):
        build(configure)


def test_principal_key_may_be_a_unique_constraint() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_code").with_principal_key("code")

    fk = books(build(configure)).foreign_keys[0]
    assert (fk.columns, fk.referenced_columns) == (("author_code",), ("code",))


def test_principal_key_may_be_a_full_unique_index_but_not_a_partial_one() -> None:
    def configure(where: str | None) -> Configure:
        def inner(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
            a.has_index("ux_region", ["region"], unique=True, where=where)
            b.has_one("author", Author).with_foreign_key("author_region").with_principal_key(
                "region"
            )

        return inner

    assert books(build(configure(None))).foreign_keys[0].referenced_columns == ("region",)
    with pytest.raises(ModelError, match="not its primary key or a unique constraint"):
        build(configure("region > 0"))


def test_expression_unique_index_is_not_a_principal_key() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        a.has_index("ux_region", [sql("abs(region)")], unique=True)
        b.has_one("author", Author).with_foreign_key("author_region").with_principal_key("region")

    with pytest.raises(ModelError, match="not its primary key"):
        build(configure)


def test_principal_without_primary_key() -> None:
    with pytest.raises(ModelError, match=r"entity Author.*no primary key.*with_principal_key"):
        build(
            lambda model, a, b: b.has_one("author", Author).with_foreign_key("author_id"),
            author_pk=False,
        )


@pytest.mark.parametrize(
    ("author_id", "book_author_id"),
    [
        (serial("id"), integer("author_id")),
        (bigserial("id"), bigint("author_id")),
        (integer("id"), integer("author_id")),
        (varchar("id", 10), varchar("author_id", 200)),
        (varchar("id"), varchar("author_id", 5)),
        (numeric("id", 10, 0), numeric("author_id")),
        (char("id", 3), char("author_id")),
        # Different types PostgreSQL compares in a foreign key (issue 11: integer -> bigint
        # is legal and common in real schemas).
        (bigint("id"), integer("author_id")),
        (integer("id"), bigint("author_id")),
        (serial("id"), bigint("author_id")),
        (bigserial("id"), smallint("author_id")),
        (numeric("id"), integer("author_id")),
        (double_precision("id"), real("author_id")),
        (varchar("id"), text("author_id")),
        (text("id"), varchar("author_id", 20)),
        (varchar("id"), char("author_id")),
        (text("id"), char("author_id", 3)),
        (timestamptz("id"), date("author_id")),
        (timestamp("id"), timestamptz("author_id")),
        (inet("id"), cidr("author_id")),
        # A type only the server knows (a domain, an extension's type) is the server's call.
        (integer("id"), custom_type("author_id", "public.year")),
        (text("id"), custom_type("author_id", "citext")),
    ],
)
def test_compatible_key_types(author_id: ColumnType, book_author_id: ColumnType) -> None:
    catalog = build(
        lambda model, a, b: b.has_one("author", Author).with_foreign_key("author_id"),
        author_id=author_id,
        book_author_id=book_author_id,
    )
    assert len(books(catalog).foreign_keys) == 1


@pytest.mark.parametrize(
    ("author_id", "book_author_id"),
    [
        (integer("id"), integer("author_id").array()),
        (integer("id").array(), bigint("author_id").array()),
        (integer("id"), numeric("author_id")),
        (integer("id"), text("author_id")),
        (text("id"), integer("author_id")),
        (uuid("id"), text("author_id")),
        (char("id"), custom_type("author_id", "name")),
        (date("id"), timestamp("author_id").array()),
        (custom_type("id", "integer"), custom_type("author_id", "uuid")),
    ],
)
def test_mismatched_key_types(author_id: ColumnType, book_author_id: ColumnType) -> None:
    with pytest.raises(
        ModelError,
        match=r"entity Book.*books\.author_id is .* authors\.id is .*no equality operator",
    ):
        build(
            lambda model, a, b: b.has_one("author", Author).with_foreign_key("author_id"),
            author_id=author_id,
            book_author_id=book_author_id,
        )


@pytest.mark.parametrize(
    ("author_id", "book_author_id"),
    # Pairs the library's table of comparable types lacks: the server has the last word.
    [(integer("id"), numeric("author_id")), (uuid("id"), text("author_id"))],
)
def test_allow_type_mismatch_accepts_keys_of_other_types(
    author_id: ColumnType, book_author_id: ColumnType
) -> None:
    catalog = build(
        lambda model, a, b: (
            b.has_one("author", Author).with_foreign_key("author_id").allow_type_mismatch()
        ),
        author_id=author_id,
        book_author_id=book_author_id,
    )
    [key] = books(catalog).foreign_keys
    assert key.columns == ("author_id",)
    # Declared from the other end only, the key is still checked.
    with pytest.raises(ModelError, match=r"allow_type_mismatch\(\)"):
        build(
            lambda model, a, b: a.has_many("books", Book).with_foreign_key("author_id"),
            author_id=author_id,
            book_author_id=book_author_id,
        )


def test_enum_keys_must_share_the_enum() -> None:
    def setup(same: bool) -> Catalog:
        def configure(
            model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]
        ) -> None:
            first = model.enum("kind", ["x"])
            second = first if same else model.enum("kind", ["x"], schema="other")
            a.property("code").has_type(enum_column("code", first))
            b.property("author_code").has_type(enum_column("author_code", second))
            b.has_one("author", Author).with_foreign_key("author_code").with_principal_key("code")

        return build(configure)

    assert len(books(setup(True)).foreign_keys) == 1
    with pytest.raises(ModelError, match=r"entity Book.*\"other\"\.\"kind\".*\"public\"\.\"kind\""):
        setup(False)


def test_target_must_be_an_entity() -> None:
    @attrs.define
    class Stray:
        id: int

    with pytest.raises(ModelError, match=r"entity Book.*Stray is not configured as an entity"):
        build(lambda model, a, b: b.has_one("stray", Stray).with_foreign_key("author_id"))


def test_target_must_be_a_class() -> None:
    with pytest.raises(ModelError, match=r"entity Book, has_one\('x'\).*entity class"):
        DbModelConfig().entity(Book).has_one("x", "Author")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("foreign_key", "principal_key", "missing"),
    [
        ("writer_id", None, "'writer_id'"),
        ("author_id", "uid", "'uid'"),
    ],
)
def test_keys_naming_missing_properties(
    foreign_key: str, principal_key: str | None, missing: str
) -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        rel = b.has_one("author", Author).with_foreign_key(foreign_key)
        if principal_key is not None:
            rel.with_principal_key(principal_key)

    with pytest.raises(ModelError, match=rf"entity Book.*has no configured property {missing}"):
        build(configure)


def test_keys_may_name_columns() -> None:
    @attrs.define
    class Review:
        id: int
        book: int

    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        with model.entity(Review) as r:
            r.to_table("reviews", schema="library")
            r.property("id").has_type(integer("review_id").primary_key())
            r.property("book").has_type(integer("book_ref"))
            r.has_one("book", Book).with_foreign_key("book_ref")

    table = build(configure).table("library", "reviews")
    assert table is not None
    assert table.foreign_keys == (
        ForeignKey("FK_reviews_books", ("book_ref",), QualifiedName("library", "books"), ("id",)),
    )


def test_self_reference() -> None:
    @attrs.define
    class Node:
        id: int
        parent_id: int | None

    def setup(model: DbModelConfig) -> None:
        with model.entity(Node) as e:
            e.to_table("nodes")
            e.property("id").has_type(bigint("id").primary_key())
            e.property("parent_id").has_type(bigint("parent_id"))
            e.has_one("parent", Node).with_foreign_key("parent_id").on_delete("set null")
            e.has_many("children", Node)

    table = build_model(setup).table("public", "nodes")
    assert table is not None
    assert table.foreign_keys == (
        ForeignKey(
            "FK_nodes_nodes",
            ("parent_id",),
            QualifiedName("public", "nodes"),
            ("id",),
            on_delete="set null",
        ),
    )
    assert table.columns[1] == Column("parent_id", "bigint", nullable=True)


def test_default_foreign_key_name_over_63_bytes() -> None:
    @attrs.define
    class Long:
        id: int

    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        with model.entity(Long) as e:
            e.to_table("l" * 60)
            e.property("id").has_type(integer("id"))
            e.has_one("author", Author).with_foreign_key("id")

    with pytest.raises(ModelError, match=r"entity Long.*foreign key name.*has_db_name"):
        build(configure)


def test_has_db_name_checks_the_identifier() -> None:
    builder = DbModelConfig().entity(Book).has_one("author", Author)
    with pytest.raises(ModelError, match=r"entity Book.*has_db_name.*63"):
        builder.has_db_name("x" * 64)


def test_keys_must_be_names() -> None:
    builder = DbModelConfig().entity(Book).has_one("author", Author)
    with pytest.raises(ModelError, match=r"entity Book.*property name"):
        builder.with_foreign_key([])
    with pytest.raises(ModelError, match=r"entity Book.*property name"):
        builder.with_principal_key([1])  # type: ignore[list-item]


def test_has_one_without_foreign_key_and_no_other_side() -> None:
    with pytest.raises(ModelError, match=r"entity Book.*has_one\('author', Author\).*entity Book"):
        build(lambda model, a, b: b.has_one("author", Author))


def test_principal_key_picks_the_inverse_side() -> None:
    def configure(model: DbModelConfig, a: EntityBuilder[Author], b: EntityBuilder[Book]) -> None:
        b.has_one("author", Author).with_foreign_key("author_id").has_db_name("fk_id")
        b.has_one("author_by_code", Author).with_foreign_key("author_code").with_principal_key(
            "code"
        )
        a.has_many("books_by_code", Book).with_principal_key("code").on_delete("cascade")

    by_name = {fk.name: fk for fk in books(build(configure)).foreign_keys}
    assert by_name["fk_id"].on_delete == "no action"
    assert by_name["FK_books_authors"].on_delete == "cascade"
