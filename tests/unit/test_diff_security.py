"""The comparators of triggers, row-level security, policies, comments, privileges and owners,
and the ownership rules for them. No database."""

from __future__ import annotations

import attrs
import pytest

from linkgress_async.catalog import (
    Catalog,
    Column,
    Comment,
    Function,
    Grant,
    ObjectRef,
    Owner,
    Policy,
    PrimaryKey,
    QualifiedName,
    Table,
    Trigger,
    View,
)
from linkgress_async.diff import DiffContext, diff
from linkgress_async.errors import LinkgressError
from linkgress_async.introspect._assemble_security import when_condition
from linkgress_async.ops import (
    AlterOwner,
    AlterPolicy,
    AlterRowSecurity,
    AlterTriggerEnabled,
    CreatePolicy,
    CreateTrigger,
    DropFunction,
    DropPolicy,
    DropTable,
    DropTrigger,
    GrantPrivileges,
    MigrationOperation,
    RenamePolicy,
    RenameTrigger,
    RevokePrivileges,
    SetComment,
)
from linkgress_async.plan.ownership import OwnershipPolicy, hide_excluded, split_unmanaged

STAMP = QualifiedName("public", "stamp")
USERS = QualifiedName("public", "users")


def stamp_function(result: str = "trigger") -> Function:
    return Function(
        "public", "stamp", "", "", result, "plpgsql", "BEGIN RETURN NEW; END", definition="()"
    )


def trigger(name: str = "stamp", **changes: object) -> Trigger:
    fields: dict[str, object] = {
        "name": name,
        "function": STAMP,
        "timing": "before",
        "events": ("update",),
        "level": "row",
    }
    fields.update(changes)
    return Trigger(**fields)  # type: ignore[arg-type]


def users(**changes: object) -> Table:
    table = Table(
        "public",
        "users",
        (Column("id", "integer", False), Column("email", "text")),
        PrimaryKey("users_pkey", ("id",)),
    )
    return attrs.evolve(table, **changes)


def catalog(*tables: Table, **changes: object) -> Catalog:
    return attrs.evolve(
        Catalog(schemas=("public",), tables=tables, functions=(stamp_function(),)), **changes
    )


def types(operations: list[MigrationOperation]) -> list[str]:
    return [op.type for op in operations]


# --- triggers ------------------------------------------------------------------------------


def test_a_changed_trigger_is_replaced_in_place() -> None:
    old, new = trigger(), trigger(when="new.email IS NOT NULL")
    ops = diff(catalog(users(triggers=(old,))), catalog(users(triggers=(new,))))
    assert ops == [CreateTrigger("users", "public", new, True, old)]


def test_only_the_enabled_state_is_altered() -> None:
    ops = diff(
        catalog(users(triggers=(trigger(),))),
        catalog(users(triggers=(trigger(enabled="replica"),))),
    )
    assert ops == [AlterTriggerEnabled("users", "stamp", "replica", "origin", "public")]


def test_a_constraint_trigger_is_dropped_and_created() -> None:
    old = trigger(timing="after", constraint=True)
    new = attrs.evolve(old, deferrable=True)
    ops = diff(catalog(users(triggers=(old,))), catalog(users(triggers=(new,))))
    assert ops == [
        DropTrigger("users", "stamp", "public", old, recreated=True),
        CreateTrigger("users", "public", new),
    ]


def test_a_trigger_renamed_by_a_hint() -> None:
    old = trigger("old_name")
    renamed = trigger(renamed_from="old_name")
    ops = diff(catalog(users(triggers=(old,))), catalog(users(triggers=(renamed,))))
    assert ops == [RenameTrigger("users", "old_name", "stamp", "public")]
    # Renamed and changed: renamed, then replaced.
    changed = attrs.evolve(renamed, events=("insert",))
    ops = diff(catalog(users(triggers=(old,))), catalog(users(triggers=(changed,))))
    assert types(ops) == ["rename_trigger", "create_trigger"]
    # A constraint trigger cannot be replaced: dropped by its old name (drops run before
    # renames), created by the new one.
    constraint = trigger("old_name", timing="after", constraint=True)
    deferred = attrs.evolve(constraint, name="stamp", renamed_from="old_name", deferrable=True)
    ops = diff(catalog(users(triggers=(constraint,))), catalog(users(triggers=(deferred,))))
    assert ops == [
        DropTrigger("users", "old_name", "public", constraint, recreated=True),
        CreateTrigger("users", "public", deferred),
    ]
    # Both names live: the hint does nothing, the old trigger is like any undeclared one.
    both = catalog(users(triggers=(old, trigger())))
    assert types(diff(both, catalog(users(triggers=(renamed,))))) == ["drop_trigger"]


def test_a_trigger_goes_before_its_function_and_comes_back_after() -> None:
    current = catalog(users(triggers=(trigger(),)))
    target = attrs.evolve(current, functions=(stamp_function("trigger "),))
    target = attrs.evolve(
        target, functions=(attrs.evolve(stamp_function(), arguments="x integer"),)
    )
    ops = diff(current, target)
    assert types(ops) == ["drop_trigger", "drop_function", "create_function", "create_trigger"]
    assert isinstance(ops[0], DropTrigger)
    assert ops[0].recreated


def test_column_changes_recreate_triggers_that_may_use_the_column() -> None:
    uses = trigger("uses", when="new.email <> ''")
    lists = trigger("lists", update_columns=("email",))
    plain = trigger("plain")
    current = catalog(users(triggers=(uses, lists, plain)))
    target = catalog(
        users(columns=(Column("id", "integer", False),), triggers=(uses, lists, plain))
    )
    ops = diff(current, target)
    dropped = {op.trigger_name for op in ops if isinstance(op, DropTrigger)}
    created = {op.trigger.name for op in ops if isinstance(op, CreateTrigger)}
    assert dropped == created == {"uses", "lists"}
    kinds = types(ops)
    assert kinds.index("drop_trigger") < kinds.index("drop_column") < kinds.index("create_trigger")


def test_triggers_are_dropped_by_their_table_name_before_a_rename() -> None:
    current = catalog(users(name="members", triggers=(trigger(),)))
    target = catalog(users(renamed_from="members"))
    ops = diff(current, target)
    assert types(ops) == ["drop_trigger", "rename_table"]
    assert ops[0] == DropTrigger("members", "stamp", "public", trigger())


def test_dropped_table_with_a_dropped_trigger_function() -> None:
    current = catalog(users(triggers=(trigger(),)))
    ops = diff(current, Catalog(schemas=("public",)))
    assert types(ops) == ["drop_trigger", "drop_function", "drop_table"]


def test_view_triggers_do_not_rebuild_the_view_and_come_back_with_it() -> None:
    view = View("public", "names", "SELECT users.email FROM users", (USERS,))
    instead = trigger("ins", timing="instead of", events=("insert",))
    current = catalog(users(), views=(view,))
    with_trigger = catalog(users(), views=(attrs.evolve(view, triggers=(instead,)),))
    assert diff(current, with_trigger) == [CreateTrigger("names", "public", instead)]
    # A column type change under the view drops and recreates it: its trigger comes back.
    retyped = attrs.evolve(
        with_trigger,
        tables=(users(columns=(Column("id", "integer", False), Column("email", "varchar"))),),
    )
    ops = diff(with_trigger, retyped)
    assert types(ops) == ["drop_view", "alter_column", "create_view", "create_trigger"]


def test_a_new_table_gets_its_row_security_policies_and_triggers() -> None:
    policy = Policy("own", using="(email = CURRENT_USER)")
    table = users(triggers=(trigger(),), policies=(policy,), rls_enabled=True)
    ops = diff(catalog(), catalog(table))
    assert types(ops) == [
        "create_table",
        "create_trigger",
        "alter_row_security",
        "create_policy",
    ]
    assert AlterRowSecurity("users", "public", True, False) in ops


# --- policies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "kinds"),
    [
        (Policy("p", roles=("reader",), using="a"), ["alter_policy"]),
        (Policy("p", using="b", with_check="c"), ["alter_policy"]),
        (Policy("p", command="select", using="a"), ["drop_policy", "create_policy"]),
        (Policy("p", permissive=False, using="a"), ["drop_policy", "create_policy"]),
        (Policy("p", with_check="a"), ["drop_policy", "create_policy"]),
    ],
)
def test_policies_change_in_place_where_postgres_can(new: Policy, kinds: list[str]) -> None:
    old = Policy("p", using="a")
    ops = diff(catalog(users(policies=(old,))), catalog(users(policies=(new,))))
    assert types(ops) == kinds
    if kinds == ["alter_policy"]:
        assert ops == [AlterPolicy("users", "public", old, new)]


def test_a_policy_renamed_by_a_hint() -> None:
    ops = diff(
        catalog(users(policies=(Policy("old"),))),
        catalog(users(policies=(Policy("new", renamed_from="old"),))),
    )
    assert ops == [RenamePolicy("users", "old", "new", "public")]
    # Renamed and changed in place: renamed, then altered.
    wanted = Policy("new", roles=("r",), renamed_from="old")
    ops = diff(catalog(users(policies=(Policy("old"),))), catalog(users(policies=(wanted,))))
    assert types(ops) == ["rename_policy", "alter_policy"]
    # Renamed and changed beyond ALTER POLICY: dropped by its old name, created anew.
    select = Policy("new", command="select", renamed_from="old")
    ops = diff(catalog(users(policies=(Policy("old"),))), catalog(users(policies=(select,))))
    assert ops == [
        DropPolicy("users", "old", "public", Policy("old"), recreated=True),
        CreatePolicy("users", "public", select),
    ]


def test_policies_go_before_what_they_use_goes() -> None:
    calls = Policy("calls", using="public.stamp()")
    column = Policy("column", using="(email <> '')")
    current = catalog(users(policies=(calls, column)))
    # The function's signature changes: the policy calling it goes first.
    changed = attrs.evolve(stamp_function(), arguments="x integer")
    ops = diff(current, attrs.evolve(current, functions=(changed,)))
    assert types(ops) == ["drop_policy", "drop_function", "create_function", "create_policy"]
    # A column goes: policies with expressions go first, come back after.
    narrower = catalog(users(columns=(Column("id", "integer", False),), policies=(calls, column)))
    kinds = types(diff(current, narrower))
    assert kinds.count("drop_policy") == kinds.count("create_policy") == 2


def test_row_security_switches() -> None:
    ops = diff(catalog(users(rls_enabled=True)), catalog(users(rls_forced=True)))
    assert ops == [AlterRowSecurity("users", "public", False, True, True, False)]


# --- comments ------------------------------------------------------------------------------

TABLE = ObjectRef.of_table("public", "users")
EMAIL = ObjectRef.of_column("public", "users", "email")


def test_comments_are_set_changed_and_removed() -> None:
    current = catalog(users(), comments=(Comment(TABLE, "old"), Comment(EMAIL, "gone")))
    target = catalog(users(), comments=(Comment(TABLE, "new"),))
    assert diff(current, target) == [
        SetComment(EMAIL, None, "gone"),
        SetComment(TABLE, "new", "old"),
    ]
    # An empty comment is no comment.
    assert diff(catalog(users()), catalog(users(), comments=(Comment(TABLE, ""),))) == []


def test_comments_follow_renames() -> None:
    old_table = ObjectRef.of_table("public", "members")
    old_column = ObjectRef.of_column("public", "members", "mail")
    current = catalog(
        users(name="members", columns=(Column("id", "integer", False), Column("mail", "text"))),
        comments=(Comment(old_table, "t"), Comment(old_column, "c")),
    )
    renamed = users(
        renamed_from="members",
        columns=(Column("id", "integer", False), Column("email", "text", renamed_from="mail")),
    )
    target = catalog(renamed, comments=(Comment(TABLE, "t"), Comment(EMAIL, "c")))
    assert types(diff(current, target)) == ["rename_table", "rename_column"]


def test_an_object_made_anew_gets_its_comment_again() -> None:
    current = catalog(users(), comments=(Comment(EMAIL, "c"),))
    retyped = users(columns=(Column("id", "integer", False), Column("email", "bytea")))
    target = catalog(retyped, comments=(Comment(EMAIL, "c"),))
    ops = diff(current, target, DiffContext(castable=lambda _a, _b: False))
    assert types(ops) == ["drop_column", "add_column", "set_comment"]
    assert ops[-1] == SetComment(EMAIL, "c", None)


def test_nothing_is_commented_granted_or_owned_on_what_goes() -> None:
    current = catalog(
        users(),
        comments=(Comment(TABLE, "c"),),
        grants=(Grant(TABLE, "r", "SELECT"),),
        owners=(Owner(TABLE, "boss"),),
    )
    target = Catalog(schemas=("public",), grants=(Grant(TABLE, "r", "SELECT"),))
    assert types(diff(current, target)) == ["drop_function", "drop_table"]


def test_an_undeclared_view_made_anew_gets_its_comment_and_privileges_back() -> None:
    view = View("public", "names", "SELECT users.email FROM users", (USERS,))
    ref = ObjectRef("view", "public", "names")
    current = catalog(
        users(),
        views=(view,),
        comments=(Comment(ref, "names"),),
        grants=(Grant(ref, "reader", "SELECT"),),
        owners=(Owner(ref, "boss"),),
    )
    retyped = users(columns=(Column("id", "integer", False), Column("email", "varchar")))
    ops = diff(current, catalog(retyped))
    assert types(ops) == [
        "drop_view",
        "alter_column",
        "create_view",
        "set_comment",
        "grant_privileges",
    ]


# --- privileges ----------------------------------------------------------------------------

FUNCTION = ObjectRef("function", "public", "stamp", "")


def test_only_the_roles_the_target_names_are_managed() -> None:
    current = catalog(
        users(), grants=(Grant(TABLE, "reader", "SELECT"), Grant(TABLE, "other", "SELECT"))
    )
    target = catalog(users(), grants=(Grant(TABLE, "reader", "INSERT"),))
    assert diff(current, target) == [
        GrantPrivileges(TABLE, "reader", ("INSERT",)),
        RevokePrivileges(TABLE, "reader", ("SELECT",)),
    ]
    assert diff(current, catalog(users())) == []


@pytest.mark.parametrize(
    ("live", "wanted", "expected"),
    [
        # PUBLIC's default EXECUTE taken away, and given back.
        (None, Grant(FUNCTION, "PUBLIC", "EXECUTE", revoke=True), ("revoke", False, False)),
        (Grant(FUNCTION, "PUBLIC", "EXECUTE", revoke=True), None, ("grant", False, False)),
        # A default stated as held is the default: nothing to do.
        (None, Grant(FUNCTION, "PUBLIC", "EXECUTE"), None),
        # Grant options.
        (None, Grant(FUNCTION, "PUBLIC", "EXECUTE", grantable=True), ("grant", True, True)),
        (Grant(FUNCTION, "PUBLIC", "EXECUTE", grantable=True), None, ("revoke", True, True)),
        (
            Grant(FUNCTION, "r", "EXECUTE"),
            Grant(FUNCTION, "r", "EXECUTE", True),
            ("grant", True, True),
        ),
        (
            Grant(FUNCTION, "r", "EXECUTE", True),
            Grant(FUNCTION, "r", "EXECUTE"),
            ("revoke", True, True),
        ),
        (Grant(FUNCTION, "r", "EXECUTE", True), None, ("revoke", False, True)),
        (None, Grant(FUNCTION, "r", "EXECUTE", True), ("grant", True, False)),
    ],
)
def test_privilege_states(
    live: Grant | None, wanted: Grant | None, expected: tuple[str, bool, bool] | None
) -> None:
    role = (live or wanted or Grant(FUNCTION, "x", "y")).grantee
    # The target names the role (another privilege of it, elsewhere, if none here).
    named = Grant(TABLE, role, "SELECT")
    current = catalog(users(), grants=(live, named) if live else (named,))
    target = catalog(users(), grants=(wanted, named) if wanted else (named,))
    ops = diff(current, target)
    if expected is None:
        assert ops == []
        return
    verb, option, previously = expected
    assert len(ops) == 1
    op = ops[0]
    if verb == "grant":
        assert op == GrantPrivileges(FUNCTION, role, ("EXECUTE",), option, previously)
    else:
        assert op == RevokePrivileges(FUNCTION, role, ("EXECUTE",), option, previously)


def test_roles_are_granted_in_the_order_of_the_targets_acl() -> None:
    target = catalog(
        users(),
        grants=(
            Grant(TABLE, "zed", "SELECT", position=1),
            Grant(TABLE, "amy", "SELECT", position=3),
            Grant(TABLE, "zed", "INSERT", position=2),
        ),
    )
    ops = diff(catalog(users()), target)
    assert ops == [
        GrantPrivileges(TABLE, "zed", ("INSERT", "SELECT")),
        GrantPrivileges(TABLE, "amy", ("SELECT",)),
    ]


# --- owners --------------------------------------------------------------------------------


def test_owners_only_where_the_target_states_one() -> None:
    current = catalog(users(), owners=(Owner(TABLE, "a"), Owner(FUNCTION, "a")))
    assert diff(current, catalog(users())) == []
    target = catalog(users(), owners=(Owner(TABLE, "b"), Owner(FUNCTION, "a")))
    assert diff(current, target) == [AlterOwner(TABLE, "b", "a")]
    # A new object gets the stated owner: who runs the plan is not known.
    fresh = diff(Catalog(schemas=("public",)), catalog(users(), owners=(Owner(TABLE, "a"),)))
    assert fresh[-1] == AlterOwner(TABLE, "a", None)


# --- ownership -----------------------------------------------------------------------------


def test_undeclared_triggers_and_policies_are_kept_and_reported() -> None:
    current = catalog(users(triggers=(trigger(),), policies=(Policy("p"),), rls_enabled=True))
    operations = diff(current, catalog(users()))
    split = split_unmanaged(operations, OwnershipPolicy())
    assert split.operations == ()
    assert [u.describe() for u in split.unmanaged] == [
        "trigger 'public.users.stamp'",
        "policy 'public.users.p'",
        "row_security 'public.users'",
    ]
    assert split_unmanaged(operations, OwnershipPolicy(drop_unmanaged=True)).operations == tuple(
        operations
    )
    only = OwnershipPolicy(drop_unmanaged=["public.users.st*"])
    assert types(list(split_unmanaged(operations, only).operations)) == ["drop_trigger"]


def test_row_security_switched_off_is_kept_but_switching_on_runs() -> None:
    op = AlterRowSecurity("users", "public", False, True, True, False)
    split = split_unmanaged([op], OwnershipPolicy())
    assert split.operations == (AlterRowSecurity("users", "public", True, True, True, False),)
    assert [u.operation for u in split.unmanaged] == [
        AlterRowSecurity("users", "public", False, False, True, False)
    ]


def test_unstated_comments_are_kept_silently() -> None:
    removal = SetComment(EMAIL, None, "c")
    schema = SetComment(ObjectRef.of_schema("public"), None, "standard public schema")
    change = SetComment(TABLE, "new", "old")
    split = split_unmanaged([removal, schema, change], OwnershipPolicy())
    assert (split.operations, split.unmanaged) == ((change,), ())
    dropping = split_unmanaged([removal, schema, change], OwnershipPolicy(drop_unmanaged=True))
    assert dropping.operations == (removal, change)
    excluded = OwnershipPolicy(drop_unmanaged=True, exclude=["public.users.email"])
    assert split_unmanaged([removal], excluded).operations == ()


def test_what_hangs_off_a_kept_table_stays_with_it() -> None:
    table = users(triggers=(trigger(),))
    drops: list[MigrationOperation] = [
        DropTrigger("users", "stamp", "public", trigger()),
        DropFunction("stamp", "public", "", stamp_function()),
        DropTable("users", "public", table),
    ]
    split = split_unmanaged(drops, OwnershipPolicy(drop_unmanaged=["public.stamp"]))
    assert split.operations == ()
    assert [u.describe() for u in split.unmanaged] == [
        "table 'public.users'",
        "function 'public.stamp' (used by kept trigger 'stamp')",
    ]


def test_excluded_triggers_and_policies_are_invisible() -> None:
    current = catalog(users(triggers=(trigger("dba_audit"),), policies=(Policy("dba_p"),)))
    visible = hide_excluded(current, catalog(users()), OwnershipPolicy(exclude=["dba_*"]))
    assert visible == catalog(users())


# --- the WHEN condition --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "condition"),
    [
        (
            "CREATE TRIGGER t BEFORE UPDATE ON public.x FOR EACH ROW WHEN ((new.a > 0)) "
            "EXECUTE FUNCTION f()",
            "(new.a > 0)",
        ),
        (
            'CREATE TRIGGER " WHEN (" BEFORE UPDATE ON public." WHEN (x" FOR EACH ROW '
            "WHEN (new.a <> ' WHEN ( '')'::text) EXECUTE FUNCTION f(')')",
            "new.a <> ' WHEN ( '')'::text",
        ),
        (
            'CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW WHEN (new."a)""(" = (1 + 2)) '
            "EXECUTE FUNCTION f()",
            'new."a)""(" = (1 + 2)',
        ),
    ],
)
def test_when_condition(definition: str, condition: str) -> None:
    assert when_condition(definition) == condition


def test_when_condition_missing_is_an_error() -> None:
    with pytest.raises(LinkgressError, match="WHEN"):
        when_condition("CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW EXECUTE FUNCTION f()")
