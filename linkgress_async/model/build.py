"""Check a declared model as a whole and produce the frozen :class:`Catalog`.

Checks that need only one entity live in :mod:`~linkgress_async.model.tables`, foreign keys in
:mod:`~linkgress_async.model.relationships`; here are the checks across the whole model: one
table per entity, and PostgreSQL's per-schema and per-table name spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
from attrs import frozen

from linkgress_async.catalog import Catalog, DatabaseSetting, Enum, QualifiedName, Sequence
from linkgress_async.errors import ModelError
from linkgress_async.model._values import BuildValues
from linkgress_async.model.relationships import LINKGRESS_TS_NAMING, add_foreign_keys
from linkgress_async.model.specs import ModelSpec, entity_name
from linkgress_async.model.statistics import statistics_of
from linkgress_async.model.table_parts import add_part_comments, add_table_parts
from linkgress_async.model.tables import TableDraft, build_table, check_identifier
from linkgress_async.render.quote import identifier_problem

__all__ = ["BuiltModel", "EntityMapping", "build_catalog"]


@frozen
class EntityMapping:
    """Where an entity class is stored: its table and the column of each property."""

    entity: type
    table: QualifiedName
    properties: tuple[tuple[str, str], ...]
    """(property name, column name) pairs in configuration order."""

    @property
    def columns(self) -> dict[str, str]:
        """Property name → column name."""
        return dict(self.properties)

    def column(self, property_name: str) -> str:
        """The column that stores ``property_name``."""
        for name, column in self.properties:
            if name == property_name:
                return column
        raise KeyError(property_name)


@frozen
class BuiltModel:
    """A built model: the catalog, and how each entity class maps onto it."""

    catalog: Catalog
    entities: Mapping[type, EntityMapping]


def build_catalog(spec: ModelSpec) -> BuiltModel:
    """Check the declared model and build its catalog; raise ModelError on any problem."""
    tables: dict[type, TableDraft] = {}
    owners: dict[tuple[str, str], TableDraft] = {}
    values = BuildValues()
    # Linkgress ignores an identity's sequence name: its sequences have the default one.
    identity_names = spec.naming != LINKGRESS_TS_NAMING
    for entity in spec.entities.values():
        draft = build_table(entity, spec.enums, identity_names=identity_names, values=values)
        add_table_parts(draft)
        clash = owners.get((draft.schema, draft.name))
        if clash is not None:
            raise ModelError(
                f"{entity.label} and {clash.entity.label} are both mapped to table "
                f"{draft.schema}.{draft.name}; map each entity to its own table"
            )
        owners[draft.schema, draft.name] = draft
        tables[entity.cls] = draft
    _link_parents(tables)
    add_foreign_keys(tables, naming=spec.naming)
    for draft in tables.values():
        _check_constraint_names(draft)
        add_part_comments(draft)
    _check_schema_names(spec, tables.values())
    _check_rename_hints(spec, tables.values())
    schemas = _schemas(spec, tables.values())
    drafts = list(tables.values())
    catalog = Catalog(
        schemas=schemas,
        enums=[
            Enum(
                handle.schema,
                handle.name,
                handle.values,
                spec.enum_renames.get(handle.qualified_name),
            )
            for handle in spec.enums
        ],
        sequences=_owned_sequences(spec, tables),
        tables=[draft.finish() for draft in tables.values()],
        views=spec.views,
        functions=spec.functions,
        extensions=spec.extensions,
        statistics=[
            statistics_of(
                spec,
                draft.schema,
                draft.name,
                tuple(draft.resolve(c, f"{draft.label}, statistics") for c in spec.columns),
                draft.label,
            )
            for draft in tables.values()
            for spec in draft.entity.statistics
        ],
        database_settings=[
            DatabaseSetting(name, value) for name, value in spec.database_settings.items()
        ],
        domains=spec.domains,
        composite_types=spec.composite_types,
        materialized_views=spec.materialized_views,
        aggregates=spec.aggregates,
        comments=[*spec.comments, *(c for d in drafts for c in d.comments)],
        grants=[*spec.grants, *(g for d in drafts for g in d.grants)],
        owners=[*spec.owners, *(o for d in drafts for o in d.owners)],
    )
    entities = {
        cls: EntityMapping(cls, draft.qualified_name, tuple(draft.property_columns.items()))
        for cls, draft in tables.items()
    }
    return BuiltModel(catalog, entities)


def _owned_sequences(spec: ModelSpec, tables: Mapping[type, TableDraft]) -> list[Sequence]:
    """The declared sequences, with the column that owns each (``owned_by=``)."""
    sequences: list[Sequence] = []
    for sequence in spec.sequences:
        owner = spec.sequence_owners.get(sequence.qualified_name)
        if owner is not None:
            cls, prop = owner
            where = f"sequence {sequence.schema}.{sequence.name}, owned_by"
            draft = tables.get(cls)
            if draft is None:
                raise ModelError(
                    f"{where}: {entity_name(cls)} is not an entity of this model; declare "
                    f"it with model.entity({entity_name(cls)}).to_table(...)"
                )
            if draft.schema != sequence.schema:
                raise ModelError(
                    f"{where}: a sequence is owned by a table in its own schema "
                    f"({sequence.schema}), not {draft.schema}; move one of them"
                )
            column = draft.resolve(prop, where)
            sequence = attrs.evolve(sequence, owned_by=(draft.qualified_name, column))
        sequences.append(sequence)
    return sequences


def _parent(
    tables: Mapping[type, TableDraft], draft: TableDraft, parent: type, call: str
) -> TableDraft:
    found = tables.get(parent)
    if found is None:
        raise ModelError(
            f"{draft.label}: {call}({entity_name(parent)}) names an entity this model does not "
            f"map; declare it with model.entity({entity_name(parent)}).to_table(...)"
        )
    return found


def _link_parents(tables: Mapping[type, TableDraft]) -> None:
    """Partitions' and inheritance children's parents, as tables."""
    for draft in tables.values():
        entity = draft.entity
        if entity.partition_of is None and not entity.inherits:
            continue  # most tables: no parent to link or to check for cycles
        if entity.partition_of is not None and entity.inherits:
            raise ModelError(
                f"{draft.label}: a partition cannot also inherit (is_partition_of and "
                "inherits); choose one"
            )
        if entity.partition_of is not None:
            parent = _parent(tables, draft, entity.partition_of, "is_partition_of")
            if parent.partition_by is None:
                raise ModelError(
                    f"{draft.label}: is_partition_of({entity_name(entity.partition_of)}) names "
                    "a table that is not partitioned; call has_partitioning(...) on it"
                )
            draft.partition_of = parent.qualified_name
        parents = [_parent(tables, draft, cls, "inherits") for cls in entity.inherits]
        for parent in parents:
            if parent.partition_by is not None or parent.entity.partition_of is not None:
                raise ModelError(
                    f"{draft.label}: inherits({entity_name(parent.entity.cls)}) names a "
                    "partitioned table or a partition, which PostgreSQL cannot inherit from; "
                    "use is_partition_of or another parent"
                )
        draft.inherits = tuple(parent.qualified_name for parent in parents)
    for draft in tables.values():
        if _parent_classes(draft):
            _check_no_cycle(tables, draft)


def _check_no_cycle(tables: Mapping[type, TableDraft], draft: TableDraft) -> None:
    seen = [draft.entity.cls]
    frontier = list(_parent_classes(draft))
    while frontier:
        cls = frontier.pop()
        if cls is draft.entity.cls:
            raise ModelError(
                f"{draft.label} is its own ancestor through is_partition_of/inherits; "
                "break the cycle"
            )
        if cls in seen:
            continue
        seen.append(cls)
        frontier.extend(_parent_classes(tables[cls]))


def _parent_classes(draft: TableDraft) -> tuple[type, ...]:
    entity = draft.entity
    return (entity.partition_of,) if entity.partition_of is not None else entity.inherits


def _schemas(spec: ModelSpec, tables: Iterable[TableDraft]) -> set[str]:
    used = set(spec.schemas)
    used.update(draft.schema for draft in tables)
    used.update(handle.schema for handle in spec.enums)
    used.update(sequence.schema for sequence in spec.sequences)
    used.update(view.schema for view in spec.views)
    used.update(function.schema for function in spec.functions)
    used.update(extension.schema for extension in spec.extensions)
    used.update(domain.schema for domain in spec.domains)
    used.update(composite.schema for composite in spec.composite_types)
    used.update(view.schema for view in spec.materialized_views)
    used.update(aggregate.schema for aggregate in spec.aggregates)
    for schema in used:
        check_identifier(schema, f"schema {schema!r}")
        if schema.startswith("pg_"):
            raise ModelError(
                f"schema {schema!r}: names beginning with 'pg_' are reserved for PostgreSQL's "
                "system schemas; choose another schema name"
            )
    return used


def _check_constraint_names(draft: TableDraft) -> None:
    # The common case, no clash, is answered by counting names; the loops below, which
    # say who clashes, run only when there is a clash.
    keys = [unique.name for unique in draft.uniques]
    keys += [check.name for check in draft.checks]
    keys += [key.name for key in draft.foreign_keys]
    keys += [exclusion.name for exclusion in draft.exclusions]
    if draft.primary_key is not None:
        keys.append(draft.primary_key.name)
    triggers = {trigger.name for trigger in draft.triggers}
    policies = {policy.name for policy in draft.policies}
    distinct = len(triggers) == len(draft.triggers) and len(policies) == len(draft.policies)
    if distinct and len(set(keys)) == len(keys):
        return
    seen: dict[str, str] = {}
    named: list[tuple[str, str]] = []
    if draft.primary_key is not None:
        named.append((draft.primary_key.name, "the primary key"))
    named += [(unique.name, "a unique constraint") for unique in draft.uniques]
    named += [(check.name, "a check constraint") for check in draft.checks]
    named += [(fk.name, "a foreign key") for fk in draft.foreign_keys]
    named += [(x.name, "an exclusion constraint") for x in draft.exclusions]
    for name, what in named:
        if name in seen:
            raise ModelError(
                f"{draft.label}: {what} and {seen[name]} are both named {name!r}; "
                "constraint names must be unique within a table, so rename one"
            )
        seen[name] = what
    for kind, items in (("trigger", draft.triggers), ("policy", draft.policies)):
        names: set[str] = set()
        for item in items:
            if item.name in names:
                raise ModelError(
                    f"{draft.label}: two {kind} declarations are named {item.name!r}; "
                    f"{kind} names must be unique within a table"
                )
            names.add(item.name)


def _check_hints(hints: Iterable[tuple[str, str, str]], scope: str) -> None:
    """Each old name is claimed by one object of ``scope`` at most.

    An old name may be declared again (a chain: ``b`` renamed from ``a``, ``c`` from ``b``).
    """
    claimed: dict[str, str] = {}
    for old, new, what in hints:
        if old == new:
            continue  # a hint naming the object itself changes nothing
        if old in claimed:
            raise ModelError(
                f"{what} and {claimed[old]} are both renamed_from {old!r} in {scope}; "
                "only one object can take over the old one"
            )
        claimed[old] = what


def _check_rename_hints(spec: ModelSpec, tables: Iterable[TableDraft]) -> None:
    drafts = list(tables)
    renamed = [d for d in drafts if d.entity.renamed_from is not None]
    for schema in {d.schema for d in drafts} | {h.schema for h in spec.enums}:
        in_schema = [d for d in renamed if d.schema == schema]
        _check_hints(
            (
                (d.entity.renamed_from, d.name, f"table of {d.label}")
                for d in in_schema
                if d.entity.renamed_from is not None
            ),
            f"schema {schema!r}",
        )
        enums = [h for h in spec.enums if h.schema == schema]
        _check_hints(
            (
                (spec.enum_renames[h.qualified_name], h.name, f"enum {schema}.{h.name}")
                for h in enums
                if h.qualified_name in spec.enum_renames
            ),
            f"schema {schema!r}",
        )
    for draft in drafts:
        hints = [
            (c.renamed_from, c.name) for c in draft.columns.values() if c.renamed_from is not None
        ]
        if hints:  # most tables rename no column
            _check_hints(
                ((old, name, f"{draft.label}, column {name!r}") for old, name in hints),
                draft.label,
            )


def _check_schema_names(spec: ModelSpec, tables: Iterable[TableDraft]) -> None:
    # Tables, indexes, sequences and the indexes behind primary keys and unique constraints
    # share one name space per schema; enums share another with the tables' row types.
    # Keyed by plain tuples: hashing a QualifiedName was most of a claim's cost.
    relations: dict[tuple[str, str], str] = {}
    types: dict[tuple[str, str], str] = {}

    def claim(space: dict[tuple[str, str], str], schema: str, name: str, what: str) -> None:
        key = (schema, name)
        if key in space:
            raise ModelError(
                f"{what} and {space[key]} are both named {name!r} in schema {schema!r}; "
                "PostgreSQL requires distinct names there, so rename one"
            )
        space[key] = what

    for handle in spec.enums:
        claim(types, handle.schema, handle.name, f"enum {handle.schema}.{handle.name}")
    for sequence in spec.sequences:
        claim(relations, sequence.schema, sequence.name, f"sequence {sequence.qualified_name}")
    for view in spec.views:
        claim(relations, view.schema, view.name, f"view {view.qualified_name}")
        claim(types, view.schema, view.name, f"the row type of view {view.qualified_name}")
    for matview in spec.materialized_views:
        what = f"materialized view {matview.qualified_name}"
        claim(relations, matview.schema, matview.name, what)
        claim(types, matview.schema, matview.name, f"the row type of {what}")
        for index in matview.indexes:
            claim(relations, matview.schema, index.name, f"index {index.name!r} of {what}")
    for domain in spec.domains:
        claim(types, domain.schema, domain.name, f"domain {domain.qualified_name}")
    for composite in spec.composite_types:
        claim(types, composite.schema, composite.name, f"composite type {composite.qualified_name}")
    for draft in tables:
        claim(relations, draft.schema, draft.name, f"table of {draft.label}")
        claim(types, draft.schema, draft.name, f"the row type of {draft.label}")
        if draft.primary_key is not None:
            claim(relations, draft.schema, draft.primary_key.name, f"primary key of {draft.label}")
        for unique in draft.uniques:
            claim(
                relations,
                draft.schema,
                unique.name,
                f"unique constraint {unique.name!r} of {draft.label}",
            )
        for index in draft.indexes:
            claim(relations, draft.schema, index.name, f"index {index.name!r} of {draft.label}")
        for exclusion in draft.exclusions:
            what = f"exclusion constraint {exclusion.name!r} of {draft.label}"
            claim(relations, draft.schema, exclusion.name, what)
    for draft in tables:
        # Owned sequences come last so that the message blames them, not the user's object.
        for name, what in draft.owned_sequences:
            if identifier_problem(name) is None:
                claim(relations, draft.schema, name, f"{what} ({draft.label})")
