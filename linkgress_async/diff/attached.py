"""Comparator for what attaches to any object: comments, privileges and owners.

Pure and synchronous; it runs last, as it must know what every other operation does (see
:mod:`.objects_index`): the live values follow the plan's renames, and an object the plan
drops has lost them (so a view created again gets its comment, privileges and owner again).
It acts only on objects the target has: an object that goes takes them along.

* Comments: the target states each comment; one it does not state is removed here (the
  ownership policy keeps it unless ``drop_unmanaged`` lets it go).
* Privileges are managed per role: only the roles the target's grants mention (but those
  carried over for kept undeclared objects) are compared,
  so an introspected target manages every role it holds and a model manages the roles it
  names. A privilege is in one of three states: PostgreSQL's default (no
  :class:`~linkgress_async.catalog.Grant`), held beyond it (``revoke=False``, with or
  without the grant option) or taken away (``revoke=True``).
* Owners are compared only for the objects the target states one for.

A view nobody declares that the plan drops only to create it again as it was gets its own
comments and privileges back; its owner becomes the role that runs the plan (which the diff
does not know), as the view is not the target's to state.
"""

from __future__ import annotations

from collections.abc import Sequence

from linkgress_async.catalog import Catalog, Comment, Grant, ObjectRef, Owner
from linkgress_async.diff.objects_index import PlanEffects, TargetObjects, plan_effects
from linkgress_async.ops import (
    AlterOwner,
    CreateView,
    GrantPrivileges,
    MigrationOperation,
    RevokePrivileges,
    SetComment,
)

__all__ = ["diff_attached", "is_default_privilege"]

_ROUTINES = frozenset(("function", "procedure", "aggregate"))
_TYPES = frozenset(("type", "domain"))


def is_default_privilege(kind: str, grantee: str, privilege: str) -> bool:
    """Whether PostgreSQL gives ``grantee`` ``privilege`` on a new object of ``kind``
    (its owner aside): ``EXECUTE`` on routines and ``USAGE`` on types, to ``PUBLIC``."""
    if grantee != "PUBLIC":
        return False
    return (kind in _ROUTINES and privilege == "EXECUTE") or (
        kind in _TYPES and privilege == "USAGE"
    )


class _Restored:
    """The undeclared views the plan recreates as they were, and their attached values."""

    def __init__(self, current: Catalog, target: Catalog, operations: Sequence[MigrationOperation]):
        declared = {(v.schema, v.name) for v in target.views}
        live = {(v.schema, v.name) for v in current.views}
        self.relations = {
            (op.schema_name, op.view_name)
            for op in operations
            if isinstance(op, CreateView)
            and (op.schema_name, op.view_name) in live
            and (op.schema_name, op.view_name) not in declared
        }

    def __contains__(self, ref: ObjectRef) -> bool:
        return (
            bool(self.relations)
            and ref.kind in ("view", "column", "trigger")
            and (ref.schema, ref.name) in self.relations
        )


def _live(
    items: Sequence[Comment] | Sequence[Grant] | Sequence[Owner], effects: PlanEffects
) -> list[tuple[ObjectRef, Comment | Grant | Owner]]:
    """Each live value with the reference of its object after the plan, unless dropped."""
    result: list[tuple[ObjectRef, Comment | Grant | Owner]] = []
    for item in items:
        ref = effects.moved(item.target)
        if not effects.drops(ref):
            result.append((ref, item))
    return result


def _comments(
    current: Catalog,
    target: Catalog,
    effects: PlanEffects,
    exists: TargetObjects,
    restored: _Restored,
) -> list[MigrationOperation]:
    live: dict[ObjectRef, str] = {}
    for ref, item in _live(current.comments, effects):
        assert isinstance(item, Comment)
        live[ref] = item.text
    # An empty comment is no comment (COMMENT ... IS '' removes it).
    wanted = {c.target: c.text for c in target.comments if c.text}
    wanted.update({c.target: c.text for c in current.comments if c.target in restored})
    operations: list[MigrationOperation] = []
    for ref in sorted(live.keys() | wanted.keys(), key=lambda r: r.sort_key):
        old, new = live.get(ref), wanted.get(ref)
        if old != new and (ref in exists or ref in restored):
            operations.append(SetComment(ref, new, old))
    return operations


_State = tuple[bool, bool] | None
"""A privilege's state: ``None`` PostgreSQL's default, else ``(revoked, grantable)``."""


def _state(grant: Grant | None) -> _State:
    if grant is None:
        return None
    default = is_default_privilege(grant.target.kind, grant.grantee, grant.privilege)
    # What PostgreSQL gives anyway, or takes away from a role that never had it, is the default.
    if (not grant.revoke and default and not grant.grantable) or (grant.revoke and not default):
        return None
    return (grant.revoke, grant.grantable and not grant.revoke)


_Action = tuple[ObjectRef, str, str, bool, bool]
"""(object, grantee, grant | revoke, with/only the grant option, previously held/grantable)."""


def _action(ref: ObjectRef, grantee: str, privilege: str, old: _State, new: _State) -> _Action:
    """How to take one privilege from state ``old`` to state ``new``."""
    default = is_default_privilege(ref.kind, grantee, privilege)
    # Whether the role holds the privilege now, and can grant it on.
    held = default if old is None else not old[0]
    grantable = old is not None and old[1]
    if new is None:
        if default and held:
            return ref, grantee, "revoke", True, True  # only the grant option was extra
        if default:
            return ref, grantee, "grant", False, False
        return ref, grantee, "revoke", False, grantable
    revoked, wants_option = new
    if revoked:
        return ref, grantee, "revoke", False, grantable
    if held and grantable and not wants_option:
        return ref, grantee, "revoke", True, True
    return ref, grantee, "grant", wants_option, held


def _grants(
    current: Catalog,
    target: Catalog,
    effects: PlanEffects,
    exists: TargetObjects,
    restored: _Restored,
) -> list[MigrationOperation]:
    # A kept undeclared object's privileges are compared, but do not make their roles the
    # model's to manage everywhere (see Grant.kept).
    managed = {g.grantee for g in target.grants if not g.kept}
    wanted = {(g.target, g.grantee, g.privilege): g for g in target.grants}
    wanted.update(
        {(g.target, g.grantee, g.privilege): g for g in current.grants if g.target in restored}
    )
    live: dict[tuple[ObjectRef, str, str], Grant] = {}
    for ref, item in _live(current.grants, effects):
        assert isinstance(item, Grant)
        key = (ref, item.grantee, item.privilege)
        if item.grantee in managed or key in wanted:
            live[key] = item
    actions: dict[_Action, list[str]] = {}
    positions: dict[tuple[ObjectRef, str], int] = {}
    for key in sorted(live.keys() | wanted.keys(), key=lambda k: (k[0].sort_key, k[1], k[2])):
        ref, grantee, privilege = key
        old, new = _state(live.get(key)), _state(wanted.get(key))
        if old != new and (ref in exists or ref in restored):
            actions.setdefault(_action(ref, grantee, privilege, old, new), []).append(privilege)
            grant = wanted.get(key) or live[key]
            positions[(ref, grantee)] = min(
                positions.get((ref, grantee), grant.position), grant.position
            )

    # Roles are granted in the order of the target's ACL, so the copy's lists them alike.
    def order(action: _Action) -> tuple[tuple[str, str, str, str], int]:
        return action[0].sort_key, positions[(action[0], action[1])]

    operations: list[MigrationOperation] = []
    for action in sorted(actions, key=order):
        ref, grantee, verb, option, previously = action
        privileges = actions[action]
        if verb == "grant":
            operations.append(GrantPrivileges(ref, grantee, tuple(privileges), option, previously))
        else:
            operations.append(RevokePrivileges(ref, grantee, tuple(privileges), option, previously))
    return operations


def _owners(
    current: Catalog, target: Catalog, effects: PlanEffects, exists: TargetObjects
) -> list[MigrationOperation]:
    live: dict[ObjectRef, str] = {}
    for ref, item in _live(current.owners, effects):
        assert isinstance(item, Owner)
        live[ref] = item.role
    # An object the plan creates belongs to whoever runs it, which is not known here: the
    # owner is set whenever the target states one.
    return [
        AlterOwner(o.target, o.role, live.get(o.target))
        for o in target.owners
        if live.get(o.target) != o.role and o.target in exists
    ]


def diff_attached(
    current: Catalog, target: Catalog, operations: Sequence[MigrationOperation]
) -> list[MigrationOperation]:
    """Comment, privilege and owner operations, given the plan's other ``operations``."""
    if not (current.comments or target.comments or target.grants or target.owners):
        return []
    effects = plan_effects(operations, current)
    exists = TargetObjects(target)
    restored = _Restored(current, target, operations)
    result = _comments(current, target, effects, exists, restored)
    if target.grants or restored.relations:
        result += _grants(current, target, effects, exists, restored)
    if target.owners:
        result += _owners(current, target, effects, exists)
    return result
