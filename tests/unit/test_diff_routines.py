"""The views-and-functions comparator, its ordering, rendering and reversal (no database)."""

from __future__ import annotations

import attrs
import pytest

from linkgress_async.catalog import Catalog, Column, Function, QualifiedName, Table, View
from linkgress_async.diff import diff
from linkgress_async.diff.routines import drop_declared_routines, routine_creations
from linkgress_async.errors import ModelError
from linkgress_async.model import DbModelConfig
from linkgress_async.ops import (
    AlterColumn,
    CreateFunction,
    CreateView,
    DropFunction,
    DropView,
    MigrationOperation,
)
from linkgress_async.plan.ownership import OwnershipPolicy, split_unmanaged
from linkgress_async.render.python import migration_source
from linkgress_async.render.sql import operation_sql

USERS = Table("public", "users", (Column("id", "integer"), Column("name", "text")))
ORDERS = Table("public", "orders", (Column("id", "integer"),))


def q(name: str) -> QualifiedName:
    return QualifiedName("public", name)


def view(name: str, definition: str, *uses: str, position: int = 0) -> View:
    return View("public", name, definition, tuple(q(u) for u in uses), position=position)


def function(
    name: str, args: str = "integer", result: str = "integer", body: str = "x"
) -> Function:
    return Function(
        "public",
        name,
        identity_args=args,
        arguments=f"x {args}",
        result=result,
        language="sql",
        source=body,
        definition=f"(x {args}) RETURNS {result} LANGUAGE sql AS $$ {body} $$",
    )


def types(ops: list[MigrationOperation]) -> list[str]:
    return [op.type for op in ops]


def names(ops: list[MigrationOperation]) -> list[str]:
    return [op.describe() for op in ops]


def test_equal_views_and_functions_give_nothing() -> None:
    catalog = Catalog(
        tables=[USERS],
        views=[view("v", "SELECT id FROM public.users", "users")],
        functions=[function("f")],
    )
    # Positions and dependencies are not part of equality.
    target = Catalog(
        tables=[USERS],
        views=[view("v", "SELECT id FROM public.users", position=3)],
        functions=[attrs.evolve(function("f"), definition="other text", position=2)],
    )
    assert diff(catalog, target) == []


def test_new_views_and_functions_come_after_tables_functions_first() -> None:
    target = Catalog(
        tables=[USERS],
        views=[view("v", "SELECT f(id) FROM public.users", "users", "f")],
        functions=[function("f")],
    )
    assert types(diff(Catalog(), target)) == ["create_table", "create_function", "create_view"]


def test_changed_view_is_dropped_and_created() -> None:
    current = Catalog(tables=[USERS], views=[view("v", "SELECT id FROM public.users", "users")])
    target = Catalog(tables=[USERS], views=[view("v", "SELECT name FROM public.users")])
    ops = diff(current, target)
    assert names(ops) == ["Drop view 'v' (recreated below)", "Create view 'v'"]
    drop = ops[0]
    assert isinstance(drop, DropView)
    assert drop.recreated
    assert drop.reverse() == CreateView("v", "public", current.views[0])


def test_unresolved_view_is_recreated_even_with_equal_text() -> None:
    live = view("v", "SELECT id FROM public.users", "users")
    current = Catalog(tables=[USERS], views=[live])
    target = Catalog(tables=[USERS], views=[attrs.evolve(live, resolved=False)])
    assert types(diff(current, target)) == ["drop_view", "create_view"]


def test_type_change_under_a_view_drops_it_first_and_recreates_after() -> None:
    live = view("v", "SELECT name FROM public.users", "users")
    current = Catalog(tables=[USERS], views=[live])
    wider = attrs.evolve(USERS, columns=(Column("id", "integer"), Column("name", "varchar(9)")))
    target = Catalog(tables=[wider], views=[live])
    ops = diff(current, target)
    assert types(ops) == ["drop_view", "alter_column", "create_view"]
    assert isinstance(ops[1], AlterColumn)


def test_nullability_change_leaves_views_alone() -> None:
    live = view("v", "SELECT name FROM public.users", "users")
    current = Catalog(tables=[USERS], views=[live])
    required = attrs.evolve(USERS, columns=(Column("id", "integer"), Column("name", "text", False)))
    assert types(diff(current, Catalog(tables=[required], views=[live]))) == ["alter_column"]


def test_undeclared_view_makes_way_and_comes_back_as_it_was() -> None:
    by_hand = view("by_hand", "SELECT name FROM public.users", "users")
    current = Catalog(tables=[USERS], views=[by_hand])
    wider = attrs.evolve(USERS, columns=(Column("id", "bigint"), Column("name", "text")))
    ops = diff(current, Catalog(tables=[wider]))
    assert types(ops) == ["drop_view", "alter_column", "create_view"]
    assert ops[2] == CreateView("by_hand", "public", by_hand, restores=True)
    assert ops[2].describe() == "Create view 'by_hand' again as it was (not declared by the model)"
    # A drop that is undone is never an undeclared object for the ownership policy.
    assert split_unmanaged(ops, OwnershipPolicy()).operations == tuple(ops)


def test_undeclared_view_and_function_are_left_to_the_ownership_policy() -> None:
    current = Catalog(
        tables=[USERS],
        views=[view("by_hand", "SELECT 1")],
        functions=[function("helper")],
    )
    ops = diff(current, Catalog(tables=[USERS]))
    assert types(ops) == ["drop_view", "drop_function"]
    kept = split_unmanaged(ops, OwnershipPolicy())
    assert kept.operations == ()
    assert [u.describe() for u in kept.unmanaged] == [
        "view 'public.by_hand'",
        "function 'public.helper'",
    ]
    assert split_unmanaged(ops, OwnershipPolicy(drop_unmanaged=True)).operations == tuple(ops)


def test_dropped_table_takes_undeclared_views_along_for_good() -> None:
    by_hand = view("by_hand", "SELECT id FROM public.orders", "orders")
    current = Catalog(tables=[USERS, ORDERS], views=[by_hand])
    ops = diff(current, Catalog(tables=[USERS]))
    assert types(ops) == ["drop_view", "drop_table"]
    assert isinstance(ops[0], DropView)
    assert not ops[0].recreated


def test_views_over_views_drop_dependents_first_and_create_them_last() -> None:
    bottom = view("bottom", "SELECT id, name FROM public.users", "users", position=1)
    top = view("top", "SELECT id FROM public.bottom", "bottom", position=0)
    current = Catalog(tables=[USERS], views=[bottom, top])
    changed = attrs.evolve(bottom, definition="SELECT id, upper(name) AS name FROM public.users")
    ops = diff(current, Catalog(tables=[USERS], views=[changed, top]))
    assert names(ops) == [
        "Drop view 'top' (recreated below)",
        "Drop view 'bottom' (recreated below)",
        "Create view 'bottom'",
        "Create view 'top'",
    ]


def test_unresolved_views_are_created_in_declaration_order() -> None:
    first = View("public", "zeta", "SELECT 1 AS x", resolved=False, position=0)
    second = View("public", "alpha", "SELECT x FROM zeta", resolved=False, position=1)
    assert names(diff(Catalog(), Catalog(views=[second, first]))) == [
        "Create view 'zeta'",
        "Create view 'alpha'",
    ]


def test_renamed_table_under_a_view_is_followed() -> None:
    live = view("v", "SELECT name FROM public.users", "users")
    current = Catalog(tables=[USERS], views=[live])
    people = Table(
        "public",
        "people",
        (Column("id", "integer"), Column("name", "varchar(5)")),
        renamed_from="users",
    )
    target = Catalog(tables=[people], views=[view("v", "SELECT name FROM public.people")])
    # The view goes before the rename (its definition names the old table), so that a
    # scaffolded down() recreates it after renaming the table back.
    assert types(diff(current, target)) == [
        "drop_view",
        "rename_table",
        "alter_column",
        "create_view",
    ]


def test_changed_function_body_is_replaced_in_place() -> None:
    old = function("f")
    new = function("f", body="x + 1")
    ops = diff(Catalog(functions=[old]), Catalog(functions=[new]))
    assert ops == [CreateFunction("f", "public", new, or_replace=True, previous=old)]
    assert names(ops) == ["Replace function 'f(integer)'"]
    assert ops[0].reverse() == CreateFunction("f", "public", old, True, new)
    assert operation_sql(ops[0]) == [
        'CREATE OR REPLACE FUNCTION "public"."f"(x integer)'
        " RETURNS integer LANGUAGE sql AS $$ x + 1 $$"
    ]


def test_changed_result_drops_the_function_and_the_views_that_use_it() -> None:
    old = function("f")
    new = function("f", result="bigint")
    live = view("v", "SELECT public.f(1)", "f")
    ops = diff(Catalog(views=[live], functions=[old]), Catalog(views=[live], functions=[new]))
    assert types(ops) == ["drop_view", "drop_function", "create_function", "create_view"]
    assert operation_sql(ops[1]) == ['DROP FUNCTION "public"."f"(integer)']


def test_overloads_are_separate_objects() -> None:
    one, other = function("f"), function("f", args="text", result="text")
    assert diff(Catalog(functions=[one]), Catalog(functions=[one, other])) == [
        CreateFunction("f", "public", other)
    ]
    ops = diff(Catalog(functions=[one, other]), Catalog(functions=[one]))
    assert ops == [DropFunction("f", "public", "text", other)]
    assert ops[0].reverse() == CreateFunction("f", "public", other)


def test_unresolved_function_is_created_or_replaced_and_spares_its_name() -> None:
    live = function("f")
    pending = Function("public", "f", definition="(x public.later) RETURNS integer ...")
    ops = diff(Catalog(functions=[live]), Catalog(functions=[pending]))
    assert ops == [CreateFunction("f", "public", pending, or_replace=True)]
    assert operation_sql(ops[0])[0].startswith('CREATE OR REPLACE FUNCTION "public"."f"(x public')
    # Its reverse drops it by name (the argument types are not known).
    inverse = ops[0].reverse()
    assert inverse is not None
    assert operation_sql(inverse) == ['DROP FUNCTION "public"."f"']


def test_render_quotes_names_and_keeps_sql() -> None:
    odd = View("My Schema", "Odd View", "SELECT 1 AS one")
    assert operation_sql(CreateView("Odd View", "My Schema", odd)) == [
        'CREATE VIEW "My Schema"."Odd View" AS SELECT 1 AS one'
    ]
    assert operation_sql(DropView("Odd View", "My Schema")) == ['DROP VIEW "My Schema"."Odd View"']
    assert DropView("v", "public").reverse() is None


def test_ensure_created_takes_only_missing_views_and_functions() -> None:
    existing = view("v", "SELECT 1", position=0)
    ops: list[MigrationOperation] = [
        DropView("v", "public", existing, True),
        CreateView("v", "public", existing),
        CreateView("w", "public", view("w", "SELECT 2")),
        CreateFunction("f", "public", function("f"), True, function("f", body="y")),
        CreateFunction("g", "public", function("g")),
    ]
    assert routine_creations(ops) == [ops[2], ops[4]]


def test_ensure_deleted_drops_declared_views_users_first_and_functions() -> None:
    bottom = view("bottom", "SELECT 1 AS id")
    top = view("top", "SELECT id FROM public.bottom", "bottom")
    current = Catalog(
        views=[bottom, top, view("mine", "SELECT 2")],
        functions=[function("f"), function("f", args="text"), function("g")],
    )
    model = Catalog(
        views=[View("public", "bottom", "x"), View("public", "top", "y")],
        functions=[function("f"), Function("public", "g")],
    )
    assert names(drop_declared_routines(current, model)) == [
        "Drop view 'top'",
        "Drop view 'bottom'",
        "Drop function 'f(integer)'",
        "Drop function 'g(integer)'",
    ]


def test_scaffold_source_reverses_view_and_function_changes() -> None:
    old = view("v", "SELECT id FROM public.users", "users")
    new = view("v", "SELECT name FROM public.users", "users")
    ops = diff(
        Catalog(tables=[USERS], views=[old], functions=[function("f")]),
        Catalog(tables=[USERS], views=[new], functions=[function("f", body="x * 2")]),
    )
    source = migration_source(
        ops, class_name="Views", context_module="app.db", context_class="Db", title="views"
    )
    up, down = source.split("async def down")
    assert 'CREATE OR REPLACE FUNCTION "public"."f"(x integer)' in up
    assert "AS SELECT name FROM public.users" in up
    assert "AS SELECT id FROM public.users" in down
    assert "$$ x $$" in down
    assert "cannot be reverted" not in down


def test_model_declares_views_and_functions() -> None:
    model = DbModelConfig()
    model.view("v", "SELECT 1 AS one;  ", schema="reports")
    model.function("f", "() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$")
    catalog = model.build()
    assert catalog.schemas == ("public", "reports")
    assert catalog.views == (View("reports", "v", "SELECT 1 AS one"),)
    assert not catalog.views[0].resolved
    assert [f.definition for f in catalog.functions] == [
        "() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$"
    ]


def test_model_refuses_a_view_declared_twice_or_clashing_with_a_table() -> None:
    model = DbModelConfig()
    model.view("v", "SELECT 1")
    with pytest.raises(ModelError, match=r"view public\.v is declared twice"):
        model.view("v", "SELECT 2")
    with pytest.raises(ModelError, match="expected an SQL expression"):
        model.view("w", "  ")
