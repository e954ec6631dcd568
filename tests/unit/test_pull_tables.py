"""The table kinds in the model builder and in pull, without a server: partitions and their
bounds, inheritance, UNLOGGED, storage parameters, generated columns, collations, NOT NULL
names, a serial column that allows NULL, view options and a sequence owned by a column.

The builder must produce exactly the catalog value introspection reads, and a pulled module,
built again, must give back the catalog it was pulled from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

from linkgress_async import DbModelConfig, ModelError, PgClient, integer, serial, text
from linkgress_async.catalog import (
    Catalog,
    Column,
    Generated,
    QualifiedName,
    Sequence,
    SequenceOptions,
    Table,
    View,
)
from linkgress_async.diff import diff
from linkgress_async.model import build_model
from linkgress_async.pulling import render_module
from tests.integration.fidelity import context_class, import_module
from tests.ruff_clean import ruff_problems

EVENTS = QualifiedName("app", "events")
_NO_SERVER = "postgresql://localhost/unused"  # a context builds its model without I/O


@attrs.define
class Event:
    id: int
    kind: str | None


@attrs.define
class EventPart:
    kind: str | None
    id: int


@attrs.define
class Base:
    id: int


@attrs.define
class Child:
    extra: str | None


def _table(catalog: Catalog, name: str) -> Table:
    table = catalog.table("app", name)
    assert table is not None
    return table


def _hierarchy(model: DbModelConfig) -> None:
    with model.entity(Event) as e:
        e.to_table("events", schema="app")
        e.has_partitioning("list", "kind")
        e.property("id").has_type(integer("id")).is_required()
        e.property("kind").has_type(text("kind"))
    with model.entity(EventPart) as e:
        e.to_table("events_a", schema="app")
        e.is_partition_of(Event, "  FOR VALUES\n IN ('a')  ")
        e.property("kind").has_type(text("kind"))
        e.property("id").has_type(integer("id")).is_required(name="events_a_id_not_null")
    with model.entity(Base) as e:
        e.to_table("base", schema="app")
        e.property("id").has_type(integer("id")).is_required(name="base_id_required")
    with model.entity(Child) as e:
        e.to_table("child", schema="app")
        e.inherits(Base)
        e.has_storage_parameters({"toast.autovacuum_enabled": False}, fillfactor=70)
        e.property("extra").has_type(text("extra")).has_collation('"C"')


def test_a_partition_and_a_child_are_the_catalog_values_introspection_reads() -> None:
    catalog = build_model(_hierarchy)
    events = _table(catalog, "events")
    assert events.partition_by == 'LIST ("kind")'  # the canonical stage spells it: LIST (kind)
    part = _table(catalog, "events_a")
    assert part.partition_of == EVENTS
    assert part.partition_bound == "FOR VALUES\n IN ('a')"  # the server spells it
    assert [c.name for c in part.columns] == ["kind", "id"]  # its own order
    # The name PostgreSQL 18 gives is no name of the catalog's.
    assert part.columns[1] == Column("id", "integer", nullable=False)
    child = _table(catalog, "child")
    assert child.inherits == (QualifiedName("app", "base"),)
    assert child.options == ("toast.autovacuum_enabled=false", "fillfactor=70")
    assert child.columns == (Column("extra", "text", collation='"C"'),)
    assert _table(catalog, "base").columns[0].not_null_name == "base_id_required"
    assert events.partition_of is None
    assert child.partition_bound is None


def test_a_serial_column_may_allow_null_and_a_sequence_may_be_owned() -> None:
    def setup(model: DbModelConfig) -> None:
        model.sequence("numbers", schema="app", data_type="integer", owned_by=(Child, "extra"))
        with model.entity(Child) as e:
            e.to_table("child", schema="app")
            e.property("extra").has_type(serial("extra")).is_required(False)

    catalog = build_model(setup)
    assert _table(catalog, "child").columns == (Column("extra", "serial", nullable=True),)
    [sequence] = catalog.sequences
    assert sequence.owned_by == (QualifiedName("app", "child"), "extra")


def _entity(model: DbModelConfig, cls: type, name: str, **declare: Any) -> None:
    e = model.entity(cls).to_table(name)
    for field in attrs.fields(cls):
        e.property(field.name).has_type(integer(field.name))
    if "partition" in declare:
        e.is_partition_of(*declare["partition"])
    if "inherits" in declare:
        e.inherits(*declare["inherits"])
    if declare.get("partitioned"):
        e.has_partitioning("range", "id")


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (
            lambda m: _entity(m, Child, "c", partition=(Base, "DEFAULT")),
            "names an entity this model does not map",
        ),
        (
            lambda m: (_entity(m, Base, "b"), _entity(m, Child, "c", partition=(Base, "DEFAULT"))),
            "is not partitioned; call has_partitioning(...) on it",
        ),
        (
            lambda m: (
                _entity(m, Base, "b", partitioned=True),
                _entity(m, Child, "c", inherits=(Base,)),
            ),
            "which PostgreSQL cannot inherit from",
        ),
        (
            lambda m: (
                _entity(m, Base, "b", partitioned=True),
                _entity(m, Event, "e"),
                _entity(m, Child, "c", partition=(Base, "DEFAULT"), inherits=(Event,)),
            ),
            "a partition cannot also inherit",
        ),
        (
            lambda m: (
                _entity(m, Base, "b", inherits=(Child,)),
                _entity(m, Child, "c", inherits=(Base,)),
            ),
            "is its own ancestor",
        ),
        (lambda m: _entity(m, Child, "c", partition=(Child, "DEFAULT")), "partition of itself"),
        (lambda m: _entity(m, Child, "c", inherits=(Child,)), "cannot inherit from itself"),
        (lambda m: _entity(m, Child, "c", inherits=()), "name the parent entity classes"),
        (lambda m: _entity(m, Child, "c", partition=(Base, "IN (1)")), "the bound is"),
        (
            lambda m: (_entity(m, Child, "c"), m.sequence("s", owned_by=(Base, "id"))),
            "Base is not an entity of this model",
        ),
        (lambda m: m.sequence("s", owned_by=Base), "owned_by is (EntityClass, 'property')"),
        (
            lambda m: (
                m.entity(Child)
                .to_table("c")
                .property("extra")
                .has_type(integer("extra"))
                .is_required(False, name="x")
            ),
            "a NOT NULL name needs is_required(True)",
        ),
    ],
)
def test_bad_hierarchies_and_owners_are_model_errors(declare: Any, message: str) -> None:
    with pytest.raises(ModelError, match=None) as raised:
        build_model(declare)
    assert message in str(raised.value)


# --- pull: catalog -> module -> catalog --------------------------------------------------


def _pulled_catalog() -> Catalog:
    columns = (Column("id", "integer", False), Column("kind", "text", collation='"C"'))
    parent = Table("app", "events", columns, partition_by="LIST (kind)")
    partition = Table(
        "app",
        "events_a",
        (Column("kind", "text", collation='"C"'), Column("id", "integer", False)),
        partition_of=EVENTS,
        partition_bound="FOR VALUES IN ('a', 'b')",
    )
    other = Table(
        "app",
        "events_other",
        columns,
        partition_of=EVENTS,
        partition_bound="DEFAULT",
        unlogged=True,
        options=("fillfactor=70", "toast.autovacuum_enabled=false"),
    )
    base = Table(
        "app",
        "base",
        (
            Column("id", "integer", False, not_null_name="base_id_required"),
            Column("twice", "integer", generated=Generated("(id * 2)", "stored")),
            Column("ticket", "serial", True),
        ),
    )
    child = Table(
        "app",
        "child",
        (Column("extra", "text"),),
        inherits=(QualifiedName("app", "base"),),
        options=("autovacuum_enabled=off",),
    )
    numbers = Sequence(
        "app",
        "numbers",
        SequenceOptions(1, 1, 1, 2**31 - 1),
        "integer",
        owned_by=(QualifiedName("app", "child"), "extra"),
    )
    view = View("app", "v", "SELECT 1", options=("security_barrier=true", "check_option=local"))
    return Catalog(
        schemas=("app",),
        tables=(parent, partition, other, base, child),
        sequences=(numbers,),
        views=(view,),
    )


def test_a_pulled_module_builds_the_catalog_it_was_pulled_from(tmp_path: Path) -> None:
    catalog = _pulled_catalog()
    pulled = render_module(catalog)
    assert pulled.undeclared == ()
    assert ruff_problems(pulled.source, tmp_path) == ""
    source = pulled.source
    assert "e.is_partition_of(Events, \"FOR VALUES IN ('a', 'b')\")" in source
    assert 'e.is_partition_of(Events, "DEFAULT")' in source
    assert 'e.has_partitioning("list", "kind")' in source
    assert "e.inherits(Base)" in source
    assert '{"fillfactor": 70, "toast.autovacuum_enabled": False}' in source
    assert 'e.has_storage_parameters(autovacuum_enabled="off")' in source
    assert '.is_required(name="base_id_required")' in source
    assert '.generated_always_as("(id * 2)")' in source
    assert '.has_type(serial("ticket")).is_required(False)' in source
    assert 'owned_by=(Child, "extra")' in source
    assert 'options={"check_option": "local", "security_barrier": True}' in source

    cls = context_class(import_module(source, tmp_path))
    built = cls(PgClient(dsn=_NO_SERVER)).model
    rebuilt = {t.qualified_name: t for t in built.tables}
    for table in catalog.tables:
        wanted = table
        if table.partition_by is not None:
            # The model's key is quoted until the canonical stage spells it as the server.
            wanted = attrs.evolve(table, partition_by='LIST ("kind")')
        assert rebuilt[table.qualified_name] == wanted
        assert rebuilt[table.qualified_name].options == table.options  # order kept too
    assert tuple(built.sequences) == catalog.sequences
    [view] = built.views
    assert view.options == catalog.views[0].options


def test_a_partition_key_over_an_expression_is_declared_as_sql(tmp_path: Path) -> None:
    table = Table(
        "app",
        "readings",
        (Column("taken", "timestamp without time zone", False),),
        partition_by="RANGE (date_trunc('month'::text, taken))",
    )
    pulled = render_module(Catalog(schemas=("app",), tables=(table,)))
    assert (
        'e.has_partitioning("range", expression_sql="date_trunc(\'month\'::text, taken)")'
        in pulled.source
    )
    cls = context_class(import_module(pulled.source, tmp_path))
    [built] = cls(PgClient(dsn=_NO_SERVER)).model.tables
    assert built.partition_by == table.partition_by


def test_a_sequence_owned_by_a_table_not_pulled_is_noted() -> None:
    owner = (QualifiedName("elsewhere", "t"), "id")
    sequence = Sequence("app", "s", SequenceOptions(1, 1, 1, 2**63 - 1), owned_by=owner)
    pulled = render_module(Catalog(schemas=("app",), sequences=(sequence,)))
    assert [item.kind for item in pulled.undeclared] == ["sequence owned by"]
    assert "owned_by" not in pulled.source.split("def setup_model")[1].split("# not")[0]


def test_storage_parameters_in_another_order_are_no_change() -> None:
    columns = (Column("id", "integer"),)
    live = Table("app", "t", columns, options=("fillfactor=70", "autovacuum_enabled=false"))
    wanted = attrs.evolve(live, options=("autovacuum_enabled=false", "fillfactor=70"))
    assert live == wanted
    catalog = Catalog(schemas=("app",), tables=(live,))
    # With another change to the table, so that the table's parts are compared one by one.
    wanted = attrs.evolve(wanted, columns=(*columns, Column("note", "text")))
    [added] = diff(catalog, attrs.evolve(catalog, tables=(wanted,)))
    assert added.type == "add_column"
    changed = attrs.evolve(live, options=("fillfactor=80",))
    [operation] = diff(catalog, attrs.evolve(catalog, tables=(changed,)))
    assert operation.type == "set_table_options"
