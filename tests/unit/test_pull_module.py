"""The pulled module, from catalogs built by hand: what it declares, and that nothing the
model builder cannot declare is dropped silently."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    CompositeType,
    Enum,
    ExtendedStatistics,
    ForeignKey,
    Function,
    Index,
    IndexElement,
    PrimaryKey,
    QualifiedName,
    Sequence,
    SequenceOptions,
    Table,
    UniqueConstraint,
    View,
)
from linkgress_async.errors import PullError
from linkgress_async.pulling import render_module
from tests.ruff_clean import ruff_problems

ACTOR = QualifiedName("public", "actor")

# For every value kind: the fields the model builder declares, and for each other field a
# value that is not PostgreSQL's default. A field added to the catalog later must get a
# sample here (test_every_field_has_a_sample), and is then checked to be noted, not lost.
DECLARED: dict[type, tuple[str, ...]] = {
    Table: (
        *("schema", "name", "columns", "primary_key", "uniques", "checks", "foreign_keys"),
        "indexes",
        *("triggers", "policies", "rls_enabled", "rls_forced"),
        *("unlogged", "options", "partition_by", "partition_of", "partition_bound", "inherits"),
        "exclusions",
    ),
    Column: (
        *("name", "data_type", "nullable", "default", "identity"),
        *("collation", "generated", "not_null_name"),
    ),
    PrimaryKey: (
        *("name", "columns", "include", "deferrable", "initially_deferred"),
        *("without_overlaps", "options"),
    ),
    UniqueConstraint: (
        *("name", "columns", "include", "nulls_not_distinct", "deferrable"),
        *("initially_deferred", "without_overlaps", "options"),
    ),
    CheckConstraint: ("name", "expression", "not_valid", "no_inherit", "enforced"),
    ForeignKey: (
        *("name", "columns", "referenced_table", "referenced_columns"),
        *("on_delete", "on_update", "match", "deferrable", "initially_deferred", "not_valid"),
        *("enforced", "period", "delete_set_columns"),
    ),
    Index: (
        *("name", "elements", "unique", "method", "where", "include", "nulls_not_distinct"),
        "options",
    ),
    IndexElement: (
        *("column", "expression", "collation", "opclass", "opclass_options", "descending"),
        "nulls_first",
    ),
    Sequence: ("schema", "name", "options", "data_type", "owned_by"),
    View: ("schema", "name", "definition", "triggers", "options"),
    Catalog: (
        *("schemas", "enums", "sequences", "tables", "views", "functions"),
        *("comments", "grants", "owners"),
        *("extensions", "domains", "composite_types", "materialized_views", "aggregates"),
        "database_settings",
    ),
}
SAMPLES: dict[type, dict[str, Any]] = {
    Table: {},
    Column: {},
    PrimaryKey: {},
    UniqueConstraint: {},
    CheckConstraint: {},
    ForeignKey: {},
    Index: {"valid": False},
    IndexElement: {},
    Sequence: {},
    View: {},
    Catalog: {
        # Statistics objects are noted, not declared, by pull.
        "statistics": (ExtendedStatistics("public", "stx_actor", ACTOR, ("id", "name")),),
    },
}


def _beyond_fields(cls: type) -> set[str]:
    return {f.name for f in attrs.fields(cls) if f.eq} - set(DECLARED[cls])


def test_every_field_has_a_sample() -> None:
    for cls in DECLARED:
        assert _beyond_fields(cls) == set(SAMPLES[cls]), cls.__name__


def _actor(**changes: Any) -> Table:
    table = Table(
        "public",
        "actor",
        columns=(Column("id", "integer", False), Column("name", "text")),
        primary_key=PrimaryKey("actor_pkey", ("id",)),
    )
    return attrs.evolve(table, **changes)


def _cases() -> list[tuple[str, str, Catalog]]:
    cases: list[tuple[str, str, Catalog]] = []
    for cls, samples in SAMPLES.items():
        for field, value in samples.items():
            label = f"{cls.__name__}.{field}"
            if cls is Table:
                table = _actor(**{field: value})
                catalog = Catalog(schemas=("public",), tables=(table,))
            elif cls is Column:
                column = attrs.evolve(Column("name", "text"), **{field: value})
                table = attrs.evolve(_actor(), columns=(Column("id", "integer", False), column))
                catalog = Catalog(schemas=("public",), tables=(table,))
            elif cls is PrimaryKey:
                key = attrs.evolve(PrimaryKey("actor_pkey", ("id",)), **{field: value})
                catalog = Catalog(schemas=("public",), tables=(_actor(primary_key=key),))
            elif cls is UniqueConstraint:
                unique = attrs.evolve(UniqueConstraint("uq", ("id",)), **{field: value})
                catalog = Catalog(schemas=("public",), tables=(_actor(uniques=(unique,)),))
            elif cls is CheckConstraint:
                check = attrs.evolve(CheckConstraint("ck", "(id > 0)"), **{field: value})
                catalog = Catalog(schemas=("public",), tables=(_actor(checks=(check,)),))
            elif cls is ForeignKey:
                key = ForeignKey("fk", ("id",), ACTOR, ("id",))
                key = attrs.evolve(key, **{field: value})
                catalog = Catalog(schemas=("public",), tables=(_actor(foreign_keys=(key,)),))
            elif cls is Index:
                index = attrs.evolve(Index("ix", (IndexElement("name"),)), **{field: value})
                catalog = Catalog(schemas=("public",), tables=(_actor(indexes=(index,)),))
            elif cls is IndexElement:
                element = attrs.evolve(IndexElement("name"), **{field: value})
                index = Index("ix", (element,))
                catalog = Catalog(schemas=("public",), tables=(_actor(indexes=(index,)),))
            elif cls is Sequence:
                options = SequenceOptions(1, 1, 1, 2**63 - 1)
                sequence = attrs.evolve(Sequence("public", "s", options), **{field: value})
                catalog = Catalog(schemas=("public",), tables=(_actor(),), sequences=(sequence,))
            elif cls is View:
                view = attrs.evolve(View("public", "v", "SELECT 1"), **{field: value})
                catalog = Catalog(schemas=("public",), tables=(_actor(),), views=(view,))
            else:
                catalog = attrs.evolve(Catalog(schemas=("public",)), **{field: value})
            cases.append((label, field, catalog))
    # What no field sample covers: values the builder has no declaration for.
    empty_type = CompositeType("public", "pair")
    cases.append(
        (
            "composite type without attributes",
            "composite_types",
            Catalog(schemas=("public",), composite_types=(empty_type,)),
        )
    )
    forced = _actor(rls_forced=True)
    cases.append(
        ("FORCE without ENABLE", "rls_forced", Catalog(schemas=("public",), tables=(forced,)))
    )
    return cases


CASES = _cases()


@pytest.mark.parametrize(("label", "field", "catalog"), CASES, ids=[c[0] for c in CASES])
def test_what_the_builder_cannot_declare_is_noted_never_dropped(
    label: str, field: str, catalog: Catalog
) -> None:
    pulled = render_module(catalog)
    assert pulled.undeclared, label
    for item in pulled.undeclared:
        assert f"# not declared ({item.reason}):" in pulled.source
    compile(pulled.source, label, "exec")


def test_a_module_with_every_kind_noted_is_ruff_clean(tmp_path: Path) -> None:
    key = ForeignKey("fk", ("id",), ACTOR, ("id",), deferrable=True, period=True)
    index = Index("ix", (IndexElement("name", opclass="text_pattern_ops", descending=True),))
    table = _actor(**SAMPLES[Table], foreign_keys=(key,), indexes=(index,))
    table = attrs.evolve(table, partition_by="RANGE (id)")
    partition = Table(
        "public", "actor_1", partition_of=ACTOR, partition_bound="FOR VALUES FROM (1) TO (9)"
    )
    catalog = attrs.evolve(
        Catalog(schemas=("public",), tables=(table, partition)),
        **SAMPLES[Catalog],
        functions=(Function("public", "archive", "integer", kind="procedure"),),
    )
    pulled = render_module(catalog)
    assert ruff_problems(pulled.source, tmp_path) == ""
    kinds = pulled.undeclared_by_kind
    assert "partition" not in kinds
    assert "procedure" not in kinds
    assert 'model.procedure("archive", "", schema="public")' in pulled.source
    assert 'e.is_partition_of(Actor, "FOR VALUES FROM (1) TO (9)")' in pulled.source


def test_a_foreign_key_to_a_table_not_pulled_is_noted_with_the_reason() -> None:
    other = Table("public", "other", columns=(Column("id", "bigint", False),))
    other = attrs.evolve(other, primary_key=PrimaryKey("other_pkey", ("id",)))
    keys = (
        ForeignKey("to_elsewhere", ("id",), QualifiedName("elsewhere", "t"), ("id",)),
        ForeignKey("to_bigint", ("id",), QualifiedName("public", "other"), ("id",)),
    )
    pulled = render_module(Catalog(schemas=("public",), tables=(_actor(foreign_keys=keys), other)))
    [noted] = pulled.undeclared
    assert noted.reason == "it references elsewhere.t, which is not pulled"
    assert noted.description == "foreign key to_elsewhere on public.actor"
    # integer referencing bigint: PostgreSQL compares them, and so the model is told.
    assert '.allow_type_mismatch()\n                .has_db_name("to_bigint")' in pulled.source


def test_the_module_imports_only_linkgress_async_attrs_and_the_standard_library() -> None:
    table = Table(
        "public",
        "t",
        columns=(
            Column("a", "numeric(4,2)", default="4.99"),
            Column("b", "timestamp with time zone"),
            Column("c", "uuid"),
            Column("d", "jsonb"),
            Column("e", "public.mood"),
            Column("f", "time without time zone"),
        ),
    )
    catalog = Catalog(schemas=("public",), tables=(table,), enums=(Enum("public", "mood", ("a",)),))
    pulled = render_module(catalog, class_name="Shop")
    modules = set()
    for node in ast.walk(ast.parse(pulled.source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    assert modules - {"attrs", "linkgress_async"} <= sys.stdlib_module_names
    assert "class Shop(DbContext):" in pulled.source
    assert 'has_default_value(Decimal("4.99"))' in pulled.source
    assert 'enum_column("e", mood)' in pulled.source
    assert "    f: datetime.time | None" in pulled.source


def test_an_empty_catalog_is_a_valid_module() -> None:
    source = render_module(Catalog()).source
    compile(source, "empty", "exec")
    assert "        pass" in source
    assert "import attrs" not in source


def test_an_unusable_class_name_is_refused() -> None:
    for name in ("text", "class", "list", "DbContext", "not valid"):
        with pytest.raises(PullError, match="cannot name the pulled context class"):
            render_module(Catalog(), class_name=name)


def test_the_longest_names_still_fit_the_line_length(tmp_path: Path) -> None:
    long = "x" * 63
    columns = (
        Column(long, "interval[]"),
        Column("1" + long[1:], "timestamp with time zone[]"),
        Column(long[1:] + "!", "numeric(10,2)[]"),
        Column("Ü" * 31, "uuid"),
    )
    table = Table("s" * 63, "T" * 63, columns=columns)
    enum = Enum("s" * 63, "e" * 63, ("a" * 63,))
    pulled = render_module(Catalog(schemas=("s" * 63,), tables=(table,), enums=(enum,)))
    assert ruff_problems(pulled.source, tmp_path) == ""
    with pytest.raises(PullError, match="at most 60 characters"):
        render_module(Catalog(), class_name="D" * 61)
