"""Comparator for what hangs off tables and views besides their shape: triggers, row-level
security switches and policies.

Pure and synchronous; it runs after the table, view and function comparators, as it must
know what their operations do:

* a trigger or policy that uses a function the plan drops goes first (PostgreSQL refuses to
  drop a function something depends on) and comes back once the function is created again;
* a trigger with a ``WHEN`` condition or ``UPDATE OF`` columns, and a policy with an
  expression, on a table whose columns are dropped or change type goes first too, as the
  server refuses to drop or retype a column they use (which columns an expression uses is
  not known here, so any such change counts);
* a view that is dropped and created again loses its triggers: they are created again;
* triggers and policies are dropped before the plan's renames, so by their table's current
  name.

A changed trigger is replaced in place (``CREATE OR REPLACE TRIGGER``) unless it is or
becomes a constraint trigger; one whose only change is its enabled state is altered. A
changed policy is altered in place (``ALTER POLICY``) where PostgreSQL can: roles, and
expressions replaced by others. ``renamed_from`` hints rename triggers and policies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import attrs
from attrs import frozen

from linkgress_async.catalog import Catalog, Policy, QualifiedName, Table, Trigger
from linkgress_async.catalog.comparisons import same_table
from linkgress_async.diff.routines import touched_relations
from linkgress_async.ops import (
    AlterPolicy,
    AlterRowSecurity,
    AlterTriggerEnabled,
    CreatePolicy,
    CreateTrigger,
    CreateView,
    DropFunction,
    DropPolicy,
    DropTrigger,
    DropView,
    MigrationOperation,
    RenamePolicy,
    RenameTable,
    RenameTrigger,
)

__all__ = ["diff_security"]


@frozen
class _PlanFacts:
    """What the plan's other operations mean for triggers and policies."""

    live_names: dict[QualifiedName, str]
    """Table name after the plan's renames -> its name now."""
    altered: set[QualifiedName]
    """Tables whose columns are dropped or change type."""
    dropped_functions: set[QualifiedName]
    dropped_views: set[QualifiedName]
    created_views: set[QualifiedName]

    @classmethod
    def of(cls, operations: Sequence[MigrationOperation]) -> _PlanFacts:
        altered, _dropped = touched_relations(operations)
        live_names: dict[QualifiedName, str] = {}
        functions: set[QualifiedName] = set()
        dropped_views: set[QualifiedName] = set()
        created_views: set[QualifiedName] = set()
        for op in operations:
            match op:
                case RenameTable():
                    live_names[QualifiedName(op.schema_name, op.new_name)] = op.table_name
                case DropFunction():
                    functions.add(QualifiedName(op.schema_name, op.function_name))
                case DropView():
                    dropped_views.add(QualifiedName(op.schema_name, op.view_name))
                case CreateView():
                    created_views.add(QualifiedName(op.schema_name, op.view_name))
                case _:
                    pass
        return cls(live_names, altered, functions, dropped_views, created_views)

    def live_name(self, name: QualifiedName) -> str:
        return self.live_names.get(name, name.name)

    def mentions_dropped_function(self, expressions: Iterable[str | None]) -> bool:
        """Whether an expression calls a function of a name the plan drops."""
        calls = {_spelled(f.name) + "(" for f in self.dropped_functions}
        return any(e is not None and any(call in e for call in calls) for e in expressions)


def _spelled(name: str) -> str:
    """How the server prints a name in an expression (keywords aside)."""
    simple = name.isidentifier() and name == name.lower() and name.isascii()
    return name if simple else '"' + name.replace('"', '""') + '"'


_H = TypeVar("_H", Trigger, Policy)


def _renames(old: dict[str, _H], new: Iterable[_H]) -> list[tuple[str, _H]]:
    """(old name, new object) for each hint that applies: the old name is live, the new is not.

    ``old`` is updated as the renames will leave it.
    """
    applied: list[tuple[str, _H]] = []
    for item in new:
        hint = item.renamed_from
        if hint is None or hint not in old or item.name in old:
            continue
        applied.append((hint, item))
        old[item.name] = attrs.evolve(old.pop(hint), name=item.name)
    return applied


# --- triggers ------------------------------------------------------------------------------


def _trigger_operations(
    name: QualifiedName,
    live_name: str,
    old: Sequence[Trigger],
    new: Sequence[Trigger],
    must_recreate: Callable[[Trigger], bool],
) -> list[MigrationOperation]:
    """Operations that turn the triggers ``old`` of ``name`` into ``new``.

    ``live_name`` is the relation's name when drops run (before the plan's renames).
    """
    schema, relation = name.schema, name.name

    def needs_drop(live: Trigger, wanted: Trigger) -> bool:
        # CREATE OR REPLACE cannot make or change a constraint trigger.
        changed = wanted != live and (live.constraint or wanted.constraint)
        return must_recreate(live) or changed

    old_by_name = {t.name: t for t in old}
    operations: list[MigrationOperation] = []
    for hint, trigger in _renames(old_by_name, new):
        if needs_drop(old_by_name[trigger.name], trigger):
            # Drops run before the renames: dropped under its old name, and made anew.
            gone = attrs.evolve(old_by_name.pop(trigger.name), name=hint)
            operations.append(DropTrigger(live_name, hint, schema, gone, recreated=True))
            continue
        operations.append(RenameTrigger(relation, hint, trigger.name, schema))
    new_by_name = {t.name: t for t in new}
    for trigger_name, live in old_by_name.items():
        wanted = new_by_name.get(trigger_name)
        if wanted is None:
            operations.append(DropTrigger(live_name, trigger_name, schema, live))
        elif needs_drop(live, wanted):
            operations.append(DropTrigger(live_name, trigger_name, schema, live, recreated=True))
            operations.append(CreateTrigger(relation, schema, wanted))
        elif wanted == live:
            continue
        elif attrs.evolve(live, enabled=wanted.enabled) == wanted:
            operations.append(
                AlterTriggerEnabled(relation, trigger_name, wanted.enabled, live.enabled, schema)
            )
        else:
            operations.append(CreateTrigger(relation, schema, wanted, True, live))
    operations.extend(
        CreateTrigger(relation, schema, t)
        for t in new_by_name.values()
        if t.name not in old_by_name
    )
    return operations


def _trigger_forces(facts: _PlanFacts, table: QualifiedName) -> Callable[[Trigger], bool]:
    altered = table in facts.altered

    def must_recreate(trigger: Trigger) -> bool:
        if trigger.function in facts.dropped_functions:
            return True
        return altered and (trigger.when is not None or bool(trigger.update_columns))

    return must_recreate


# --- policies ------------------------------------------------------------------------------


def _policy_operations(
    name: QualifiedName,
    live_name: str,
    old: Sequence[Policy],
    new: Sequence[Policy],
    must_recreate: Callable[[Policy], bool],
) -> list[MigrationOperation]:
    """Operations that turn the policies ``old`` of table ``name`` into ``new``."""
    schema, table = name.schema, name.name

    def needs_drop(live: Policy, wanted: Policy) -> bool:
        in_place = wanted == live or AlterPolicy(table, schema, live, wanted).in_place
        return must_recreate(live) or not in_place

    old_by_name = {p.name: p for p in old}
    operations: list[MigrationOperation] = []
    for hint, policy in _renames(old_by_name, new):
        if needs_drop(old_by_name[policy.name], policy):
            gone = attrs.evolve(old_by_name.pop(policy.name), name=hint)
            operations.append(DropPolicy(live_name, hint, schema, gone, recreated=True))
            continue
        operations.append(RenamePolicy(table, hint, policy.name, schema))
    new_by_name = {p.name: p for p in new}
    for policy_name, live in old_by_name.items():
        wanted = new_by_name.get(policy_name)
        if wanted is None:
            operations.append(DropPolicy(live_name, policy_name, schema, live))
        elif needs_drop(live, wanted):
            operations.append(DropPolicy(live_name, policy_name, schema, live, recreated=True))
            operations.append(CreatePolicy(table, schema, wanted))
        elif wanted != live:
            operations.append(AlterPolicy(table, schema, live, wanted))
    operations.extend(
        CreatePolicy(table, schema, p) for p in new_by_name.values() if p.name not in old_by_name
    )
    return operations


def _policy_forces(facts: _PlanFacts, table: QualifiedName) -> Callable[[Policy], bool]:
    altered = table in facts.altered

    def must_recreate(policy: Policy) -> bool:
        expressions = (policy.using, policy.with_check)
        if altered and any(e is not None for e in expressions):
            return True
        return bool(facts.dropped_functions) and facts.mentions_dropped_function(expressions)

    return must_recreate


def _row_security(live: Table | None, wanted: Table) -> list[MigrationOperation]:
    before = (False, False) if live is None else (live.rls_enabled, live.rls_forced)
    after = (wanted.rls_enabled, wanted.rls_forced)
    if before == after:
        return []
    return [AlterRowSecurity(wanted.name, wanted.schema, *after, *before)]


# --- the comparator ------------------------------------------------------------------------


def _tables(current: Catalog, target: Catalog, facts: _PlanFacts) -> list[MigrationOperation]:
    operations: list[MigrationOperation] = []
    for wanted in target.tables:
        name = wanted.qualified_name
        live = current.table(wanted.schema, wanted.name)
        if same_table(live, wanted) and name not in facts.altered and not facts.dropped_functions:
            continue
        live_name = facts.live_name(name)
        operations.extend(_row_security(live, wanted))
        operations.extend(
            _trigger_operations(
                name,
                live_name,
                () if live is None else live.triggers,
                wanted.triggers,
                _trigger_forces(facts, name),
            )
        )
        operations.extend(
            _policy_operations(
                name,
                live_name,
                () if live is None else live.policies,
                wanted.policies,
                _policy_forces(facts, name),
            )
        )
    if not facts.dropped_functions:
        return operations
    # A dropped table takes its triggers and policies along, but only after the functions
    # they use were dropped: those go first.
    for live in current.tables:
        if target.table(live.schema, live.name) is not None:
            continue
        name = live.qualified_name
        operations.extend(
            DropTrigger(live.name, t.name, live.schema, t)
            for t in live.triggers
            if t.function in facts.dropped_functions
        )
        operations.extend(
            DropPolicy(live.name, p.name, live.schema, p)
            for p in live.policies
            if facts.mentions_dropped_function((p.using, p.with_check))
        )
    return operations


def _views(current: Catalog, target: Catalog, facts: _PlanFacts) -> list[MigrationOperation]:
    live_views = {v.qualified_name: v for v in current.views}
    wanted_views = {v.qualified_name: v for v in target.views}
    operations: list[MigrationOperation] = []

    def must_recreate(trigger: Trigger) -> bool:
        return trigger.function in facts.dropped_functions

    for name, wanted in wanted_views.items():
        live = live_views.get(name)
        # A view the plan drops comes back without its triggers.
        old = () if live is None or name in facts.dropped_views else live.triggers
        if old or wanted.triggers:
            operations.extend(
                _trigger_operations(name, name.name, old, wanted.triggers, must_recreate)
            )
    for name, live in live_views.items():
        # A view nobody declares that only made way for a change comes back as it was.
        if name not in wanted_views and name in facts.created_views:
            operations.extend(CreateTrigger(name.name, name.schema, t) for t in live.triggers)
    return operations


def diff_security(
    current: Catalog, target: Catalog, operations: Sequence[MigrationOperation]
) -> list[MigrationOperation]:
    """Trigger, row-level security and policy operations, given the plan's ``operations``."""
    facts = _PlanFacts.of(operations)
    return [*_tables(current, target, facts), *_views(current, target, facts)]
