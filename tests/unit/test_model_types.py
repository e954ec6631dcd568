"""Type builders, their format_type spellings, identity columns and sequence defaults."""

from __future__ import annotations

import attrs
import pytest

from linkgress_async import model as m
from linkgress_async.catalog import Column, Identity, Sequence, SequenceOptions
from linkgress_async.errors import ModelError
from linkgress_async.model import (
    ColumnType,
    DbModelConfig,
    build_model,
    complete_sequence_options,
)


@attrs.define
class Thing:
    id: int
    value: object = None


def column_of(column_type: ColumnType, *, default: object = ..., required: bool = False) -> Column:
    """Build a one-column table (plus an id) and return the column."""

    def setup(model: DbModelConfig) -> None:
        with model.entity(Thing) as e:
            e.to_table("things")
            e.property("id").has_type(m.integer("id"))
            p = e.property("value").has_type(column_type)
            if default is not ...:
                p.has_default_value(default)
            if required:
                p.is_required()

    table = build_model(setup).table("public", "things")
    assert table is not None
    column = table.column(column_type.name)
    assert column is not None
    return column


@pytest.mark.parametrize(
    ("column_type", "spelling"),
    [
        (m.smallint("c"), "smallint"),
        (m.integer("c"), "integer"),
        (m.bigint("c"), "bigint"),
        (m.numeric("c"), "numeric"),
        (m.numeric("c", 10), "numeric(10,0)"),
        (m.numeric("c", 10, 2), "numeric(10,2)"),
        (m.numeric("c", 5, -2), "numeric(5,-2)"),
        (m.decimal("c"), "numeric"),
        (m.decimal("c", 12, 4), "numeric(12,4)"),
        (m.real("c"), "real"),
        (m.double_precision("c"), "double precision"),
        (m.varchar("c"), "character varying"),
        (m.varchar("c", 100), "character varying(100)"),
        (m.char("c"), "character(1)"),
        (m.char("c", 3), "character(3)"),
        (m.text("c"), "text"),
        (m.boolean("c"), "boolean"),
        (m.date("c"), "date"),
        (m.time("c"), "time without time zone"),
        (m.time("c", 3), "time(3) without time zone"),
        (m.timetz("c"), "time with time zone"),
        (m.timestamp("c"), "timestamp without time zone"),
        (m.timestamp("c", 0), "timestamp(0) without time zone"),
        (m.timestamptz("c"), "timestamp with time zone"),
        (m.timestamptz("c", 6), "timestamp(6) with time zone"),
        (m.interval("c"), "interval"),
        (m.interval("c", 2), "interval(2)"),
        (m.uuid("c"), "uuid"),
        (m.json("c"), "json"),
        (m.jsonb("c"), "jsonb"),
        (m.bytea("c"), "bytea"),
        (m.inet("c"), "inet"),
        (m.cidr("c"), "cidr"),
        (m.custom_type("c", "citext"), "citext"),
        (m.custom_type("c", "vector(3)"), "vector(3)"),
        (m.serial("c"), "serial"),
        (m.bigserial("c"), "bigserial"),
        (m.smallserial("c"), "smallserial"),
    ],
)
def test_data_type_is_format_type_spelling(column_type: ColumnType, spelling: str) -> None:
    assert column_type.name == "c"
    assert column_type.data_type == spelling
    assert column_of(column_type).data_type == spelling


@pytest.mark.parametrize(
    ("column_type", "spelling"),
    [
        (m.varchar("c", 100).array(), "character varying(100)[]"),
        (m.integer("c").array(), "integer[]"),
        (m.text("c").array().array(), "text[]"),
        (m.timestamptz("c").array(), "timestamp with time zone[]"),
        (m.custom_type("c", "citext").array(), "citext[]"),
    ],
)
def test_array_appends_brackets(column_type: ColumnType, spelling: str) -> None:
    assert column_of(column_type).data_type == spelling


def test_modifiers_return_new_values_and_leave_the_template_alone() -> None:
    template = m.integer("id")
    keyed = template.primary_key()
    assert keyed is not template
    assert not template.is_primary_key
    assert keyed.is_primary_key
    assert template.array().is_array
    assert not template.is_array


def test_modifiers_keep_every_other_field() -> None:
    # The modifiers copy the fields by hand (faster than attrs.evolve): a field added to
    # ColumnType and forgotten there would be dropped.
    handle = m.pg_enum("public", "mood", ("ok",))
    full = attrs.evolve(
        m.enum_column("c", handle),
        is_array=True,
        is_primary_key=True,
        identity=m.IdentitySpec(True, "s"),
        collation="C",
        generated=m.GeneratedSpec("1"),
    )
    assert {f.name for f in attrs.fields(ColumnType)} == set(attrs.asdict(full, recurse=False))
    assert all(getattr(full, f.name) != f.default for f in attrs.fields(ColumnType))
    assert full.array() == full
    assert full.primary_key() == full
    assert full.collate(" C ") == full
    assert full.generated_always_as("1") == full
    assert full.generated_always_as_identity("s") == full
    assert full.generated_by_default_as_identity() == attrs.evolve(
        full, identity=m.IdentitySpec(False)
    )


def test_serial_columns_are_not_null_without_default() -> None:
    column = column_of(m.serial("value"))
    assert column == Column("value", "serial", nullable=False, default=None, identity=None)


def test_array_of_serial_is_a_model_error() -> None:
    with pytest.raises(ModelError, match=r"Thing.*'value'.*array"):
        column_of(m.bigserial("value").array())


def test_serial_cannot_have_a_default() -> None:
    with pytest.raises(ModelError, match=r"Thing.*'value'.*default"):
        column_of(m.serial("value"), default=5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: m.varchar("c", 0),
        lambda: m.varchar("c", -1),
        lambda: m.varchar("c", 10485761),
        lambda: m.char("c", 0),
        lambda: m.numeric("c", 0),
        lambda: m.numeric("c", 1001),
        lambda: m.numeric("c", 10, 1001),
        lambda: m.numeric("c", None, 2),
        lambda: m.timestamp("c", 7),
        lambda: m.time("c", -1),
        lambda: m.varchar("c", True),
        lambda: m.custom_type("c", ""),
        lambda: m.custom_type("c", "  "),
        lambda: m.integer(42),  # type: ignore[arg-type]
        lambda: m.enum_column("c", "post_status"),  # type: ignore[arg-type]
    ],
)
def test_bad_builder_arguments_are_model_errors(make: object) -> None:
    assert callable(make)
    with pytest.raises(ModelError):
        make()


def test_bad_builder_argument_names_the_column() -> None:
    with pytest.raises(ModelError, match=r"'nickname'.*varchar length"):
        m.varchar("nickname", 0)


def test_enum_column_is_the_qualified_enum_name() -> None:
    model = DbModelConfig()
    status = model.enum("post status", ["a", "b"], schema="my schema")
    assert isinstance(status, m.pg_enum)
    assert m.enum_column("s", status).data_type == '"my schema"."post status"'
    assert m.enum_column("s", status).array().data_type == '"my schema"."post status"[]'


# -- identity -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column_type", "maximum"),
    [
        (m.smallint("value"), 32767),
        (m.integer("value"), 2147483647),
        (m.bigint("value"), 9223372036854775807),
    ],
)
def test_identity_fills_postgres_defaults(column_type: ColumnType, maximum: int) -> None:
    column = column_of(column_type.generated_always_as_identity())
    assert column.nullable is False
    assert column.default is None
    assert column.identity == Identity(
        always=True,
        options=SequenceOptions(
            start_with=1, increment_by=1, min_value=1, max_value=maximum, cache=1, cycle=False
        ),
        sequence_name=None,
    )


def test_identity_by_default_with_descending_options() -> None:
    column = column_of(m.integer("value").generated_by_default_as_identity(increment_by=-2))
    assert column.identity == Identity(
        always=False,
        options=SequenceOptions(
            start_with=-1, increment_by=-2, min_value=-2147483648, max_value=-1, cache=1
        ),
    )


def test_identity_with_every_option_and_a_sequence_name() -> None:
    column = column_of(
        m.bigint("value").generated_always_as_identity(
            "thing_ids",
            start_with=100,
            increment_by=10,
            min_value=50,
            max_value=1000,
            cache=20,
            cycle=True,
        )
    )
    assert column.identity == Identity(
        True, SequenceOptions(100, 10, 50, 1000, 20, True), "thing_ids"
    )


def test_identity_named_like_postgres_default_is_stored_as_none() -> None:
    column = column_of(m.integer("value").generated_always_as_identity("things_value_seq"))
    assert column.identity is not None
    assert column.identity.sequence_name is None


@pytest.mark.parametrize(
    "column_type",
    [
        m.text("value").generated_always_as_identity(),
        m.numeric("value").generated_always_as_identity(),
        m.serial("value").generated_always_as_identity(),
        m.integer("value").array().generated_by_default_as_identity(),
        m.custom_type("value", "int8").generated_always_as_identity(),
    ],
)
def test_identity_on_other_types_is_a_model_error(column_type: ColumnType) -> None:
    with pytest.raises(ModelError, match=r"Thing.*'value'.*identity.*smallint, integer or bigint"):
        column_of(column_type)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"increment_by": 0}, "increment_by must not be zero"),
        ({"start_with": 0}, "start_with"),
        ({"min_value": 10, "max_value": 5}, "less than max_value"),
        ({"min_value": 5, "max_value": 5}, "less than max_value"),
        ({"cache": 0}, "cache"),
        ({"max_value": 40000}, "out of range"),
        ({"start_with": True}, "must be an integer"),
    ],
)
def test_bad_identity_options_are_model_errors(options: dict[str, int], problem: str) -> None:
    with pytest.raises(ModelError, match=rf"Thing.*'value'.*{problem}"):
        column_of(m.smallint("value").generated_always_as_identity(**options))  # type: ignore[arg-type]


def test_identity_cannot_have_a_default() -> None:
    with pytest.raises(ModelError, match=r"Thing.*'value'.*identity.*default"):
        column_of(m.integer("value").generated_always_as_identity(), default=1)


def test_identity_default_sequence_name_over_63_bytes_asks_for_a_name() -> None:
    long_column = "c" * 55  # things_ + 55 + _seq = 66 bytes
    with pytest.raises(ModelError, match=r"Thing.*name=") as info:
        column_of(m.integer(long_column).generated_always_as_identity())
    assert "63" in str(info.value)


# -- sequences --------------------------------------------------------------------------------


def test_complete_sequence_options_defaults() -> None:
    assert complete_sequence_options("bigint") == SequenceOptions(1, 1, 1, 2**63 - 1, 1, False)
    assert complete_sequence_options("integer", increment_by=-1) == SequenceOptions(
        -1, -1, -(2**31), -1, 1, False
    )
    assert complete_sequence_options("smallint", min_value=10) == SequenceOptions(
        10, 1, 10, 32767, 1, False
    )
    assert complete_sequence_options("int8", increment_by=-1, max_value=-10) == SequenceOptions(
        -10, -1, -(2**63), -10, 1, False
    )


def test_complete_sequence_options_rejects_other_types() -> None:
    with pytest.raises(ModelError, match="smallint, integer or bigint"):
        complete_sequence_options("numeric")


def test_model_sequence_uses_the_defaults() -> None:
    def setup(model: DbModelConfig) -> None:
        model.sequence("order_numbers", schema="sales", start_with=1000)
        model.sequence("small", data_type="smallint", increment_by=-1)

    catalog = build_model(setup)
    assert catalog.sequences == (
        Sequence("public", "small", SequenceOptions(-1, -1, -32768, -1, 1, False), "smallint"),
        Sequence("sales", "order_numbers", SequenceOptions(1000, 1, 1, 2**63 - 1, 1, False)),
    )
    assert catalog.schemas == ("public", "sales")


def test_bad_model_sequence_names_the_sequence() -> None:
    model = DbModelConfig()
    with pytest.raises(ModelError, match=r"sequence public\.s: .*cache"):
        model.sequence("s", cache=0)
    with pytest.raises(ModelError, match=r"sequence public\.t: .*smallint, integer or bigint"):
        model.sequence("t", data_type="text")
