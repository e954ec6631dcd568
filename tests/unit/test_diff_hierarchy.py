"""The diff of partitions, inheritance, table properties, generated columns and owned
sequences, and ownership of what hangs together: no database."""

from __future__ import annotations

import attrs

from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    Generated,
    Index,
    IndexElement,
    QualifiedName,
    Sequence,
    SequenceOptions,
    Table,
)
from linkgress_async.diff import DiffContext, diff, needs_server_version
from linkgress_async.migrations.partitioned_index import partition_index_name
from linkgress_async.ops import (
    AddColumn,
    AlterColumn,
    AttachPartition,
    CreateTable,
    DetachPartition,
    DropColumn,
    DropTable,
    InheritTable,
    NoInheritTable,
)
from linkgress_async.plan.ownership import OwnershipPolicy, split_unmanaged

P = QualifiedName("public", "p")
ID = Column("id", "integer", False)
AT = Column("at", "date", False)
CHECK = CheckConstraint("p_id_check", "(id > 0)")
OPTIONS = SequenceOptions(1, 1, 1, 2**63 - 1)


def _parent(*columns: Column, **fields: object) -> Table:
    return Table("public", "p", columns or (ID, AT), partition_by="RANGE (at)", **fields)  # type: ignore[arg-type]


def _partition(name: str, *columns: Column, bound: str = "DEFAULT") -> Table:
    return Table("public", name, columns or (ID, AT), partition_of=P, partition_bound=bound)


def _types(current: Catalog, target: Catalog, **context: object) -> list[str]:
    return [op.type for op in diff(current, target, DiffContext(**context))]  # type: ignore[arg-type]


def test_a_column_added_to_a_parent_is_added_once() -> None:
    note = Column("note", "text")
    current = Catalog(("public",), tables=[_parent(), _partition("p1"), _partition("p2")])
    target = Catalog(
        ("public",),
        tables=[
            _parent(ID, AT, note),
            _partition("p1", ID, AT, note),
            _partition("p2", ID, AT, note),
        ],
    )
    operations = diff(current, target)
    assert operations == [AddColumn("p", "note", note)]
    back = diff(target, current)
    assert [op.type for op in back] == ["drop_column"]
    drop = back[0]
    assert isinstance(drop, DropColumn)
    assert drop.inheritors == (QualifiedName("public", "p1"), QualifiedName("public", "p2"))


def test_a_parent_default_reaches_partitions_that_keep_their_own() -> None:
    old_at, new_at = AT, attrs.evolve(AT, default="CURRENT_DATE")
    own = attrs.evolve(AT, default="'2020-01-01'::date")
    current = Catalog(("public",), tables=[_parent(), _partition("p1", ID, own)])
    target = Catalog(("public",), tables=[_parent(ID, new_at), _partition("p1", ID, own)])
    operations = diff(current, target)
    assert [(op.type, op.table_name) for op in operations] == [  # type: ignore[union-attr]
        ("alter_column", "p"),
        ("alter_column", "p1"),
    ]
    restore = operations[1]
    assert isinstance(restore, AlterColumn)
    assert (restore.from_.default, restore.to.default) == (new_at.default, own.default)
    assert old_at.default is None


def test_a_type_change_on_a_parent_is_not_repeated_on_partitions() -> None:
    wide = attrs.evolve(ID, data_type="bigint")
    current = Catalog(("public",), tables=[_parent(), _partition("p1")])
    target = Catalog(("public",), tables=[_parent(wide, AT), _partition("p1", wide, AT)])
    assert _types(current, target) == ["alter_column"]


def test_a_new_bound_detaches_early_and_attaches_late() -> None:
    current = Catalog(("public",), tables=[_parent(checks=[CHECK]), _partition("p1")])
    target = Catalog(
        ("public",),
        tables=[_parent(checks=[CHECK]), _partition("p1", bound="FOR VALUES FROM (1) TO (2)")],
    )
    operations = diff(current, target)
    assert operations == [
        DetachPartition("p1", "public", P, "DEFAULT"),
        # The detached partition keeps the parent's check as its own: nothing to add.
        AttachPartition("p1", "public", P, "FOR VALUES FROM (1) TO (2)"),
    ]


def test_new_partitions_come_after_their_parents_and_get_the_parent_checks() -> None:
    sub = attrs.evolve(_partition("p2"), partition_by="LIST (id)")
    leaf = Table(
        "public",
        "p2_a",
        (ID, AT),
        partition_of=QualifiedName("public", "p2"),
        partition_bound="FOR VALUES IN (1)",
    )
    target = Catalog(("public",), tables=[leaf, sub, _parent(checks=[CHECK])])
    operations = diff(Catalog(("public",)), target)
    assert [(op.type, op.table_name) for op in operations] == [  # type: ignore[union-attr]
        ("create_table", "p"),
        ("create_table", "p2"),
        ("create_table", "p2_a"),
        ("attach_partition", "p2"),
        ("attach_partition", "p2_a"),
    ]
    attaches = [op for op in operations if isinstance(op, AttachPartition)]
    assert all(op.parent_checks == (CHECK,) for op in attaches)
    # Dropping them goes the other way: partitions first.
    back = diff(target, Catalog(("public",)))
    assert [op.table_name for op in back] == ["p2_a", "p2", "p"]  # type: ignore[union-attr]


def test_a_new_partition_key_recreates_the_parent_and_keeps_the_partitions() -> None:
    current = Catalog(("public",), tables=[_parent(), _partition("p1")])
    target = Catalog(
        ("public",), tables=[attrs.evolve(_parent(), partition_by="LIST (id)"), _partition("p1")]
    )
    operations = diff(current, target)
    assert [op.type for op in operations] == [
        "detach_partition",
        "drop_table",
        "create_table",
        "attach_partition",
    ]
    drop = operations[1]
    assert isinstance(drop, DropTable)
    assert drop.recreated
    assert "created again" in drop.describe()
    # It is declared: ownership never withholds it.
    assert split_unmanaged(operations, OwnershipPolicy()).operations == tuple(operations)


def test_partition_identity_and_serial_columns_are_the_parents() -> None:
    serial = Column("n", "serial", False)
    current = Catalog(("public",), tables=[_parent(), _partition("p1")])
    target = Catalog(
        ("public",),
        tables=[_parent(ID, AT, serial), _partition("p1", ID, AT, Column("n", "integer", False))],
    )
    # The partition's copy has the parent's default, which only the server can spell: the
    # diff leaves it to the next analysis rather than guess it.
    assert _types(current, target) == ["add_column"]


# --- classic inheritance ---------------------------------------------------------------------

WHEELS = Column("wheels", "integer", False, "4")
VEHICLES = Table("public", "vehicles", (ID, WHEELS), checks=[CHECK])
CARS = Table("public", "cars", (Column("seats", "integer"),), inherits=(VEHICLES.qualified_name,))


def test_a_parent_column_drop_is_only_when_a_child_keeps_it() -> None:
    current = Catalog(("public",), tables=[VEHICLES, CARS])
    keep = attrs.evolve(CARS, columns=(WHEELS, *CARS.columns))
    target = Catalog(("public",), tables=[attrs.evolve(VEHICLES, columns=(ID,)), keep])
    operations = diff(current, target)
    assert operations == [
        DropColumn("vehicles", "wheels", "public", WHEELS, only=True),
    ]


def test_a_parent_column_drop_names_the_children_that_lose_it() -> None:
    current = Catalog(("public",), tables=[VEHICLES, CARS])
    target = Catalog(("public",), tables=[attrs.evolve(VEHICLES, columns=(ID,)), CARS])
    (drop,) = diff(current, target)
    assert isinstance(drop, DropColumn)
    assert not drop.only
    assert drop.inheritors == (CARS.qualified_name,)


def test_no_inherit_makes_inherited_columns_the_childs_own() -> None:
    current = Catalog(("public",), tables=[VEHICLES, CARS])
    alone = attrs.evolve(CARS, columns=(ID, WHEELS, *CARS.columns), checks=[CHECK], inherits=())
    target = Catalog(("public",), tables=[VEHICLES, alone])
    assert diff(current, target) == [NoInheritTable("cars", "public", VEHICLES.qualified_name)]
    # The other way, what the table has already is not added again nor dropped.
    assert diff(target, current) == [InheritTable("cars", "public", VEHICLES.qualified_name)]


def test_a_new_child_names_its_parents_in_create_table() -> None:
    operations = diff(Catalog(("public",)), Catalog(("public",), tables=[CARS, VEHICLES]))
    assert [op.table_name for op in operations if isinstance(op, CreateTable)] == [
        "vehicles",
        "cars",
    ]
    assert not [op for op in operations if isinstance(op, InheritTable)]


# --- properties, generated columns, owned sequences --------------------------------------------


def test_table_properties() -> None:
    table = Table("public", "t", (ID,))
    current = Catalog(("public",), tables=[table])
    target = Catalog(
        ("public",), tables=[attrs.evolve(table, unlogged=True, options=("fillfactor=70",))]
    )
    assert _types(current, target) == ["set_table_options", "set_table_logged"]


def test_set_logged_follows_foreign_keys() -> None:
    from linkgress_async.catalog import ForeignKey

    parent = Table("public", "a", (ID,), unlogged=True)
    child = Table(
        "public",
        "b",
        (ID,),
        unlogged=True,
        foreign_keys=[ForeignKey("b_fk", ("id",), QualifiedName("public", "a"), ("id",))],
    )
    current = Catalog(("public",), tables=[parent, child])
    logged = Catalog(
        ("public",),
        tables=[attrs.evolve(parent, unlogged=False), attrs.evolve(child, unlogged=False)],
    )
    # A logged table may not reference an unlogged one: the referenced table goes first.
    assert [op.table_name for op in diff(current, logged)] == ["a", "b"]  # type: ignore[union-attr]
    assert [op.table_name for op in diff(logged, current)] == ["b", "a"]  # type: ignore[union-attr]


def test_generation_changes_in_place_only_where_the_server_can() -> None:
    old = Column("g", "integer", generated=Generated("(id * 2)"))
    new = Column("g", "integer", generated=Generated("(id * 3)"))
    current = Catalog(("public",), tables=[Table("public", "t", (ID, old))])
    target = Catalog(("public",), tables=[Table("public", "t", (ID, new))])
    assert needs_server_version(current, target)
    assert _types(current, target) == ["replace_generated_column"]
    assert _types(current, target, server_version_num=160000) == ["replace_generated_column"]
    assert _types(current, target, server_version_num=170000) == ["alter_column"]
    assert not needs_server_version(current, current)


def test_a_replaced_generated_column_takes_its_index_along() -> None:
    old = Column("g", "integer", generated=Generated("(id * 2)"))
    new = Column("g", "integer", generated=Generated("(id * 2)", "virtual"))
    index = Index("t_g", (IndexElement(column="g"),))
    current = Catalog(("public",), tables=[Table("public", "t", (ID, old), indexes=[index])])
    target = Catalog(("public",), tables=[Table("public", "t", (ID, new), indexes=[index])])
    assert _types(current, target, server_version_num=180000) == [
        "drop_index",
        "replace_generated_column",
        "create_index",
    ]


def test_owned_sequences() -> None:
    table = Table("public", "t", (Column("n", "bigint"),))
    plain = Sequence("public", "s", OPTIONS)
    owned = attrs.evolve(plain, owned_by=(table.qualified_name, "n"))
    assert _types(Catalog(), Catalog(tables=[table], sequences=[owned])) == [
        "create_sequence",
        "create_table",
        "set_sequence_owner",
    ]
    assert _types(Catalog(tables=[table], sequences=[owned]), Catalog(tables=[table])) == [
        "disown_sequence",
        "drop_sequence",
    ]
    assert _types(Catalog(tables=[table], sequences=[owned]), Catalog(sequences=[plain])) == [
        "disown_sequence",
        "drop_table",
    ]


def test_renaming_a_parent_column_renames_it_in_partitions() -> None:
    current = Catalog(("public",), tables=[_parent(), _partition("p1")])
    renamed = attrs.evolve(AT, name="day", renamed_from="at")
    target = Catalog(
        ("public",),
        tables=[_parent(ID, renamed), _partition("p1", ID, attrs.evolve(AT, name="day"))],
    )
    assert _types(current, target) == ["rename_column"]


# --- ownership -----------------------------------------------------------------------------


def test_a_kept_partition_keeps_its_parent() -> None:
    current = Catalog(("public",), tables=[_parent(), _partition("p1")])
    split = split_unmanaged(
        diff(current, Catalog(("public",))), OwnershipPolicy(drop_unmanaged=["public.p"])
    )
    assert split.operations == ()
    assert [u.describe() for u in split.unmanaged] == [
        "table 'public.p1'",
        "table 'public.p' (parent of kept table 'public.p1')",
    ]


def test_a_kept_child_keeps_the_column_its_parent_drops() -> None:
    current = Catalog(("public",), tables=[VEHICLES, CARS])
    target = Catalog(("public",), tables=[attrs.evolve(VEHICLES, columns=(ID,))])
    split = split_unmanaged(diff(current, target), OwnershipPolicy())
    (drop,) = split.operations
    assert isinstance(drop, DropColumn)
    assert drop.only


def test_a_kept_sequence_keeps_its_owner() -> None:
    table = Table("public", "t", (Column("n", "bigint"),))
    owned = Sequence("public", "s", OPTIONS, owned_by=(table.qualified_name, "n"))
    current = Catalog(("public",), tables=[table], sequences=[owned])
    split = split_unmanaged(diff(current, Catalog(("public",), tables=[table])), OwnershipPolicy())
    assert split.operations == ()
    # Its table dropped, it must leave the table first or go along with it.
    split = split_unmanaged(
        diff(current, Catalog(("public",))), OwnershipPolicy(drop_unmanaged=["public.t"])
    )
    assert [op.type for op in split.operations] == ["disown_sequence", "drop_table"]


def test_partition_index_names_fit() -> None:
    assert partition_index_name("events_2024", "ix_kind") == "events_2024_ix_kind"
    long = partition_index_name("p" * 60, "ix" * 20)
    assert len(long.encode()) == 63
    assert long.startswith("p" * 23)
    assert len(partition_index_name("é" * 40, "ix").encode()) <= 63


def test_a_partition_moved_to_another_parent_drops_what_it_copied_from_the_old_one() -> None:
    other = QualifiedName("public", "q")
    index = Index("p_at", (IndexElement(column="at"),))
    copy = Index("p1_at_idx", (IndexElement(column="at"),))
    moved = attrs.evolve(_partition("p1"), index_copies=(copy,))
    q = attrs.evolve(_parent(), name="q")
    current = Catalog(("public",), tables=[_parent(indexes=[index]), q, moved])
    target = Catalog(
        ("public",),
        tables=[_parent(indexes=[index]), q, attrs.evolve(_partition("p1"), partition_of=other)],
    )
    assert [op.describe() for op in diff(current, target)] == [
        "Detach partition 'p1' from 'p' (it keeps its rows)",
        "Drop index 'p1_at_idx' on 'p1'",
        "Attach 'p1' as a partition of 'q' (DEFAULT)",
    ]
    # Attached again to the same parent, its copy is reused: nothing to drop.
    bound = attrs.evolve(moved, partition_bound="FOR VALUES FROM (1) TO (2)")
    again = Catalog(("public",), tables=[_parent(indexes=[index]), q, bound])
    assert [op.type for op in diff(current, again)] == ["detach_partition", "attach_partition"]
