"""Ownership: which objects of the managed schemas the schema manager may drop.

Pure and synchronous. The model *declares* objects; everything else the database holds in the
schemas the model uses is *unmanaged*. The diff would drop an unmanaged table, enum or
sequence (it makes the database match the model); :func:`split_unmanaged` withholds those
drops unless the user opted in with :attr:`OwnershipPolicy.drop_unmanaged`, and reports what
it kept. :attr:`OwnershipPolicy.exclude` makes objects invisible: never reported, never
dropped, never compared. :func:`hide_excluded` applies it to the indexes and constraints of
declared tables (which otherwise belong to the table's declared shape).

Patterns are :func:`fnmatch.fnmatchcase` patterns (case-sensitive, like quoted identifiers)
matched against ``schema.name`` for top-level objects (tables, enums, sequences, views,
materialized views, functions, procedures, aggregates, domains, composite types, and
extensions by the schema they are installed in) and ``schema.table.name`` for the indexes,
constraints, triggers and policies of a table. A pattern without a dot also matches the bare
name in any schema (or on any table).

An undeclared object that is kept is kept as it is: :func:`owned_diff` diffs again with the
kept objects as if the model declared them, so that nothing the plan does on their account
(a view dropped and created again because a function it calls would have been dropped)
remains once their drop is withheld.

What hangs off a declared table follows the same rule as an undeclared table: a trigger or a
policy the model does not declare is kept and reported, and so is row-level security the
model does not switch on. A comment the model does not state is kept without a report. All
of them go only with ``drop_unmanaged`` (schemas' and extensions' comments never do, like
schemas). (Privileges are managed per role and owners only where the model states one, by
the diff itself.)

The policy and its patterns, and the values a split yields, live in
:mod:`linkgress_async.plan.ownership_policy`; :func:`hide_excluded` in
:mod:`linkgress_async.plan.ownership_excluded`. This module splits a diff; every name stays
importable from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from linkgress_async.catalog import (
    Catalog,
    Column,
    Dependency,
    ObjectRef,
    QualifiedName,
    Table,
    Trigger,
)
from linkgress_async.diff import diff
from linkgress_async.diff.context import DiffContext
from linkgress_async.ops import (
    AlterRowSecurity,
    CreateMaterializedView,
    CreateView,
    DropAggregate,
    DropCompositeType,
    DropDomain,
    DropEnum,
    DropExtension,
    DropFunction,
    DropMaterializedView,
    DropPolicy,
    DropSequence,
    DropTable,
    DropTrigger,
    DropView,
    EnumColumnUse,
    MigrationOperation,
    RebuildEnum,
    SetComment,
)
from linkgress_async.plan.ownership_excluded import hide_excluded
from linkgress_async.plan.ownership_hierarchy import keep_hierarchies, keep_owned_sequences
from linkgress_async.plan.ownership_kept import with_kept_objects
from linkgress_async.plan.ownership_policy import (
    ObjectKind,
    OwnershipPolicy,
    OwnershipSplit,
    UnmanagedObject,
)
from linkgress_async.render.quote import quote_ident

__all__ = [
    "ObjectKind",
    "OwnershipPolicy",
    "OwnershipSplit",
    "UnmanagedObject",
    "hide_excluded",
    "owned_diff",
    "split_unmanaged",
]


def _undeclared_drop(op: MigrationOperation) -> tuple[ObjectKind, str, str] | None:
    """The object a diff operation drops because the model does not declare it."""
    match op:
        case DropTable() if not op.recreated:
            return "table", op.schema_name, op.table_name
        case DropEnum():
            return "enum", op.schema_name, op.enum_name
        case DropSequence():
            return "sequence", op.schema_name, op.sequence_name
        # An object the plan drops to create it again is declared (or makes way).
        case DropView() if not op.recreated:
            return "view", op.schema_name, op.view_name
        case DropMaterializedView() if not op.recreated:
            return "materialized_view", op.schema_name, op.view_name
        case DropFunction() if not op.recreated:
            return op.kind, op.schema_name, op.function_name
        case DropAggregate() if not op.recreated:
            return "aggregate", op.schema_name, op.aggregate_name
        case DropDomain():
            return "domain", op.schema_name, op.domain_name
        case DropCompositeType() if not op.recreated:
            return "type", op.schema_name, op.type_name
        case DropExtension():
            schema = "" if op.extension is None else op.extension.schema
            return "extension", schema, op.extension_name
        case DropTrigger() if not op.recreated:
            return "trigger", op.schema_name, f"{op.table_name}.{op.trigger_name}"
        case DropPolicy() if not op.recreated:
            return "policy", op.schema_name, f"{op.table_name}.{op.policy_name}"
        case _:
            return None


def _may_drop(policy: OwnershipPolicy, op: MigrationOperation, schema: str, name: str) -> bool:
    if isinstance(op, DropTrigger):
        return policy.may_drop_member(schema, op.table_name, op.trigger_name)
    if isinstance(op, DropPolicy):
        return policy.may_drop_member(schema, op.table_name, op.policy_name)
    return policy.may_drop(schema, name)


def _is_visible(policy: OwnershipPolicy, op: MigrationOperation, schema: str, name: str) -> bool:
    if isinstance(op, DropTrigger | DropPolicy):
        member = op.trigger_name if isinstance(op, DropTrigger) else op.policy_name
        return not (
            policy.is_excluded(schema, op.table_name)
            or policy.is_excluded(schema, member, op.table_name)
        )
    return not policy.is_excluded(schema, name)


def _kept_row_security(
    op: AlterRowSecurity, policy: OwnershipPolicy
) -> tuple[AlterRowSecurity | None, UnmanagedObject | None]:
    """``op`` without switching off row-level security the model does not switch on
    (unless the policy lets it go), and the report of what was kept."""
    keep_enabled = op.previous_enabled and not op.enabled
    keep_forced = op.previous_forced and not op.forced
    if not (keep_enabled or keep_forced) or policy.may_drop(op.schema_name, op.table_name):
        return op, None
    kept = attrs.evolve(
        op,
        enabled=op.enabled or keep_enabled,
        forced=op.forced or keep_forced,
    )
    report = None
    if not policy.is_excluded(op.schema_name, op.table_name):
        withheld = AlterRowSecurity(
            op.table_name,
            op.schema_name,
            False if keep_enabled else op.previous_enabled,
            False if keep_forced else op.previous_forced,
            op.previous_enabled,
            op.previous_forced,
        )
        report = UnmanagedObject("row_security", op.schema_name, op.table_name, withheld)
    return (kept if kept.changes else None), report


def _enum_spellings(schema: str, name: str, context: DiffContext) -> set[str]:
    declared = context.enum_type_names.get(QualifiedName(schema, name))
    spellings = {f"{schema}.{name}", f"{quote_ident(schema)}.{quote_ident(name)}"}
    return spellings | ({declared} if declared else set())


def _enum_columns(
    tables: Iterable[Table], schema: str, name: str, context: DiffContext
) -> list[tuple[Table, Column]]:
    spellings = _enum_spellings(schema, name, context)
    return [
        (table, column)
        for table in tables
        for column in table.columns
        if column.data_type.removesuffix("[]") in spellings
    ]


def split_unmanaged(
    operations: Sequence[MigrationOperation],
    policy: OwnershipPolicy,
    context: DiffContext | None = None,
) -> OwnershipSplit:
    """Withhold the drops of undeclared objects that ``policy`` does not let go.

    ``operations`` is a diff's result, where every dropped table, enum and sequence is one
    the model does not declare. Kept objects are reported unless excluded. Tables that stay
    keep their enum columns working: a rebuilt enum converts them too, and an undeclared enum
    they use is kept even when ``drop_unmanaged`` matches it (dropping it would fail).
    """
    context = context or DiffContext()
    # What hangs off a kept table stays with it, without a report of its own.
    kept_names = {
        (op.schema_name, op.table_name)
        for op in operations
        if isinstance(op, DropTable) and not policy.may_drop(op.schema_name, op.table_name)
    }
    kept_tables: list[Table] = []
    kept_triggers: list[Trigger] = []
    withheld: list[tuple[ObjectKind, str, str, MigrationOperation, bool]] = []
    remaining: list[MigrationOperation] = []
    for op in operations:
        if (
            isinstance(op, DropTrigger | DropPolicy)
            and (op.schema_name, op.table_name) in kept_names
        ):
            if isinstance(op, DropTrigger) and op.trigger is not None:
                kept_triggers.append(op.trigger)
            continue
        dropped = _undeclared_drop(op)
        if dropped is None or _may_drop(policy, op, dropped[1], dropped[2]):
            remaining.append(op)
            continue
        kind, schema, name = dropped
        withheld.append((kind, schema, name, op, _is_visible(policy, op, schema, name)))
        if isinstance(op, DropTable) and op.table is not None:
            kept_tables.append(op.table)
            kept_triggers.extend(op.table.triggers)
        elif isinstance(op, DropTrigger) and op.trigger is not None:
            kept_triggers.append(op.trigger)

    unmanaged = [
        UnmanagedObject(kind, schema, name, op)
        for kind, schema, name, op, visible in withheld
        if visible
    ]
    remaining, parents = keep_hierarchies(remaining, kept_tables)
    unmanaged.extend(
        UnmanagedObject(
            "table", op.schema_name, op.table_name, op, f"parent of kept table '{child}'"
        )
        for op, child in parents
    )
    remaining = keep_owned_sequences(remaining, [op for *_, op, _v in withheld])
    withheld_ops = [op for *_, op, _visible in withheld]
    withheld_ops += [op for op, _child in parents]
    result: list[MigrationOperation] = []
    for op in remaining:
        if isinstance(op, DropEnum):
            users = _enum_columns(kept_tables, op.schema_name, op.enum_name, context)
            if users:
                table = users[0][0]
                reason = f"used by kept table '{table.schema}.{table.name}'"
                unmanaged.append(
                    UnmanagedObject("enum", op.schema_name, op.enum_name, op, reason=reason)
                )
                withheld_ops.append(op)
                continue
        elif isinstance(op, RebuildEnum):
            op = _with_kept_columns(op, kept_tables, context)
        elif isinstance(op, DropFunction) and not op.recreated:
            user = _trigger_using(kept_triggers, op)
            if user is not None:
                reason = f"used by kept trigger '{user.name}'"
                unmanaged.append(
                    UnmanagedObject("function", op.schema_name, op.function_name, op, reason)
                )
                continue
        elif isinstance(op, SetComment):
            if op.text is None and not policy.may_drop_comment(op.target):
                continue
        elif isinstance(op, AlterRowSecurity):
            kept, report = _kept_row_security(op, policy)
            if report is not None:
                unmanaged.append(report)
            if kept is None:
                continue
            op = kept
        result.append(op)
    return OwnershipSplit(tuple(result), tuple(unmanaged), tuple(withheld_ops))


def _keep_what_kept_use(split: OwnershipSplit, current: Catalog) -> OwnershipSplit:
    """``split`` also keeping the undeclared objects that a kept object uses (by the live
    database's dependencies): dropping one would fail, or take the kept object along.

    What lies outside the schemas ``current`` covers is never dropped (the model does not
    manage it), whatever ``drop_unmanaged`` says: so what it uses is kept too."""
    if not current.dependencies:
        return split

    def key(ref: ObjectRef) -> tuple[str, str] | None:
        if ref.schema is None:
            return None
        return Dependency.owner(ref) or (ref.schema, ref.name)

    kept = {dropped[1:] for op in split.withheld if (dropped := _undeclared_drop(op))}
    droppable: dict[tuple[str, str], tuple[ObjectKind, MigrationOperation]] = {}
    for op in split.operations:
        dropped = _undeclared_drop(op)
        if dropped is not None:
            droppable[dropped[1:]] = (dropped[0], op)
    if not droppable:
        return split
    covered = set(current.schemas)

    def outside(user: tuple[str, str]) -> bool:
        # A catalog built by hand may not list its schemas: then nothing is outside.
        return bool(covered) and user[0] not in covered

    uses = [
        (user, used)
        for d in current.dependencies
        if d.kind == "normal"
        and (user := key(d.dependent)) is not None
        and (used := key(d.referenced)) is not None
        and user != used
    ]
    kept.update(user for user, _used in uses if outside(user))
    extra: list[UnmanagedObject] = []
    grew = True
    while grew:
        grew = False
        for user, used in uses:
            if user in kept and used in droppable and used not in kept:
                kind, op = droppable[used]
                where = " outside the model's schemas" if outside(user) else ""
                reason = f"used by kept '{user[0]}.{user[1]}'{where}"
                extra.append(UnmanagedObject(kind, used[0], used[1], op, reason=reason))
                kept.add(used)
                grew = True
    if not extra:
        return split
    held = {id(item.operation) for item in extra}
    return OwnershipSplit(
        tuple(op for op in split.operations if id(op) not in held),
        (*split.unmanaged, *extra),
        (*split.withheld, *(item.operation for item in extra)),
    )


def owned_diff(
    current: Catalog,
    target: Catalog,
    policy: OwnershipPolicy,
    context: DiffContext | None = None,
) -> OwnershipSplit:
    """The diff of ``current`` to ``target`` without the drops ``policy`` withholds, and
    without anything the plan would do only because of them.

    The objects kept are added to the target as they are and the diff is made again, until
    no more drops are withheld: a view the diff would drop and create again because a kept
    function it calls was to be dropped is then left alone too (it is undeclared as well,
    and kept and reported in turn).
    """
    kept: list[UnmanagedObject] = []
    seen: set[tuple[str, str, str]] = set()
    wanted = target
    while True:
        split = _keep_what_kept_use(
            split_unmanaged(diff(current, wanted, context), policy, context), current
        )
        for item in split.unmanaged:
            if (item.kind, item.schema_name, item.name) not in seen:
                seen.add((item.kind, item.schema_name, item.name))
                kept.append(item)
        grown = with_kept_objects(wanted, current, split.withheld)
        if not split.withheld or grown == wanted:
            operations = _restoring(split.operations, target)
            return OwnershipSplit(operations, tuple(kept), split.withheld)
        wanted = grown


def _restoring(
    operations: Sequence[MigrationOperation], target: Catalog
) -> tuple[MigrationOperation, ...]:
    """``operations``, where a view is created that the model (``target``) does not declare
    (a kept view made way for a change), saying it comes back as it was."""
    declared = {v.qualified_name for v in target.views}
    declared.update(v.qualified_name for v in target.materialized_views)
    return tuple(
        attrs.evolve(op, restores=True)
        if isinstance(op, CreateView | CreateMaterializedView)
        and QualifiedName(op.schema_name, op.view_name) not in declared
        else op
        for op in operations
    )


def _trigger_using(triggers: Iterable[Trigger], op: DropFunction) -> Trigger | None:
    """The first of ``triggers`` that calls the function ``op`` drops."""
    if op.identity_args not in (None, ""):
        return None  # trigger functions take no arguments
    name = QualifiedName(op.schema_name, op.function_name)
    return next((t for t in triggers if t.function == name), None)


def _with_kept_columns(
    op: RebuildEnum, kept_tables: Sequence[Table], context: DiffContext
) -> RebuildEnum:
    """``op`` converting the kept tables' columns too (the diff assumed them dropped)."""
    uses = tuple(
        EnumColumnUse(
            table.schema,
            table.name,
            column.name,
            column.data_type.endswith("[]"),
            column.default,
        )
        for table, column in _enum_columns(kept_tables, op.schema_name, op.enum_name, context)
    )
    return attrs.evolve(op, columns=(*op.columns, *uses)) if uses else op
