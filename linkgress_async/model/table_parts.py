"""The parts of an entity's table beyond its columns and keys: indexes, exclusion
constraints, triggers, policies, partitioning, and the comments, privileges and owner that
attach to the table and its parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from linkgress_async.catalog import (
    Comment,
    ExclusionConstraint,
    Grant,
    Index,
    IndexElement,
    ObjectKind,
    ObjectRef,
    Owner,
    Policy,
)
from linkgress_async.errors import ModelError
from linkgress_async.model._args import check_identifier
from linkgress_async.model.keys import IndexKey
from linkgress_async.model.search import SearchKey
from linkgress_async.model.specs import GrantSpec, IndexSpec
from linkgress_async.model.tables import TableDraft
from linkgress_async.model.triggers import trigger_of
from linkgress_async.render.quote import RawSql, quote_ident

__all__ = ["add_part_comments", "add_table_parts"]


class _Commented(Protocol):
    """A declared part of a table that may carry a comment (check, trigger, policy...)."""

    @property
    def name(self) -> str: ...

    @property
    def comment(self) -> str | None: ...


def add_table_parts(draft: TableDraft) -> None:
    """Everything of ``draft``'s entity that is not a column or a key."""
    entity = draft.entity
    for index in entity.indexes:
        draft.indexes.append(_index(draft, index))
    for exclusion in entity.exclusions:
        draft.exclusions.append(
            ExclusionConstraint(
                exclusion.name,
                exclusion.definition,
                exclusion.renamed_from,
                exclusion.deferrable,
                exclusion.initially_deferred,
            )
        )
    for trigger in entity.triggers:
        where = f"{draft.label}, trigger {trigger.name!r}"
        draft.triggers.append(
            trigger_of(
                trigger,
                tuple(draft.resolve(name, where + ", update_of") for name in trigger.update_of),
            )
        )
    for policy in entity.policies:
        draft.policies.append(
            Policy(
                policy.name,
                policy.command,
                policy.permissive,
                policy.roles,
                policy.using,
                policy.with_check,
                policy.renamed_from,
            )
        )
    if entity.partition_columns is not None:
        strategy, properties = entity.partition_columns
        where = f"{draft.label}, has_partitioning"
        key = ", ".join(quote_ident(draft.resolve(name, where)) for name in properties)
        draft.partition_by = f"{strategy.upper()} ({key})"
    else:
        draft.partition_by = entity.partition_by
    _attach(draft)


def _index_where(draft: TableDraft, spec: IndexSpec) -> str:
    return f"{draft.label}, index {spec.name!r}"


def _element(
    draft: TableDraft, spec: IndexSpec, key: str | RawSql | IndexKey | SearchKey
) -> IndexElement:
    if isinstance(key, str):
        # The common key; the message's context is spelled only for a bad name.
        found = draft.column_of(key) or draft.resolve(key, _index_where(draft, spec))
        return draft.values.element(found, spec.opclass)  # one object per distinct key
    where = _index_where(draft, spec)
    if isinstance(key, SearchKey):
        searched = draft.resolve(key.key, where)
        return IndexElement(
            expression=key.expression(quote_ident(searched)),
            opclass=key.opclass if key.opclass is not None else spec.opclass,
        )
    if isinstance(key, RawSql):
        # The server parses a raw key, options and all, in the canonical stage.
        return IndexElement(expression=key.text, raw=True)
    if isinstance(key.key, RawSql):
        column, expression = None, key.key.text
    else:
        column, expression = draft.resolve(key.key, where), None
    nulls_first = None if key.nulls is None else key.nulls == "first"
    # NULLS LAST is the default of an ascending key, NULLS FIRST of a descending one.
    if nulls_first is not None and nulls_first == key.descending:
        nulls_first = None
    return IndexElement(
        column=column,
        expression=expression,
        collation=key.collation,
        opclass=key.opclass if key.opclass is not None else spec.opclass,
        opclass_options=key.opclass_options,
        descending=key.descending,
        nulls_first=nulls_first,
    )


def _index(draft: TableDraft, spec: IndexSpec) -> Index:
    check_identifier(spec.name, lambda: _index_where(draft, spec))
    include = spec.include
    if include:
        where = _index_where(draft, spec) + " include"
        include = tuple([draft.resolve(name, where) for name in include])
    return Index(
        spec.name,
        tuple([_element(draft, spec, key) for key in spec.elements]),
        spec.unique,
        spec.method,
        spec.where,
        include,
        spec.renamed_from,
        nulls_not_distinct=spec.nulls_not_distinct,
        options=spec.options,
    )


def _grants(target: ObjectRef, spec: GrantSpec, first: int = 0) -> list[Grant]:
    """The grants of ``spec``, numbered from ``first`` in declaration order (the diff grants
    in it, so the ACL lists the roles in that order)."""
    pairs = [(privilege, role) for privilege in spec.privileges for role in spec.roles]
    return [
        Grant(target, role, privilege, spec.grantable, spec.revoke, first + number)
        for number, (privilege, role) in enumerate(pairs)
    ]


def _sequence_of(draft: TableDraft, column: str) -> str:
    """The name of the identity or serial sequence of ``column``."""
    found = draft.columns[column]
    if found.identity is not None and found.identity.sequence_name is not None:
        return found.identity.sequence_name
    if found.identity is None and not draft.types[column].is_serial:
        raise ModelError(
            f"{draft.label}: column {column!r} has no sequence of its own (not identity nor "
            "serial); declare grants and comments of a standalone sequence on model.sequence()"
        )
    return f"{draft.name}_{column}_seq"


def _attach(draft: TableDraft) -> None:
    """The comments, privileges and owner of the table, its columns and its parts."""
    entity = draft.entity
    schema, table = draft.schema, draft.name
    ref = ObjectRef("table", schema, table)
    comments = draft.comments
    # References are made only for what has a comment or a grant: most parts have neither.
    if entity.comment is not None:
        comments.append(Comment(ref, entity.comment))
    for prop in entity.properties.values():
        bare = prop.comment is None and prop.sequence_comment is None
        if bare and not prop.grants and not prop.sequence_grants:
            continue
        column = draft.property_columns.get(prop.name)
        if column is None:
            continue
        column_ref = ObjectRef("column", schema, table, column)
        if prop.comment is not None:
            comments.append(Comment(column_ref, prop.comment))
        for spec in prop.grants:
            draft.grants.extend(_grants(column_ref, spec, len(draft.grants)))
        if prop.sequence_comment is not None or prop.sequence_grants:
            sequence = ObjectRef("sequence", schema, _sequence_of(draft, column))
            if prop.sequence_comment is not None:
                comments.append(Comment(sequence, prop.sequence_comment))
            for spec in prop.sequence_grants:
                draft.grants.extend(_grants(sequence, spec, len(draft.grants)))
    # Primary key and unique constraint comments were added when their names were known.
    members: tuple[tuple[ObjectKind, Sequence[_Commented]], ...] = (
        ("constraint", entity.checks),
        ("constraint", entity.exclusions),
        ("trigger", entity.triggers),
        ("policy", entity.policies),
    )
    for kind, parts in members:
        for part in parts:
            if part.comment is not None:
                comments.append(Comment(ObjectRef(kind, schema, table, part.name), part.comment))
    for index in entity.indexes:
        if index.comment is not None:
            comments.append(Comment(ObjectRef("index", schema, index.name), index.comment))
    for spec in entity.grants:
        if spec.columns:
            for name in spec.columns:
                column = draft.resolve(name, f"{draft.label}: grant")
                column_ref = ObjectRef("column", schema, table, column)
                draft.grants.extend(_grants(column_ref, spec, len(draft.grants)))
        else:
            draft.grants.extend(_grants(ref, spec, len(draft.grants)))
    if entity.owner is not None:
        draft.owners.append(Owner(ref, entity.owner))


def add_part_comments(draft: TableDraft) -> None:
    """The comments of ``has_constraint_comment`` and ``has_index_comment``, once every
    constraint of the table is known (foreign keys come last)."""
    if not draft.entity.part_comments:
        return
    schema, table = draft.schema, draft.name
    constraints = {key.name for key in draft.uniques}
    constraints.update(check.name for check in draft.checks)
    constraints.update(key.name for key in draft.foreign_keys)
    constraints.update(exclusion.name for exclusion in draft.exclusions)
    constraints.update(c.not_null_name for c in draft.columns.values() if c.not_null_name)
    if draft.primary_key is not None:
        constraints.add(draft.primary_key.name)
    # A key's index has the key's name.
    key_names = [unique.name for unique in draft.uniques]
    key_names += [exclusion.name for exclusion in draft.exclusions]
    if draft.primary_key is not None:
        key_names.append(draft.primary_key.name)
    indexes = {index.name for index in draft.indexes} | set(key_names)
    for kind, name, text in draft.entity.part_comments:
        known = constraints if kind == "constraint" else indexes
        if name not in known:
            declared = ", ".join(sorted(known)) or "none"
            raise ModelError(
                f"{draft.label}: has_{kind}_comment names {kind} {name!r}, which the table "
                f"does not have (its {kind}s: {declared}); name one the entity declares"
            )
        if kind == "constraint":
            ref = ObjectRef("constraint", schema, table, name)
        else:
            ref = ObjectRef("index", schema, name)
        draft.comments.append(Comment(ref, text))
