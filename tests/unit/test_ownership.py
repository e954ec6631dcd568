"""Ownership policy, the split of a plan's drops, and excluded indexes: no database."""

from __future__ import annotations

import pytest

from linkgress_async.catalog import (
    Catalog,
    CheckConstraint,
    Column,
    Enum,
    Index,
    IndexElement,
    PrimaryKey,
    Sequence,
    SequenceOptions,
    Table,
)
from linkgress_async.diff import DiffContext, diff
from linkgress_async.ops import (
    DropCheckConstraint,
    DropEnum,
    DropIndex,
    DropSequence,
    DropTable,
    EnumColumnUse,
    RebuildEnum,
)
from linkgress_async.plan.ownership import (
    OwnershipPolicy,
    UnmanagedObject,
    hide_excluded,
    split_unmanaged,
)

SEQ = SequenceOptions(1, 1, 1, 9223372036854775807)


def users(*indexes: Index, checks: tuple[CheckConstraint, ...] = ()) -> Table:
    return Table(
        "public",
        "users",
        (Column("id", "integer", False), Column("email", "text")),
        PrimaryKey("users_pkey", ("id",)),
        checks=checks,
        indexes=indexes,
    )


def index(name: str, column: str = "email") -> Index:
    return Index(name, (IndexElement(column),))


def legacy(name: str = "legacy", column_type: str = "integer") -> Table:
    return Table("public", name, (Column("id", column_type),))


# --- the policy -------------------------------------------------------------------------------


def test_default_policy_drops_nothing_and_hides_nothing() -> None:
    policy = OwnershipPolicy()
    assert not policy.may_drop("public", "legacy")
    assert not policy.is_excluded("public", "legacy")


def test_drop_unmanaged_true_drops_every_undeclared_object() -> None:
    assert OwnershipPolicy(drop_unmanaged=True).may_drop("audit", "anything")


def test_drop_unmanaged_patterns_match_schema_dot_name() -> None:
    policy = OwnershipPolicy(drop_unmanaged=["public.tmp_*", "scratch.*"])
    assert policy.drop_unmanaged == ("public.tmp_*", "scratch.*")
    assert policy.may_drop("public", "tmp_import")
    assert policy.may_drop("scratch", "x")
    assert not policy.may_drop("public", "legacy")
    assert not policy.may_drop("audit", "tmp_import")


def test_patterns_are_case_sensitive_like_quoted_identifiers() -> None:
    policy = OwnershipPolicy(drop_unmanaged=("public.Legacy",))
    assert policy.may_drop("public", "Legacy")
    assert not policy.may_drop("public", "legacy")


def test_a_pattern_without_a_dot_matches_the_bare_name_anywhere() -> None:
    policy = OwnershipPolicy(exclude="pg_stat_*")
    assert policy.exclude == ("pg_stat_*",)  # one string is one pattern
    assert policy.is_excluded("public", "pg_stat_cache")
    assert policy.is_excluded("audit", "pg_stat_cache")
    assert policy.is_excluded("public", "pg_stat_ix", table="users")
    assert not policy.is_excluded("public", "users")


def test_index_patterns_name_the_table() -> None:
    policy = OwnershipPolicy(exclude=["public.users.ix_manual_*"])
    assert policy.is_excluded("public", "ix_manual_email", table="users")
    assert not policy.is_excluded("public", "ix_manual_email", table="posts")
    assert not policy.is_excluded("public", "users")


def test_exclude_wins_over_drop_unmanaged() -> None:
    policy = OwnershipPolicy(exclude=["public.keep_*"], drop_unmanaged=True)
    assert not policy.may_drop("public", "keep_me")
    assert policy.may_drop("public", "other")


@pytest.mark.parametrize("bad", [[""], [3], ("ok", None)])
def test_patterns_must_be_non_empty_strings(bad: list[object]) -> None:
    with pytest.raises(TypeError, match="ownership patterns are non-empty strings"):
        OwnershipPolicy(exclude=bad)  # type: ignore[arg-type]  # the error under test


# --- splitting a plan -------------------------------------------------------------------------


def undeclared_catalog() -> Catalog:
    return Catalog(
        schemas=("public",),
        enums=(Enum("public", "mood", ("a", "b")),),
        sequences=(Sequence("public", "counter", SEQ),),
        tables=(users(), legacy(), legacy("tmp_load")),
    )


def test_by_default_undeclared_objects_are_kept_and_reported() -> None:
    current, target = undeclared_catalog(), Catalog(schemas=("public",), tables=(users(),))
    split = split_unmanaged(diff(current, target), OwnershipPolicy())
    assert split.operations == ()
    assert [u.describe() for u in split.unmanaged] == [
        "table 'public.legacy'",
        "table 'public.tmp_load'",
        "sequence 'public.counter'",
        "enum 'public.mood'",
    ]
    assert isinstance(split.unmanaged[0].operation, DropTable)


def test_matching_objects_are_dropped_and_excluded_ones_vanish() -> None:
    current, target = undeclared_catalog(), Catalog(schemas=("public",), tables=(users(),))
    policy = OwnershipPolicy(exclude=["public.legacy"], drop_unmanaged=["public.tmp_*", "*.mood"])
    split = split_unmanaged(diff(current, target), policy)
    assert split.operations == (
        DropTable("tmp_load", "public", legacy("tmp_load")),
        DropEnum("mood", "public", ("a", "b")),
    )
    assert [u.qualified_name for u in split.unmanaged] == ["public.counter"]
    assert isinstance(split.unmanaged[0].operation, DropSequence)


def test_an_enum_a_kept_table_uses_is_kept_even_when_it_matches() -> None:
    current = Catalog(
        schemas=("public",),
        enums=(Enum("public", "mood", ("a",)),),
        tables=(users(), legacy(column_type="public.mood[]")),
    )
    target = Catalog(schemas=("public",), tables=(users(),))
    split = split_unmanaged(diff(current, target), OwnershipPolicy(drop_unmanaged=["public.mood"]))
    assert split.operations == ()
    assert [u.describe() for u in split.unmanaged] == [
        "table 'public.legacy'",
        "enum 'public.mood' (used by kept table 'public.legacy')",
    ]


def test_a_rebuilt_enum_converts_the_columns_of_kept_tables() -> None:
    kept = Table("public", "legacy", (Column("m", "public.mood", True, "'b'::public.mood"),))
    current = Catalog(
        schemas=("public",), enums=(Enum("public", "mood", ("a", "b")),), tables=(kept,)
    )
    target = Catalog(schemas=("public",), enums=(Enum("public", "mood", ("b",)),))
    raw = diff(current, target, DiffContext())
    rebuild = next(op for op in raw if isinstance(op, RebuildEnum))
    assert rebuild.columns == ()  # the diff expects the undeclared table to be dropped
    split = split_unmanaged(raw, OwnershipPolicy())
    assert split.operations == (
        RebuildEnum(
            "mood",
            "public",
            ("a", "b"),
            ("b",),
            (EnumColumnUse("public", "legacy", "m", False, "'b'::public.mood"),),
        ),
    )
    dropped = split_unmanaged(raw, OwnershipPolicy(drop_unmanaged=True))
    assert [op.type for op in dropped.operations] == ["drop_table", "rebuild_enum"]
    assert next(op for op in dropped.operations if isinstance(op, RebuildEnum)).columns == ()


def test_unmanaged_object_describes_itself() -> None:
    item = UnmanagedObject("table", "app", "t", DropTable("t", "app"), reason=None)
    assert item.qualified_name == "app.t"
    assert item.describe() == "table 'app.t'"


# --- excluded indexes and constraints of declared tables --------------------------------------


def test_excluded_index_on_a_declared_table_is_not_dropped() -> None:
    live = users(
        index("ix_manual_email"),
        index("ix_stale"),
        checks=(CheckConstraint("manual_check", "(id > 0)"),),
    )
    current = Catalog(schemas=("public",), tables=(live,))
    target = Catalog(schemas=("public",), tables=(users(),))
    policy = OwnershipPolicy(exclude=["public.users.ix_manual_*", "public.users.manual_check"])
    visible = hide_excluded(current, target, policy)
    assert diff(visible, target) == [DropIndex("users", "ix_stale", "public", index("ix_stale"))]
    assert {type(op) for op in diff(current, target)} == {DropIndex, DropCheckConstraint}


def test_a_declared_index_stays_visible_even_when_a_pattern_matches_it() -> None:
    current = Catalog(schemas=("public",), tables=(users(index("ix_manual", "id")),))
    target = Catalog(schemas=("public",), tables=(users(index("ix_manual")),))
    policy = OwnershipPolicy(exclude=["public.users.ix_*"])
    visible = hide_excluded(current, target, policy)
    assert visible == current
    assert [op.type for op in diff(visible, target)] == ["drop_index", "create_index"]


def test_hide_excluded_without_patterns_is_the_identity() -> None:
    current = undeclared_catalog()
    assert hide_excluded(current, Catalog(), OwnershipPolicy()) is current
