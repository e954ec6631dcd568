"""Security and annotations: triggers, policies, row-level security, comments, grants and
owners.

What belongs to a table (its triggers, policies, row-level security, the comments on it, its
columns, constraints and indexes, its and its columns' grants, its owner) is declared in the
table's block (:func:`table_statements`). Grants, owners and comments of other objects are
declared at the end (:func:`emit`) on the handles their declarations were assigned to: the
handle variables are named first (:func:`name_handles`), and each declaring emitter writes
``name = model.view(...)`` through :meth:`PullContext.assignment`. What refers to an object
the module does not declare (or declares without keeping its handle) is noted.

Defaults are not declared: an owner that is the role that pulls (a model applied by the same
role owns what it creates anyway), and a fresh database's own ``public`` schema settings
(owner ``pg_database_owner``, comment ``standard public schema``, ``USAGE`` to ``PUBLIC``;
the same on PostgreSQL 15 to 18). But the ``public`` schema exists before any model runs, so
its owner is declared whenever it is not ``pg_database_owner``, and its ``USAGE`` for
``PUBLIC`` whenever the module grants ``PUBLIC`` anything else (the diff then compares all of
``PUBLIC``'s privileges).
"""

from __future__ import annotations

from collections import defaultdict

from linkgress_async.catalog import (
    Comment,
    Grant,
    ObjectRef,
    Owner,
    Policy,
    QualifiedName,
    Table,
    Trigger,
    View,
)
from linkgress_async.pulling.code import Attr, Expr, Kw, ListOf, Name, Str, call, comment_lines
from linkgress_async.pulling.code import statement as layout
from linkgress_async.pulling.context import PullContext, sql_name
from linkgress_async.pulling.names import snake_name

__all__ = ["emit", "is_default", "name_handles", "table_statements"]

BODY = " " * 8

Annotation = Comment | Grant | Owner

_PUBLIC = ObjectRef("schema", None, "public")
_PUBLIC_USAGE = Grant(_PUBLIC, "PUBLIC", "USAGE")
_FRESH_PUBLIC_SCHEMA: frozenset[Annotation] = frozenset(
    {
        Owner(_PUBLIC, "pg_database_owner"),
        Comment(_PUBLIC, "standard public schema"),
        _PUBLIC_USAGE,
    }
)
"""What ``CREATE DATABASE`` gives the ``public`` schema (PostgreSQL 15 and later)."""

# Kinds whose grants, owner and comment go on the handle of their declaration.
_HANDLE_KINDS = frozenset(
    {
        "schema",
        "type",
        "domain",
        "sequence",
        "view",
        "materialized_view",
        "function",
        "procedure",
        "aggregate",
        "extension",
    }
)
_TABLE_PARTS = ("table", "column", "constraint", "trigger", "policy")


_SERIALS = ("smallserial", "serial", "bigserial")


def is_default(ctx: PullContext, item: Annotation) -> bool:
    """Whether a model gets ``item`` without declaring it (see the module docstring)."""
    if isinstance(item, Owner) and item.role == ctx.current_user and item.target != _PUBLIC:
        return True
    return item in _FRESH_PUBLIC_SCHEMA


def _annotations(ctx: PullContext) -> list[Annotation]:
    """The catalog's comments, owners and grants a module declares, read once."""
    if ctx.annotations is None:
        catalog = ctx.catalog
        items: list[Annotation] = [*catalog.comments, *catalog.owners, *catalog.grants]
        declared = [item for item in items if not is_default(ctx, item)]
        # Privileges are compared per role: once the module names PUBLIC, the public schema's
        # USAGE is one of PUBLIC's privileges it must state.
        if any(isinstance(i, Grant) and i.grantee == "PUBLIC" for i in declared):
            declared += [i for i in catalog.grants if i == _PUBLIC_USAGE]
        ctx.annotations = declared
    return ctx.annotations


def _column_relation(ctx: PullContext, ref: ObjectRef) -> ObjectRef | None:
    """The view, materialized view or composite type a column reference is on, if any."""
    if ref.kind != "column" or ref.schema is None:
        return None
    name = QualifiedName(ref.schema, ref.name)
    catalog = ctx.catalog
    if any(view.qualified_name == name for view in catalog.views):
        return ObjectRef("view", ref.schema, ref.name)
    if any(view.qualified_name == name for view in catalog.materialized_views):
        return ObjectRef("materialized_view", ref.schema, ref.name)
    if any(QualifiedName(t.schema, t.name) == name for t in catalog.composite_types):
        return ObjectRef("type", ref.schema, ref.name)
    return None


def _handle_target(ctx: PullContext, item: Annotation) -> ObjectRef | None:
    ref = item.target
    if ref.kind in _HANDLE_KINDS:
        return ref
    relation = _column_relation(ctx, ref)
    if relation is not None and (isinstance(item, Comment) or relation.kind != "type"):
        return relation
    return None


def name_handles(ctx: PullContext) -> None:
    """Name the handle variable of every object a grant, owner or comment is declared on
    (an enum's is the one its columns use)."""
    enum_handles = {
        ObjectRef("type", enum.schema, enum.name): ctx.enum_handles.get(
            ctx.enum_names.get(enum.qualified_name, "")
        )
        for enum in ctx.catalog.enums
    }
    for view in ctx.catalog.views:
        if view.triggers:
            base = snake_name(view.name, "view")
            ctx.handles[ObjectRef("view", view.schema, view.name)] = ctx.names.claim(
                base, f"{base}_view"
            )
    for item in _annotations(ctx):
        ref = _handle_target(ctx, item)
        if ref is None or ref in ctx.handles:
            continue
        enum_handle = enum_handles.get(ref)
        if enum_handle is None:
            base = snake_name(ref.name, ref.kind)
            enum_handle = ctx.names.claim(base, f"{base}_{ref.kind}")
        ctx.handles[ref] = enum_handle


# --- a table's block ------------------------------------------------------------------


def _key_names(table: Table) -> list[str]:
    """The names of the table's keys, which their indexes share."""
    names = [unique.name for unique in table.uniques]
    names += [exclusion.name for exclusion in table.exclusions]
    if table.primary_key is not None:
        names.append(table.primary_key.name)
    return names


def implicit_sequences(table: Table) -> dict[str, str]:
    """The identity and serial sequences of ``table``: sequence name -> column."""
    found: dict[str, str] = {}
    for column in table.columns:
        serial = column.data_type in _SERIALS or (column.default or "").startswith("nextval(")
        if column.identity is not None and column.identity.sequence_name is not None:
            found[column.identity.sequence_name] = column.name
        elif column.identity is not None or serial:
            found[f"{table.name}_{column.name}_seq"] = column.name
    return found


def _by_name(ctx: PullContext) -> dict[tuple[str | None, str], list[Annotation]]:
    """The annotations by the schema and name of the object they are on (a column's, a
    constraint's... under its table's), grouped once: a scan per table would make a large
    schema's pull quadratic."""
    if ctx.annotations_by_name is None:
        grouped: dict[tuple[str | None, str], list[Annotation]] = defaultdict(list)
        for item in _annotations(ctx):
            grouped[(item.target.schema, item.target.name)].append(item)
        ctx.annotations_by_name = dict(grouped)
    return ctx.annotations_by_name


def _by_table(ctx: PullContext, table: Table) -> list[Annotation]:
    """The annotations of ``table``, its columns, constraints, triggers, policies, indexes
    and identity or serial sequences."""
    grouped = _by_name(ctx)
    found = [
        item
        for item in grouped.get((table.schema, table.name), [])
        if item.target.kind in _TABLE_PARTS
    ]
    for name in [*(index.name for index in table.indexes), *_key_names(table)]:
        found += [i for i in grouped.get((table.schema, name), []) if i.target.kind == "index"]
    for name in implicit_sequences(table):
        found += [i for i in grouped.get((table.schema, name), []) if i.target.kind == "sequence"]
    return found


def _str_list(values: tuple[str, ...]) -> Expr:
    return Str(values[0]) if len(values) == 1 else ListOf(tuple(Str(v) for v in values))


def _trigger_arguments(
    trigger: Trigger, attributes: dict[str, str], comment: str | None
) -> list[Expr | Kw]:
    """The arguments of ``has_trigger`` (and, for a view, of ``model.view_trigger`` after
    the view)."""
    function: Expr = Str(f"{trigger.function.schema}.{trigger.function.name}")
    if "." in trigger.function.schema:
        function = call("QualifiedName", Str(trigger.function.schema), Str(trigger.function.name))
    arguments: list[Expr | Kw] = [
        Str(trigger.name),
        function,
        Kw("timing", Str(trigger.timing)),
        Kw("events", _str_list(tuple(trigger.events))),
    ]
    if trigger.level != "statement":
        arguments.append(Kw("for_each", Str(trigger.level)))
    if trigger.update_columns:
        columns = tuple(attributes.get(c, c) for c in trigger.update_columns)
        arguments.append(Kw("update_of", _str_list(columns)))
    if trigger.when is not None:
        arguments.append(Kw("when", Str(trigger.when, sql=True)))
    if trigger.arguments:
        arguments.append(Kw("arguments", ListOf(tuple(Str(a) for a in trigger.arguments))))
    if trigger.old_table is not None:
        arguments.append(Kw("referencing_old", Str(trigger.old_table)))
    if trigger.new_table is not None:
        arguments.append(Kw("referencing_new", Str(trigger.new_table)))
    for flag in ("constraint", "deferrable", "initially_deferred"):
        if getattr(trigger, flag):
            arguments.append(Kw(flag, Name("True")))
    if trigger.enabled != "origin":
        arguments.append(Kw("enabled", Str(trigger.enabled)))
    if comment is not None:
        arguments.append(Kw("comment", Str(comment)))
    return arguments


def view_triggers(ctx: PullContext, view: View) -> list[str]:
    """``model.view_trigger(handle, ...)`` lines for each trigger of ``view``, which the
    views' emitter writes after the view's declaration (assigned to its handle)."""
    ref = ObjectRef("view", view.schema, view.name)
    handle = ctx.bound.get(ref)
    lines: list[str] = []
    for trigger in view.triggers:
        on = sql_name(view.schema, view.name)
        if handle is None:
            note = ctx.note("trigger", f"trigger {sql_name(None, trigger.name)} on {on}")
            lines += comment_lines(note.comment, BODY)
            continue
        trigger_ref = ObjectRef("trigger", view.schema, view.name, trigger.name)
        comment = next(
            (c for c in _annotations(ctx) if isinstance(c, Comment) and c.target == trigger_ref),
            None,
        )
        if comment is not None:
            ctx.attached.add(comment)
        text = None if comment is None else comment.text
        arguments = _trigger_arguments(trigger, {}, text)
        lines += layout(call("model.view_trigger", Name(handle), *arguments), BODY)
    return lines


def _policy(policy: Policy, comment: str | None) -> Expr:
    arguments: list[Expr | Kw] = [Str(policy.name)]
    if policy.command != "all":
        arguments.append(Kw("command", Str(policy.command)))
    if not policy.permissive:
        arguments.append(Kw("permissive", Name("False")))
    if policy.roles != ("public",):
        arguments.append(Kw("to", _str_list(policy.roles)))
    if policy.using is not None:
        arguments.append(Kw("using", Str(policy.using, sql=True)))
    if policy.with_check is not None:
        arguments.append(Kw("with_check", Str(policy.with_check, sql=True)))
    if comment is not None:
        arguments.append(Kw("comment", Str(comment)))
    return call("e.has_policy", *arguments)


def _privileges(grants: list[Grant]) -> list[Expr]:
    return [Str(privilege) for privilege in sorted({grant.privilege for grant in grants})]


def _grouped(grants: list[Grant]) -> list[tuple[tuple[str, bool, bool, str | None], list[Grant]]]:
    """Grants by (grantee, grantable, revoke, column), in the ACL's order (the copy's ACL,
    and its dump, then list the roles alike)."""
    groups: dict[tuple[str, bool, bool, str | None], list[Grant]] = defaultdict(list)
    for grant in sorted(grants, key=lambda g: (g.position, g.target.member or "", g.privilege)):
        member = grant.target.member if grant.target.kind == "column" else None
        groups[(grant.grantee, grant.grantable, grant.revoke, member)].append(grant)
    return list(groups.items())


def _sequence_grants(ctx: PullContext, table: Table, grants: list[Grant]) -> list[Expr]:
    """``e.property(column).grant_on_sequence(...)`` for the grants on the identity and
    serial sequences of ``table`` (a sequence's privileges are not PUBLIC's by default: there
    is no revoke)."""
    sequences = implicit_sequences(table)
    attributes = ctx.attributes[table.qualified_name]
    statements: list[Expr] = []
    for sequence, column in sequences.items():
        mine = [grant for grant in grants if grant.target.name == sequence]
        if column not in attributes:
            ctx.attached.difference_update(mine)
            continue
        for (grantee, grantable, _, _), group in _grouped(mine):
            arguments: list[Expr | Kw] = [*_privileges(group), Kw("to", Str(grantee))]
            if grantable:
                arguments.append(Kw("with_grant_option", Name("True")))
            prop = call("e.property", Str(attributes[column]))
            statements.append(call(Attr(prop, "grant_on_sequence"), *arguments))
    return statements


def table_statements(ctx: PullContext, table: Table) -> list[Expr]:
    """The statements of ``table``'s block for its row-level security, triggers, policies,
    comments, grants and owner."""
    items = _by_table(ctx, table)
    ctx.attached.update(items)
    sequences = implicit_sequences(table)
    comments = {item.target: item.text for item in items if isinstance(item, Comment)}
    attributes = ctx.attributes[table.qualified_name]
    schema, name = table.schema, table.name
    statements: list[Expr] = []
    if table.rls_enabled:
        force = [Kw("force", Name("True"))] if table.rls_forced else []
        statements.append(call("e.has_row_level_security", *force))
    elif table.rls_forced:
        on = sql_name(schema, name)
        ctx.note("row level security", f"FORCE ROW LEVEL SECURITY (not enabled) on {on}")
    for trigger in table.triggers:
        comment = comments.pop(ObjectRef("trigger", schema, name, trigger.name), None)
        trigger_arguments = _trigger_arguments(trigger, attributes, comment)
        statements.append(call("e.has_trigger", *trigger_arguments))
    for policy in table.policies:
        comment = comments.pop(ObjectRef("policy", schema, name, policy.name), None)
        statements.append(_policy(policy, comment))
    for ref, text in comments.items():
        if ref.kind == "table":
            statements.append(call("e.has_comment", Str(text)))
        elif ref.kind == "column" and ref.member in attributes:
            prop = call("e.property", Str(attributes[ref.member]))
            statements.append(call(Attr(prop, "has_comment"), Str(text)))
        elif ref.kind == "constraint" and ref.member is not None:
            statements.append(call("e.has_constraint_comment", Str(ref.member), Str(text)))
        elif ref.kind == "index":
            statements.append(call("e.has_index_comment", Str(ref.name), Str(text)))
        elif ref.kind == "sequence" and sequences.get(ref.name) in attributes:
            prop = call("e.property", Str(attributes[sequences[ref.name]]))
            statements.append(call(Attr(prop, "has_sequence_comment"), Str(text)))
        else:
            ctx.attached.discard(Comment(ref, text))
    grants = [item for item in items if isinstance(item, Grant)]
    statements += _sequence_grants(ctx, table, [g for g in grants if g.target.kind == "sequence"])
    grants = [grant for grant in grants if grant.target.kind != "sequence"]
    for (grantee, grantable, revoke, member), group in _grouped(grants):
        arguments: list[Expr | Kw] = [*_privileges(group), Kw("to", Str(grantee))]
        if member is not None:
            arguments.append(Kw("columns", Str(attributes.get(member, member))))
        if grantable:
            arguments.append(Kw("with_grant_option", Name("True")))
        if revoke:
            # No table privilege is PUBLIC's by default: there is nothing to revoke.
            ctx.attached.difference_update(group)
            continue
        statements.append(call("e.grant", *arguments))
    table_owner = ctx.current_user
    for item in items:
        if isinstance(item, Owner) and item.target.kind == "table":
            statements.append(call("e.has_owner", Str(item.role)))
            table_owner = item.role
    for item in items:
        # The table's owner owns its identity and serial sequences: a different owner is
        # one the builder cannot declare.
        if not isinstance(item, Owner) or item.target.kind != "sequence":
            continue
        if item.role != table_owner:
            ctx.attached.discard(item)
    return statements


# --- everything else ------------------------------------------------------------------


def _describe(item: Annotation) -> tuple[str, str]:
    """(kind, description) of an annotation the module does not declare."""
    ref = item.target
    target = f"{ref.kind} {_ref_name(ref)}"
    if isinstance(item, Comment):
        return "comment", f"comment on {target}"
    if isinstance(item, Owner):
        return "owner", f"owner of {target}: {item.role}"
    verb, word = ("revoke", "from") if item.revoke else ("grant", "to")
    return "grant", f"{verb} {item.privilege} on {target} {word} {item.grantee}"


def _ref_name(ref: ObjectRef) -> str:
    if ref.kind in ("function", "procedure", "aggregate"):
        return f"{sql_name(ref.schema, ref.name)}({ref.member or ''})"
    if ref.kind in ("column", "constraint", "trigger", "policy", "domain_constraint"):
        return f"{sql_name(None, ref.member or '')} on {sql_name(ref.schema, ref.name)}"
    return sql_name(ref.schema, ref.name)


def _statement(item: Annotation, handle: str) -> Expr:
    on = Name(handle)
    if isinstance(item, Comment):
        if item.target.kind == "column":
            column = Kw("column", Str(item.target.member or ""))
            return call("model.comment", on, Str(item.text), column)
        return call("model.comment", on, Str(item.text))
    assert isinstance(item, Owner)
    return call("model.owner", on, Str(item.role))


def _grant_statement(group: list[Grant], handle: str) -> Expr:
    first = group[0]
    if first.revoke:
        return call(
            "model.revoke",
            *_privileges(group),
            Kw("on", Name(handle)),
            Kw("from_", Str(first.grantee)),
        )
    arguments: list[Expr | Kw] = [
        *_privileges(group),
        Kw("on", Name(handle)),
        Kw("to", Str(first.grantee)),
    ]
    if first.grantable:
        arguments.append(Kw("with_grant_option", Name("True")))
    if first.target.kind == "column":
        arguments.append(Kw("columns", Str(first.target.member or "")))
    return call("model.grant", *arguments)


def _handle(ctx: PullContext, item: Annotation) -> str | None:
    ref = _handle_target(ctx, item)
    return None if ref is None else ctx.bound.get(ref)


def _note(ctx: PullContext, item: Annotation) -> list[str]:
    kind, description = _describe(item)
    return comment_lines(ctx.note(kind, description).comment, BODY)


def emit(ctx: PullContext) -> list[str]:
    """``model.comment``, ``model.owner``, ``model.grant`` and ``model.revoke`` for every
    object outside the tables, on the handles of their declarations; notes for the rest."""
    lines: list[str] = []
    items = [item for item in _annotations(ctx) if item not in ctx.attached]
    for item in items:
        if isinstance(item, Grant):
            continue
        handle = _handle(ctx, item)
        lines += _note(ctx, item) if handle is None else layout(_statement(item, handle), BODY)
    grants = [item for item in items if isinstance(item, Grant)]
    by_object: dict[ObjectRef, list[Grant]] = defaultdict(list)
    for grant in grants:
        by_object[grant.target].append(grant)
    for target in sorted(by_object, key=lambda ref: ref.sort_key):
        for _, group in _grouped(by_object[target]):
            handle = _handle(ctx, group[0])
            if handle is None:
                for grant in group:
                    lines += _note(ctx, grant)
                continue
            lines += layout(_grant_statement(group, handle), BODY)
    return lines
