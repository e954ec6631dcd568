"""The comparators of extensions, domains, composite types, procedures, aggregates, view
options and materialized views; the dependency order of a plan; ownership of undeclared
objects of these kinds (no database)."""

from __future__ import annotations

import attrs

from linkgress_async.catalog import (
    Aggregate,
    Catalog,
    Column,
    CompositeAttribute,
    CompositeType,
    Dependency,
    Domain,
    DomainCheck,
    Extension,
    Function,
    Index,
    IndexElement,
    MaterializedView,
    ObjectRef,
    QualifiedName,
    Table,
    View,
)
from linkgress_async.diff import diff
from linkgress_async.ops import MigrationOperation, RebuildDomain
from linkgress_async.plan.ownership import OwnershipPolicy, owned_diff


def types(ops: list[MigrationOperation] | tuple[MigrationOperation, ...]) -> list[str]:
    return [op.type for op in ops]


def names(ops: list[MigrationOperation] | tuple[MigrationOperation, ...]) -> list[str]:
    return [op.describe() for op in ops]


def q(name: str) -> QualifiedName:
    return QualifiedName("public", name)


def function(name: str, args: str = "integer", body: str = "SELECT 1") -> Function:
    return Function(
        "public",
        name,
        args,
        args,
        "integer",
        "sql",
        body,
        definition=f"({args}) RETURNS integer LANGUAGE sql AS $$ {body} $$",
    )


def ref(kind: str, name: str, member: str | None = None) -> ObjectRef:
    return ObjectRef(kind, "public", name, member)  # type: ignore[arg-type]


# --- extensions ----------------------------------------------------------------------------


def test_extensions_are_created_first_updated_only_to_a_named_version_and_dropped() -> None:
    hstore = Extension("hstore", "public", "1.7")
    target = Catalog(
        extensions=[Extension("hstore", "public", "1.8"), Extension("citext", "public")],
        tables=[Table("public", "t", (Column("tags", "public.citext"),))],
    )
    ops = diff(Catalog(extensions=[hstore, Extension("cube", "public")]), target)
    assert names(ops) == [
        "Create extension 'citext' in 'public'",
        "Alter extension 'hstore' (update from 1.7 to 1.8)",
        "Create table 't'",
        "Drop extension 'cube'",
    ]
    # Without a version, whatever is installed is fine.
    assert (
        diff(Catalog(extensions=[hstore]), Catalog(extensions=[attrs.evolve(hstore, version=None)]))
        == []
    )


# --- domains -------------------------------------------------------------------------------

QTY = Domain(
    "public",
    "qty",
    "integer",
    default="1",
    checks=(DomainCheck("positive", "(VALUE > 0)"), DomainCheck("small", "(VALUE < 9)")),
)


def test_domain_changes_in_place_where_alter_domain_can() -> None:
    target = attrs.evolve(
        QTY,
        default=None,
        nullable=False,
        checks=(
            DomainCheck("above_zero", "(VALUE > 0)"),  # renamed
            DomainCheck("small", "(VALUE < 5)"),  # replaced
            DomainCheck("odd", "((VALUE % 2) = 1)", not_valid=True),  # added
        ),
    )
    ops = diff(Catalog(domains=[QTY]), Catalog(domains=[target]))
    assert names(ops) == [
        "Alter domain 'qty' (drop default, set not null)",
        "Rename constraint 'positive' of domain 'qty' to 'above_zero'",
        "Add constraint 'odd' to domain 'qty' (NOT VALID)",
        "Replace constraint 'small' of domain 'qty'",
    ]
    assert diff(Catalog(domains=[target]), Catalog(domains=[QTY]))  # and back
    validated = attrs.evolve(
        target, checks=[attrs.evolve(c, not_valid=False) for c in target.checks]
    )
    assert names(diff(Catalog(domains=[target]), Catalog(domains=[validated]))) == [
        "Validate constraint 'odd' of domain 'qty'"
    ]
    assert names(diff(Catalog(domains=[QTY]), Catalog())) == ["Drop domain 'qty'"]


def test_new_base_type_rebuilds_the_domain_with_the_columns_that_use_it() -> None:
    table = Table(
        "public", "item", (Column("id", "integer"), Column("qty", "public.qty", default="1"))
    )
    view = View("public", "items", "SELECT qty FROM public.item", (q("item"),))
    wider = attrs.evolve(QTY, data_type="bigint")
    ops = diff(
        Catalog(domains=[QTY], tables=[table], views=[view]),
        Catalog(domains=[wider], tables=[table], views=[view]),
    )
    # The view over the converted column makes way, and comes back.
    assert types(ops) == ["drop_view", "rebuild_domain", "create_view"]
    rebuild = ops[1]
    assert rebuild.describe() == "Rebuild domain 'qty' as bigint, converting 1 column"
    assert rebuild.destructive
    # A column found by the live database's dependencies, whatever its type's spelling.
    aliased = attrs.evolve(table, columns=(Column("qty", "public.qty_alias"),))
    uses = [Dependency(ref("column", "item", "qty"), ref("domain", "qty"))]
    live = Catalog(domains=[QTY], tables=[aliased], dependencies=uses)
    rebuilt = diff(live, Catalog(domains=[wider], tables=[aliased]))[0]
    assert isinstance(rebuilt, RebuildDomain)
    assert [(c.table_name, c.column_name) for c in rebuilt.columns] == [("item", "qty")]


def test_types_that_use_each_other_are_created_in_order() -> None:
    money = CompositeType("public", "money", (CompositeAttribute("amount", "public.qty"),))
    positive = Domain("public", "positive_money", "public.money")
    line = CompositeType(
        "public", "a_line", (CompositeAttribute("price", "public.positive_money"),)
    )
    ops = diff(Catalog(), Catalog(domains=[positive, QTY], composite_types=[line, money]))
    assert names(ops) == [
        "Create domain 'qty'",
        "Create type 'money'",
        "Create domain 'positive_money'",
        "Create type 'a_line'",
    ]


# --- composite types -----------------------------------------------------------------------

PAIR = CompositeType(
    "public", "pair", (CompositeAttribute("a", "integer"), CompositeAttribute("b", "text"))
)


def test_composite_changes_in_place_where_alter_type_can() -> None:
    target = CompositeType(
        "public",
        "pair",
        (CompositeAttribute("a", "bigint"), CompositeAttribute("c", "text", '"C"')),
    )
    ops = diff(Catalog(composite_types=[PAIR]), Catalog(composite_types=[target]))
    assert names(ops) == [
        "Drop attribute 'b' of type 'pair'",
        "Alter attribute 'a' of type 'pair' to bigint",
        "Add attribute 'c' to type 'pair'",
    ]
    assert ops[0].destructive


def test_reordered_composite_is_dropped_before_it_is_created() -> None:
    swapped = attrs.evolve(PAIR, attributes=PAIR.attributes[::-1])
    ops = diff(Catalog(composite_types=[PAIR]), Catalog(composite_types=[swapped]))
    assert names(ops) == ["Drop type 'pair' (recreated below)", "Create type 'pair'"]


# --- routines ------------------------------------------------------------------------------


def test_function_that_becomes_a_procedure_is_dropped_and_created() -> None:
    old = function("bump")
    new = attrs.evolve(old, kind="procedure", result="")
    assert names(diff(Catalog(functions=[old]), Catalog(functions=[new]))) == [
        "Drop function 'bump(integer)' (recreated below)",
        "Create procedure 'bump(integer)'",
    ]


def test_functions_are_created_after_those_their_bodies_call() -> None:
    caller = attrs.evolve(function("a_caller", body="SELECT z_callee(1)"), position=0)
    callee = attrs.evolve(function("z_callee"), position=1)
    ops = diff(Catalog(), Catalog(functions=[caller, callee]))
    assert names(ops) == [
        "Create function 'z_callee(integer)'",
        "Create function 'a_caller(integer)'",
    ]


def _aggregate(**parameters: str) -> Aggregate:
    pairs = tuple({"SFUNC": "public.add", "STYPE": "integer", **parameters}.items())
    return Aggregate("public", "total", "integer", pairs, definition="(integer) (...)")


def test_aggregates_are_replaced_in_place_unless_their_result_type_changes() -> None:
    old = _aggregate()
    replaced = diff(Catalog(aggregates=[old]), Catalog(aggregates=[_aggregate(INITCOND="0")]))
    assert names(replaced) == ["Replace aggregate 'total(integer)'"]
    view = View("public", "totals", "SELECT total(1)", (q("total"),))
    retyped = diff(
        Catalog(aggregates=[old], views=[view]),
        Catalog(aggregates=[_aggregate(STYPE="bigint")], views=[view]),
    )
    assert names(retyped) == [
        "Drop view 'totals' (recreated below)",
        "Drop aggregate 'total(integer)' (recreated below)",
        "Create aggregate 'total(integer)'",
        "Create view 'totals'",
    ]


# --- views and materialized views ----------------------------------------------------------

COUNTS = MaterializedView(
    "public",
    "counts",
    "SELECT 1 AS n",
    indexes=(Index("counts_n", (IndexElement(column="n"),), unique=True),),
)


def test_view_options_change_in_place() -> None:
    view = View("public", "v", "SELECT 1", options=("security_barrier=true",))
    ops = diff(Catalog(views=[view]), Catalog(views=[attrs.evolve(view, options=())]))
    assert names(ops) == ["Alter view 'v' options (reset security_barrier)"]


def test_materialized_view_indexes_and_options_change_in_place() -> None:
    target = attrs.evolve(
        COUNTS,
        options=("fillfactor=70",),
        indexes=(Index("counts_by_n", (IndexElement(column="n"),)),),
    )
    ops = diff(Catalog(materialized_views=[COUNTS]), Catalog(materialized_views=[target]))
    assert names(ops) == [
        "Drop index 'counts_n' on 'counts'",
        "Create index 'counts_by_n' on 'counts'",
        "Alter materialized view 'counts' options (fillfactor=70)",
    ]


def test_new_query_recreates_the_materialized_view_and_the_views_over_it() -> None:
    report = View("public", "report", "SELECT n FROM public.counts", (q("counts"),))
    target = attrs.evolve(COUNTS, definition="SELECT 2 AS n")
    ops = diff(
        Catalog(materialized_views=[COUNTS], views=[report]),
        Catalog(materialized_views=[target], views=[report]),
    )
    assert names(ops) == [
        "Drop view 'report' (recreated below)",
        "Drop materialized view 'counts' (recreated below)",
        "Create materialized view 'counts'",
        "Create view 'report'",
    ]


# --- dependency order ----------------------------------------------------------------------


def test_drops_follow_the_live_database_dependencies() -> None:
    is_odd = function("is_odd")
    odd = Domain("public", "odd", "integer", checks=(DomainCheck("c", "public.is_odd(VALUE)"),))
    table = Table("public", "thing", (Column("n", "public.odd"),))
    dependencies = [
        Dependency(ref("domain_constraint", "odd", "c"), ref("function", "is_odd", "integer")),
        Dependency(ref("column", "thing", "n"), ref("domain", "odd")),
    ]
    live = Catalog(functions=[is_odd], domains=[odd], tables=[table], dependencies=dependencies)
    ops = diff(live, Catalog())
    # By phases alone the function would go first and PostgreSQL would refuse it.
    assert names(ops) == [
        "Drop table 'thing'",
        "Drop domain 'odd'",
        "Drop function 'is_odd(integer)'",
    ]
    assert names(diff(attrs.evolve(live, dependencies=()), Catalog()))[0] == (
        "Drop function 'is_odd(integer)'"
    )


def test_creations_follow_the_target_dependencies() -> None:
    is_odd = function("is_odd")
    odd = Domain("public", "odd", "integer", checks=(DomainCheck("c", "public.is_odd(VALUE)"),))
    table = Table("public", "thing", (Column("n", "public.odd"),))
    dependencies = [
        Dependency(ref("domain_constraint", "odd", "c"), ref("function", "is_odd", "integer")),
        Dependency(ref("column", "thing", "n"), ref("domain", "odd")),
        Dependency(ref("trigger", "thing", "stamp"), ref("function", "is_odd", "integer")),
    ]
    target = Catalog(functions=[is_odd], domains=[odd], tables=[table], dependencies=dependencies)
    # A trigger is created by an operation of its own: it does not hold the table back.
    assert names(diff(Catalog(), target)) == [
        "Create function 'is_odd(integer)'",
        "Create domain 'odd'",
        "Create table 'thing'",
    ]


def test_contradicting_dependencies_keep_the_phases() -> None:
    a, b = function("a"), function("b")
    dependencies = [
        Dependency(ref("function", "a", "integer"), ref("function", "b", "integer")),
        Dependency(ref("function", "b", "integer"), ref("function", "a", "integer")),
    ]
    assert names(diff(Catalog(functions=[a, b], dependencies=dependencies), Catalog())) == [
        "Drop function 'a(integer)'",
        "Drop function 'b(integer)'",
    ]


# --- ownership -----------------------------------------------------------------------------


def test_kept_function_leaves_the_view_calling_it_alone() -> None:
    table = Table("public", "editor", (Column("id", "integer"),))
    mask = function("mask")
    view = View(
        "public", "editor_sanitized", "SELECT mask(id) FROM editor", (q("editor"), q("mask"))
    )
    live = Catalog(tables=[table], functions=[mask], views=[view])
    raw = diff(live, Catalog(tables=[table]))
    assert names(raw) == ["Drop view 'editor_sanitized'", "Drop function 'mask(integer)'"]
    split = owned_diff(live, Catalog(tables=[table]), OwnershipPolicy())
    assert split.operations == ()
    assert sorted(item.describe() for item in split.unmanaged) == [
        "function 'public.mask'",
        "view 'public.editor_sanitized'",
    ]


def test_an_object_a_kept_one_uses_is_kept_whatever_drop_unmanaged_says() -> None:
    mask = function("mask")
    view = View("public", "masked", "SELECT mask(1)", (q("mask"),))
    dependencies = [Dependency(ref("view", "masked"), ref("function", "mask", "integer"))]
    live = Catalog(functions=[mask], views=[view], dependencies=dependencies)
    split = owned_diff(live, Catalog(), OwnershipPolicy(drop_unmanaged=["public.mask"]))
    assert split.operations == ()
    assert [item.describe() for item in split.unmanaged] == [
        "view 'public.masked'",
        "function 'public.mask' (used by kept 'public.masked')",
    ]


def test_undeclared_kinds_are_reported_and_kept() -> None:
    live = Catalog(
        extensions=[Extension("hstore", "public")],
        domains=[QTY],
        composite_types=[PAIR],
        aggregates=[_aggregate()],
        materialized_views=[COUNTS],
        functions=[attrs.evolve(function("bump"), kind="procedure")],
    )
    split = owned_diff(live, Catalog(), OwnershipPolicy())
    assert split.operations == ()
    assert sorted(item.describe() for item in split.unmanaged) == [
        "aggregate 'public.total'",
        "domain 'public.qty'",
        "extension 'public.hstore'",
        "materialized_view 'public.counts'",
        "procedure 'public.bump'",
        "type 'public.pair'",
    ]
    dropped = owned_diff(live, Catalog(), OwnershipPolicy(drop_unmanaged=True))
    assert len(dropped.operations) == 6
    assert dropped.unmanaged == ()
