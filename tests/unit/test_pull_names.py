"""Python names for database identifiers, and column types as type-builder calls."""

from __future__ import annotations

import pytest

from linkgress_async.catalog import Column
from linkgress_async.pulling.code import flat
from linkgress_async.pulling.column_types import column_type
from linkgress_async.pulling.names import (
    MODULE_NAMES,
    Namespace,
    attribute_name,
    class_name,
    is_attribute_name,
)


@pytest.mark.parametrize(
    ("column", "attribute"),
    [
        ("email", "email"),
        ("MiXeD", "MiXeD"),  # a valid attribute name is kept exactly
        ("match", "match"),  # soft keywords are ordinary attribute names
        ("type", "type"),
        ("class", "class_"),
        ("self", "self_"),  # attrs' __init__ takes self
        ("l", "l_"),  # reads like a digit (E741)
        ("_id", "id"),  # attrs strips a leading underscore from the argument
        ("__init__", "init"),
        ("_", "c"),
        ("Zip Code", "zip_code"),
        ("1st place", "c_1st_place"),
        ('it\'s "quoted"', "it_s_quoted"),
        ("\ufb01eld", "field"),  # Python reads identifiers in NFKC form
        ("Ünïcødé 🙂", "ünïcødé"),
        ("🙂", "c"),
    ],
)
def test_attribute_names(column: str, attribute: str) -> None:
    assert attribute_name(column) == attribute
    assert is_attribute_name(attribute)


@pytest.mark.parametrize(
    ("table", "cls"),
    [
        ("film_actor", "FilmActor"),
        ("order", "Order"),
        ("1st", "T1st"),
        ('ta ble "x"', "TaBleX"),
        ("🙂", "Table"),
        ("x" * 63, "X" + "x" * 59),
    ],
)
def test_class_names(table: str, cls: str) -> None:
    assert class_name(table) == cls


def test_a_namespace_never_hands_out_a_taken_or_reserved_name() -> None:
    space = Namespace(MODULE_NAMES, module_level=True)
    assert space.claim("Order") == "Order"
    assert space.claim("Order") == "Order_2"
    assert space.claim("text", "text_enum") == "text_enum"  # imported builder
    assert space.claim("list", "list_enum") == "list_enum"  # builtin
    assert space.claim("match", "match_enum") == "match_enum"  # soft keyword, module level
    assert space.claim("None") == "None_2"
    attributes = Namespace()
    assert attributes.claim("match") == "match"
    assert attributes.claim("O") == "O_2"


@pytest.mark.parametrize(
    ("spelled", "builder", "annotation"),
    [
        ("integer", 'integer("c")', "int"),
        ("bigserial", 'bigserial("c")', "int"),
        ("numeric", 'numeric("c")', "Decimal"),
        ("numeric(10,2)", 'numeric("c", 10, 2)', "Decimal"),
        ("numeric(3,-1)", 'numeric("c", 3, -1)', "Decimal"),
        ("character varying", 'varchar("c")', "str"),
        ("character varying(20)[]", 'varchar("c", 20).array()', "list[str]"),
        ("character(1)", 'char("c", 1)', "str"),
        ("double precision", 'double_precision("c")', "float"),
        ("timestamp(0) without time zone", 'timestamp("c", 0)', "datetime.datetime"),
        ("timestamp with time zone", 'timestamptz("c")', "datetime.datetime"),
        ("time(3) with time zone", 'timetz("c", 3)', "datetime.time"),
        ("interval(2)", 'interval("c", 2)', "datetime.timedelta"),
        ("uuid", 'uuid("c")', "UUID"),
        ("jsonb", 'jsonb("c")', "Any"),
        ("public.mood[]", 'enum_column("c", mood).array()', "list[str]"),
        ("interval year to month", 'custom_type("c", "interval year to month")', "Any"),
        ('"char"', 'custom_type("c", \'"char"\')', "Any"),
        ("public.vector(3)[]", 'custom_type("c", "public.vector(3)").array()', "list[Any]"),
    ],
)
def test_column_types(spelled: str, builder: str, annotation: str) -> None:
    code = column_type(Column("c", spelled), {"public.mood": "mood"})
    assert flat(code.builder) == builder
    assert code.annotation == annotation
