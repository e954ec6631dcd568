"""Keys, constraints and indexes in a pulled module, from catalogs built by hand: every option
is declared (nothing noted), and the declaration builds back to exactly the catalog value
introspection reads. Also the foreign-key options the relationship builder learnt for it."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import attrs
import pytest

from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    ExclusionConstraint,
    ForeignKey,
    Index,
    IndexElement,
    PrimaryKey,
    QualifiedName,
    Table,
    UniqueConstraint,
)
from linkgress_async.errors import ModelError
from linkgress_async.model import DbModelConfig, build_model, integer
from linkgress_async.pulling import render_module
from linkgress_async.pulling.code import Kw, ListOf, Str, call, statement
from linkgress_async.pulling.emit.keys import storage_options
from linkgress_async.pulling.reparse import stable_sql
from tests.integration.fidelity import context_class, import_module
from tests.ruff_clean import ruff_problems

ROOMS = QualifiedName("public", "rooms")
BOOKINGS = QualifiedName("public", "bookings")


def _rooms() -> Table:
    return Table(
        "public",
        "rooms",
        columns=(
            Column("id", "integer", False),
            Column("site", "integer", False),
            Column("Display Name", "text"),
            Column("during", "tstzrange"),
        ),
        primary_key=PrimaryKey(
            "rooms_pkey",
            ("id",),
            include=("site",),
            deferrable=True,
            initially_deferred=True,
            options=("fillfactor=90", "deduplicate_items=off"),
        ),
        uniques=(
            UniqueConstraint(
                "rooms_id_site_key",
                ("id", "site"),
                include=("Display Name",),
                nulls_not_distinct=True,
                deferrable=True,
                options=("fillfactor=70",),
            ),
            UniqueConstraint("rooms_site_during_key", ("site", "during"), without_overlaps=True),
        ),
        checks=(
            CheckConstraint("rooms_site_check", "(site > 0)", not_valid=True, no_inherit=True),
            CheckConstraint("rooms_id_check", "(id < 1000)", enforced=False),
        ),
        exclusions=(
            ExclusionConstraint(
                "rooms_no_overlap",
                "EXCLUDE USING gist (site WITH =, during WITH &&) WHERE ((id > 0))",
                deferrable=True,
                initially_deferred=True,
            ),
        ),
        indexes=(
            Index(
                "rooms_name",
                (
                    IndexElement(
                        column="Display Name", collation='"C"', opclass="text_pattern_ops"
                    ),
                    IndexElement(column="site", descending=True, nulls_first=False),
                    IndexElement(expression='lower("Display Name")', nulls_first=True),
                ),
                nulls_not_distinct=True,
                unique=True,
                options=("fillfactor=80",),
            ),
            Index(
                "rooms_trgm",
                (
                    IndexElement(
                        column="Display Name",
                        opclass="public.gist_trgm_ops",
                        opclass_options=("siglen=32",),
                    ),
                ),
                method="gist",
                options=("buffering=auto",),
            ),
        ),
    )


def _bookings() -> Table:
    return Table(
        "public",
        "bookings",
        columns=(
            Column("id", "integer", False),
            Column("room_id", "integer"),
            Column("site", "integer"),
            Column("during", "tstzrange"),
        ),
        primary_key=PrimaryKey("bookings_pkey", ("id",)),
        foreign_keys=(
            ForeignKey(
                "bookings_pair_fkey",
                ("room_id", "site"),
                ROOMS,
                ("id", "site"),
                on_delete="set null",
                on_update="cascade",
                match="full",
                deferrable=True,
                initially_deferred=True,
                delete_set_columns=("site",),
            ),
            ForeignKey("bookings_room_fkey", ("room_id",), ROOMS, ("id",), not_valid=True),
            ForeignKey("bookings_loose_fkey", ("id",), ROOMS, ("id",), enforced=False),
            ForeignKey(
                "bookings_when_fkey",
                ("site", "during"),
                ROOMS,
                ("site", "during"),
                period=True,
                deferrable=True,
            ),
        ),
    )


CATALOG = Catalog(schemas=("public",), tables=(_bookings(), _rooms()))


def _built(tmp_path: Path, catalog: Catalog) -> tuple[str, Catalog]:
    pulled = render_module(catalog)
    assert pulled.undeclared == (), pulled.undeclared
    module: ModuleType = import_module(pulled.source, tmp_path, "keys_model")
    db = context_class(module)
    # setup_model without a client: the model alone, as the context builds it.
    return pulled.source, build_model(lambda model: db.setup_model(object.__new__(db), model))


def test_every_key_option_is_declared_and_builds_back_to_the_catalog(tmp_path: Path) -> None:
    source, built = _built(tmp_path, CATALOG)
    assert ruff_problems(source, tmp_path) == ""
    for name in ("rooms", "bookings"):
        mine, theirs = built.table("public", name), CATALOG.table("public", name)
        assert mine is not None
        assert theirs is not None
        assert mine.primary_key == theirs.primary_key
        assert mine.uniques == theirs.uniques
        assert mine.checks == theirs.checks
        assert mine.exclusions == theirs.exclusions
        assert mine.indexes == theirs.indexes
        assert sorted(mine.foreign_keys, key=lambda k: k.name) == sorted(
            theirs.foreign_keys, key=lambda k: k.name
        )
        # Storage parameters keep the server's order (pg_dump prints them so).
        if mine.primary_key is not None and name == "rooms":
            assert mine.primary_key.options == ("fillfactor=90", "deduplicate_items=off")


def test_the_declarations_read_as_the_builder_documents_them(tmp_path: Path) -> None:
    source = render_module(CATALOG).source
    assert (
        'e.has_index( "rooms_trgm", [ index_key( "display_name", '
        'opclass="public.gist_trgm_ops", opclass_options={"siglen": 32}, ), ], '
        'method="gist", options={"buffering": "auto"}, )'
    ) in " ".join(line.strip() for line in source.splitlines())
    assert '.on_delete("set null", columns="site")' in source
    assert '.with_match("full")' in source
    assert ".is_deferrable(initially_deferred=True)" in source
    assert ".is_not_valid()" in source
    assert ".is_enforced(False)" in source
    assert ".with_period()" in source
    assert "from linkgress_async import" in source
    assert "index_key" in source.split("class ", 1)[0]  # imported


def test_storage_options_are_written_as_the_builder_takes_them() -> None:
    written = storage_options(("fillfactor=70", "fastupdate=off", "x.y=-1"))
    assert written is not None
    assert statement(written, "") == ['{"fillfactor": 70, "fastupdate": "off", "x.y": -1}']
    # What storage_parameters() would not take back is left to a note.
    assert storage_options(("list=a,b",)) is None
    assert storage_options(("odd",)) is None
    assert storage_options(("Upper=1",)) is None


def test_an_option_the_builder_cannot_take_is_noted() -> None:
    index = Index("ix", (IndexElement(column="id"),), options=("weird=a,b",))
    table = attrs.evolve(_rooms(), indexes=(index,))
    pulled = render_module(Catalog(schemas=("public",), tables=(table,)))
    assert [item.kind for item in pulled.undeclared] == ["index options"]
    assert "OPTIONS (weird=a,b) of index ix\n            # on public.rooms" in pulled.source


@attrs.define
class Room:
    id: int
    site: int


@attrs.define
class Booking:
    id: int
    room_id: int
    site: int


def _model(configure: object) -> Catalog:
    def setup(model: DbModelConfig) -> None:
        room = model.entity(Room).to_table("rooms")
        room.property("id").has_type(integer("id").primary_key())
        room.property("site").has_type(integer("site"))
        room.has_unique(None, ["id", "site"])
        booking = model.entity(Booking).to_table("bookings")
        booking.property("id").has_type(integer("id").primary_key())
        booking.property("room_id").has_type(integer("room_id"))
        booking.property("site").has_type(integer("site"))
        assert callable(configure)
        configure(model)

    return build_model(setup)


def _key(catalog: Catalog) -> ForeignKey:
    table = catalog.table("public", "bookings")
    assert table is not None
    [key] = table.foreign_keys
    return key


def test_relationship_options_build_the_foreign_key_introspection_reads() -> None:
    def both_ends(model: DbModelConfig) -> None:
        (
            model.entity(Booking)
            .has_one("room", Room)
            .with_foreign_key(["room_id", "site"])
            .with_principal_key(["id", "site"])
            .on_delete("SET NULL", columns=["site"])
            .with_match(" FULL ")
            .is_deferrable(initially_deferred=True)
        )
        model.entity(Room).has_many("bookings", Booking).with_foreign_key(
            ["room_id", "site"]
        ).with_principal_key(["id", "site"]).with_match("full")

    key = _key(_model(both_ends))
    assert (key.on_delete, key.delete_set_columns, key.match) == ("set null", ("site",), "full")
    assert (key.deferrable, key.initially_deferred) == (True, True)

    def unenforced(model: DbModelConfig) -> None:
        relationship = model.entity(Booking).has_one("room", Room).with_foreign_key("room_id")
        relationship.is_not_valid().is_enforced(False).with_period(False)

    key = _key(_model(unenforced))
    # The server never validates a key it does not enforce; it reads back without NOT VALID.
    assert (key.enforced, key.not_valid, key.period) == (False, False, False)


@pytest.mark.parametrize(
    ("configure", "message"),
    [
        (
            lambda r: r.on_delete("cascade", columns="site"),
            "columns apply only to 'set null' or 'set default', not 'cascade'",
        ),
        (
            lambda r: r.on_delete("set null", columns="id"),
            "'id' is not a column of the foreign key",
        ),
        (lambda r: r.with_match("partial"), "does not implement MATCH PARTIAL"),
        (lambda r: r.is_deferrable(False, initially_deferred=True), "needs deferrable=True"),
        (lambda r: r.is_enforced("no"), "expected True or False"),
    ],
)
def test_bad_foreign_key_options_name_the_relationship_and_the_fix(
    configure: object, message: str
) -> None:
    def setup(model: DbModelConfig) -> None:
        relationship = model.entity(Booking).has_one("room", Room).with_foreign_key("room_id")
        assert callable(configure)
        configure(relationship)

    with pytest.raises(ModelError, match="entity Booking, relationship has_one") as error:
        _model(setup)
    assert message in str(error.value)


def test_the_two_ends_must_agree_on_foreign_key_options() -> None:
    def setup(model: DbModelConfig) -> None:
        model.entity(Booking).has_one("room", Room).with_foreign_key("room_id").with_match("full")
        model.entity(Room).has_many("bookings", Booking).with_foreign_key("room_id").with_match(
            "simple"
        )

    with pytest.raises(ModelError, match="disagree on match"):
        _model(setup)


@pytest.mark.parametrize(
    ("printed", "written"),
    [
        (
            "((status)::text = ANY ((ARRAY['new'::character varying, 'a,b'::character varying])"
            "::text[]))",
            "((status)::text = ANY (((ARRAY['new'::character varying, 'a,b'::character varying])"
            "::character varying[])::text[]))",
        ),
        (
            'x = ANY ((ARRAY[\'it\'\'s\'::"Odd"."T"])::"Odd"."U"[])',
            'x = ANY (((ARRAY[\'it\'\'s\'::"Odd"."T"])::"Odd"."T"[])::"Odd"."U"[])',
        ),
        (
            "status::text = ANY (ARRAY['a'::character varying]::text[])",
            "status::text = ANY ((ARRAY['a'::character varying]::character varying[])::text[])",
        ),
        ("f(ARRAY['a'::character varying])::text[]", "f(ARRAY['a'::character varying])::text[]"),
        # Left alone: no array cast, elements of no one type, a cast to their own type, text.
        ("(ARRAY[1, 2])::bigint[]", "(ARRAY[1, 2])::bigint[]"),
        ("(ARRAY[1::integer, 2::bigint])::text[]", "(ARRAY[1::integer, 2::bigint])::text[]"),
        ("(ARRAY['a'::text])::text[]", "(ARRAY['a'::text])::text[]"),
        ("c = '(ARRAY[''a''::text])::name[]'", "c = '(ARRAY[''a''::text])::name[]'"),
    ],
)
def test_array_casts_are_written_to_parse_back_the_same(printed: str, written: str) -> None:
    assert stable_sql(printed) == written


def test_two_foreign_keys_over_the_same_columns_are_two_when_one_end_names_both() -> None:
    def setup(model: DbModelConfig) -> None:
        booking = model.entity(Booking)
        booking.has_one("room", Room).with_foreign_key("room_id").has_db_name("fk_a")
        booking.has_one("again", Room).with_foreign_key("room_id").has_db_name("fk_b")
        booking.has_one("same", Room).with_foreign_key("room_id").has_db_name("fk_a")

    table = _model(setup).table("public", "bookings")
    assert table is not None
    assert sorted(key.name for key in table.foreign_keys) == ["fk_a", "fk_b"]


def test_a_long_dict_argument_is_laid_out_as_the_formatter_leaves_it(tmp_path: Path) -> None:
    options = storage_options(tuple(f"parameter_number_{n}={n}" for n in range(6)))
    assert options is not None
    expr = call("e.has_index", Str("ix_" + "x" * 60), ListOf((Str("id"),)), Kw("options", options))
    lines = statement(expr, " " * 12)
    assert lines[3:5] == [
        "                options={",
        '                    "parameter_number_0": 0,',
    ]
    body = ["def f(e: object) -> None:", "    for _ in range(1):", "        if e:"]
    assert ruff_problems("\n".join([*body, *lines]) + "\n", tmp_path) == "", "\n".join(lines)
