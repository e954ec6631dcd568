"""The declarations the fluent builders record, before they are checked and built.

These are mutable on purpose: a builder is configured over many calls (and an entity may be
configured in several places), and nothing outside the model package sees them. The build
stage (:mod:`linkgress_async.model.build`) turns them into the frozen catalog.
"""

from __future__ import annotations

from typing import Literal

from attrs import define, field, frozen

from linkgress_async.catalog import (
    Aggregate,
    Comment,
    CompositeType,
    Domain,
    Extension,
    ForeignKeyAction,
    ForeignKeyMatch,
    Function,
    Grant,
    MaterializedView,
    Owner,
    PolicyCommand,
    QualifiedName,
    Sequence,
    TriggerEnabled,
    View,
)
from linkgress_async.model.keys import IndexKey
from linkgress_async.model.search import SearchKey
from linkgress_async.model.statistics import StatisticsSpec
from linkgress_async.model.types import ColumnType, GeneratedSpec, pg_enum
from linkgress_async.render.quote import RawSql

__all__ = [
    "CheckSpec",
    "DefaultSpec",
    "EntitySpec",
    "ExclusionSpec",
    "GrantSpec",
    "IndexSpec",
    "KeySpec",
    "ModelSpec",
    "PolicySpec",
    "PropertySpec",
    "RelationshipSpec",
    "TriggerSpec",
    "UniqueSpec",
    "entity_name",
]


def entity_name(cls: type) -> str:
    """A class's name as messages show it (``Outer.Inner``, without ``<locals>``)."""
    return cls.__qualname__.rsplit("<locals>.", 1)[-1]


@frozen
class DefaultSpec:
    """A column default: a Python value to render as a literal, or SQL text."""

    value: object = None
    is_sql: bool = False


@frozen
class GrantSpec:
    """``grant(...)``/``revoke(...)`` as declared: privileges of roles (on columns, if any)."""

    privileges: tuple[str, ...]
    roles: tuple[str, ...]
    grantable: bool = False
    revoke: bool = False
    columns: tuple[str, ...] = ()


@frozen
class KeySpec:
    """Options of a primary key or unique constraint beyond its columns."""

    include: tuple[str, ...] = ()
    nulls_not_distinct: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    without_overlaps: bool = False
    options: tuple[str, ...] = ()
    comment: str | None = None


@define
class PropertySpec:
    """One configured property of an entity."""

    name: str
    column_type: ColumnType | None = None
    required: bool = False
    nullable_serial: bool = False
    """``is_required(False)`` on a serial column: its NOT NULL is dropped."""
    not_null_name: str | None = None
    unique: bool = False
    unique_name: str | None = None
    default: DefaultSpec | None = None
    renamed_from: str | None = None
    collation: str | None = None
    generated: GeneratedSpec | None = None
    comment: str | None = None
    # Tuples, not lists: few properties have grants, and a large model has tens of
    # thousands of properties, whose empty lists the cyclic collector had to walk.
    grants: tuple[GrantSpec, ...] = ()
    sequence_comment: str | None = None
    """``has_sequence_comment``: on the column's identity or serial sequence."""
    sequence_grants: tuple[GrantSpec, ...] = ()
    """``grant_on_sequence``: on the column's identity or serial sequence."""


@define
class IndexSpec:
    """``has_index``: key elements are property names, ``sql(...)`` keys or ``index_key``s;
    ``opclass`` applies to the keys that name none."""

    name: str
    elements: tuple[str | RawSql | IndexKey | SearchKey, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    renamed_from: str | None = None
    opclass: str | None = None
    nulls_not_distinct: bool = False
    options: tuple[str, ...] = ()
    comment: str | None = None


@define
class UniqueSpec:
    """``has_unique``; a ``None`` name gets PostgreSQL's ``{table}_{cols}_key``."""

    name: str | None
    properties: tuple[str, ...]
    renamed_from: str | None = None
    key: KeySpec = KeySpec()


@define
class CheckSpec:
    """``has_check``."""

    name: str
    expression: str
    renamed_from: str | None = None
    not_valid: bool = False
    no_inherit: bool = False
    enforced: bool = True
    comment: str | None = None


@define
class ExclusionSpec:
    """``has_exclusion``: the ``EXCLUDE ...`` text and its deferral."""

    name: str
    definition: str
    deferrable: bool = False
    initially_deferred: bool = False
    comment: str | None = None
    renamed_from: str | None = None


@define
class TriggerSpec:
    """``has_trigger``: the trigger as declared (``function`` is ``schema.name``)."""

    name: str
    function: QualifiedName
    timing: Literal["before", "after", "instead of"]
    events: tuple[Literal["insert", "delete", "update", "truncate"], ...]
    level: Literal["row", "statement"]
    arguments: tuple[str, ...] = ()
    update_of: tuple[str, ...] = ()
    when: str | None = None
    old_table: str | None = None
    new_table: str | None = None
    constraint: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    enabled: TriggerEnabled = "origin"
    comment: str | None = None
    renamed_from: str | None = None


@define
class PolicySpec:
    """``has_policy``."""

    name: str
    command: PolicyCommand = "all"
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    with_check: str | None = None
    comment: str | None = None
    renamed_from: str | None = None


@define
class RelationshipSpec:
    """``has_one`` / ``has_many`` as configured; unset options are ``None``."""

    owner: type
    kind: Literal["one", "many"]
    navigation: str
    target: type
    foreign_key: tuple[str, ...] | None = None
    principal_key: tuple[str, ...] | None = None
    on_delete: ForeignKeyAction | None = None
    on_update: ForeignKeyAction | None = None
    name: str | None = None
    required: bool = False
    renamed_from: str | None = None
    any_key_types: bool = False
    """``allow_type_mismatch()``: the key columns' types need not match the referenced ones."""
    delete_set_columns: tuple[str, ...] | None = None
    """``on_delete("set null", columns=...)``: the properties the action sets."""
    match: ForeignKeyMatch | None = None
    deferrable: bool | None = None
    initially_deferred: bool | None = None
    not_valid: bool | None = None
    enforced: bool | None = None
    period: bool | None = None
    inverse: bool = False
    """``is_inverse_navigation()``: a navigation only; the key is declared on the other side."""

    @property
    def dependent(self) -> type:
        """The entity whose table holds the foreign key."""
        return self.owner if self.kind == "one" else self.target

    @property
    def principal(self) -> type:
        """The entity the foreign key references."""
        return self.target if self.kind == "one" else self.owner

    def describe(self) -> str:
        """How the user wrote it, for error messages."""
        call = "has_one" if self.kind == "one" else "has_many"
        return (
            f"entity {entity_name(self.owner)}, relationship "
            f"{call}({self.navigation!r}, {entity_name(self.target)})"
        )


@define
class EntitySpec:
    """Everything configured for one entity class."""

    cls: type
    table: str | None = None
    schema: str | None = None
    renamed_from: str | None = None
    properties: dict[str, PropertySpec] = field(factory=dict)
    # The parts are tuples, not lists: a large model has thousands of entities, and their
    # empty lists (most entities have no checks, triggers, policies...) were objects for
    # the cyclic collector to walk.
    indexes: tuple[IndexSpec, ...] = ()
    uniques: tuple[UniqueSpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    primary_key: tuple[str, ...] | None = None
    primary_key_name: str | None = None
    primary_key_options: KeySpec = KeySpec()
    relationships: tuple[RelationshipSpec, ...] = ()
    exclusions: tuple[ExclusionSpec, ...] = ()
    statistics: tuple[StatisticsSpec, ...] = ()
    triggers: tuple[TriggerSpec, ...] = ()
    policies: tuple[PolicySpec, ...] = ()
    rls_enabled: bool = False
    rls_forced: bool = False
    unlogged: bool = False
    storage: tuple[str, ...] = ()
    partition_by: str | None = None
    """``has_partitioning`` over a raw key: ``RANGE (date_trunc('month', at))``."""
    partition_columns: tuple[str, tuple[str, ...]] | None = None
    """``has_partitioning`` over properties: (strategy, property names)."""
    partition_of: type | None = None
    """``is_partition_of``: the parent entity class."""
    partition_bound: str | None = None
    """``is_partition_of``: ``FOR VALUES ...`` or ``DEFAULT``."""
    inherits: tuple[type, ...] = ()
    """``inherits``: the parent entity classes of classic inheritance, in order."""
    comment: str | None = None
    grants: tuple[GrantSpec, ...] = ()
    owner: str | None = None
    part_comments: tuple[tuple[Literal["constraint", "index"], str, str], ...] = ()
    """``has_constraint_comment`` / ``has_index_comment``: (kind, name, comment)."""
    label: str = field(init=False, eq=False, repr=False)
    """The entity as error messages name it; spelled once, as the builders and the build
    stage pass it along for every property (tens of thousands of times in a large model)."""

    @label.default
    def _label(self) -> str:
        return f"entity {entity_name(self.cls)}"


@define
class ModelSpec:
    """The whole declared model."""

    entities: dict[type, EntitySpec] = field(factory=dict)
    naming: str = "default"
    """Default-name and relationship conventions: ``"default"`` or ``"linkgress-ts"``."""
    database_settings: dict[str, str] = field(factory=dict)
    """``has_db_setting``: name -> the text PostgreSQL stores."""
    enums: list[pg_enum] = field(factory=list)
    sequences: list[Sequence] = field(factory=list)
    schemas: list[str] = field(factory=list)
    enum_renames: dict[QualifiedName, str] = field(factory=dict)
    """Enum → the name it was renamed from (``model.enum(..., renamed_from=...)``)."""
    views: list[View] = field(factory=list)
    functions: list[Function] = field(factory=list)
    extensions: list[Extension] = field(factory=list)
    domains: list[Domain] = field(factory=list)
    composite_types: list[CompositeType] = field(factory=list)
    materialized_views: list[MaterializedView] = field(factory=list)
    aggregates: list[Aggregate] = field(factory=list)
    comments: list[Comment] = field(factory=list)
    """Comments on schema-level objects, known when they are declared (routines carry a
    placeholder member until the canonical stage knows their argument types)."""
    grants: list[Grant] = field(factory=list)
    owners: list[Owner] = field(factory=list)
    sequence_owners: dict[QualifiedName, tuple[type, str]] = field(factory=dict)
    """Sequence -> the (entity, property) whose column owns it (``owned_by=``)."""
