"""SQL of the trigger, row-level security, comment, privilege and owner operations.

:func:`~linkgress_async.render.sql.operation_sql` hands these operations here. Identifiers go
through :func:`~linkgress_async.render.quote.quote_ident`, comment texts and trigger arguments
through :func:`~linkgress_async.render.quote.render_literal`; expressions (``WHEN``,
``USING``, ``WITH CHECK``) and routines' argument types are the server's spelling and are
inserted as they are.
"""

from __future__ import annotations

from typing import assert_never

from linkgress_async.catalog import ObjectRef, Policy, Trigger, TriggerEnabled
from linkgress_async.ops import (
    AlterOwner,
    AlterPolicy,
    AlterRowSecurity,
    AlterTriggerEnabled,
    CreatePolicy,
    CreateTrigger,
    DropPolicy,
    DropTrigger,
    GrantPrivileges,
    RenamePolicy,
    RenameTrigger,
    RevokePrivileges,
    SetComment,
)
from linkgress_async.render.quote import qualified, quote_ident, render_literal
from linkgress_async.render.reparse import stable_sql

__all__ = [
    "SecurityOperation",
    "object_sql",
    "policy_definition",
    "security_sql",
    "trigger_definition",
]

SecurityOperation = (
    CreateTrigger
    | DropTrigger
    | RenameTrigger
    | AlterTriggerEnabled
    | AlterRowSecurity
    | CreatePolicy
    | DropPolicy
    | AlterPolicy
    | RenamePolicy
    | SetComment
    | GrantPrivileges
    | RevokePrivileges
    | AlterOwner
)
"""The operations this module renders."""


def _alter_table(schema: str, table: str, action: str) -> str:
    return f"ALTER TABLE {qualified(schema, table)} {action}"


# --- triggers ------------------------------------------------------------------------------


def _events(trigger: Trigger) -> str:
    words: list[str] = []
    for event in trigger.events:
        word = event.upper()
        if event == "update" and trigger.update_columns:
            word += " OF " + ", ".join(quote_ident(c) for c in trigger.update_columns)
        words.append(word)
    return " OR ".join(words)


def trigger_definition(
    schema: str, table: str, trigger: Trigger, *, or_replace: bool = False
) -> str:
    """``CREATE [OR REPLACE] [CONSTRAINT] TRIGGER ...`` for ``trigger`` on ``schema.table``."""
    head = "CREATE OR REPLACE" if or_replace else "CREATE"
    kind = "CONSTRAINT TRIGGER" if trigger.constraint else "TRIGGER"
    parts = [
        f"{head} {kind} {quote_ident(trigger.name)} {trigger.timing.upper()} {_events(trigger)}",
        f"ON {qualified(schema, table)}",
    ]
    if trigger.constraint:
        if not trigger.deferrable:
            parts.append("NOT DEFERRABLE")
        elif trigger.initially_deferred:
            parts.append("DEFERRABLE INITIALLY DEFERRED")
        else:
            parts.append("DEFERRABLE INITIALLY IMMEDIATE")
    if trigger.old_table is not None or trigger.new_table is not None:
        referencing = ["REFERENCING"]
        if trigger.old_table is not None:
            referencing.append(f"OLD TABLE AS {quote_ident(trigger.old_table)}")
        if trigger.new_table is not None:
            referencing.append(f"NEW TABLE AS {quote_ident(trigger.new_table)}")
        parts.append(" ".join(referencing))
    parts.append(f"FOR EACH {trigger.level.upper()}")
    if trigger.when is not None:
        parts.append(f"WHEN ({trigger.when})")
    arguments = ", ".join(render_literal(argument) for argument in trigger.arguments)
    function = qualified(trigger.function.schema, trigger.function.name)
    parts.append(f"EXECUTE FUNCTION {function}({arguments})")
    return " ".join(parts)


_ENABLED_ACTIONS: dict[TriggerEnabled, str] = {
    "origin": "ENABLE TRIGGER",
    "disabled": "DISABLE TRIGGER",
    "replica": "ENABLE REPLICA TRIGGER",
    "always": "ENABLE ALWAYS TRIGGER",
}


def _trigger_enabled(schema: str, table: str, name: str, enabled: TriggerEnabled) -> str:
    return _alter_table(schema, table, f"{_ENABLED_ACTIONS[enabled]} {quote_ident(name)}")


def _create_trigger(op: CreateTrigger) -> list[str]:
    trigger = op.trigger
    statements = [
        trigger_definition(op.schema_name, op.table_name, trigger, or_replace=op.or_replace)
    ]
    # A new trigger fires on origin; CREATE OR REPLACE puts a replaced one back there too.
    if trigger.enabled != "origin":
        statements.append(
            _trigger_enabled(op.schema_name, op.table_name, trigger.name, trigger.enabled)
        )
    return statements


# --- row-level security --------------------------------------------------------------------


def _roles(roles: tuple[str, ...]) -> str:
    # Policy.roles spells PUBLIC as "public", a name no role can have.
    return ", ".join("PUBLIC" if role == "public" else quote_ident(role) for role in roles)


def policy_definition(schema: str, table: str, policy: Policy) -> str:
    """``CREATE POLICY ...`` for ``policy`` on ``schema.table``."""
    kind = "PERMISSIVE" if policy.permissive else "RESTRICTIVE"
    text = (
        f"CREATE POLICY {quote_ident(policy.name)} ON {qualified(schema, table)} AS {kind} "
        f"FOR {policy.command.upper()} TO {_roles(policy.roles)}"
    )
    if policy.using is not None:
        text += f" USING ({stable_sql(policy.using)})"
    if policy.with_check is not None:
        text += f" WITH CHECK ({stable_sql(policy.with_check)})"
    return text


def _alter_policy(op: AlterPolicy) -> list[str]:
    where = qualified(op.schema_name, op.table_name)
    if not op.in_place:
        return [
            f"DROP POLICY {quote_ident(op.from_.name)} ON {where}",
            policy_definition(op.schema_name, op.table_name, op.to),
        ]
    text = f"ALTER POLICY {quote_ident(op.to.name)} ON {where}"
    changes = op.changes
    if "roles" in changes:
        text += f" TO {_roles(op.to.roles)}"
    if "using" in changes and op.to.using is not None:
        text += f" USING ({stable_sql(op.to.using)})"
    if "with_check" in changes and op.to.with_check is not None:
        text += f" WITH CHECK ({stable_sql(op.to.with_check)})"
    return [text]


def _row_security(op: AlterRowSecurity) -> list[str]:
    actions = {
        "enable": "ENABLE ROW LEVEL SECURITY",
        "disable": "DISABLE ROW LEVEL SECURITY",
        "force": "FORCE ROW LEVEL SECURITY",
        "no force": "NO FORCE ROW LEVEL SECURITY",
    }
    return [_alter_table(op.schema_name, op.table_name, actions[c]) for c in op.changes]


# --- comments, privileges, owners ----------------------------------------------------------

# COMMENT ON / ALTER ... OWNER TO keywords of each kind.
_KEYWORDS = {
    "schema": "SCHEMA",
    "extension": "EXTENSION",
    "type": "TYPE",
    "domain": "DOMAIN",
    "sequence": "SEQUENCE",
    "table": "TABLE",
    "column": "COLUMN",
    "constraint": "CONSTRAINT",
    "domain_constraint": "CONSTRAINT",
    "index": "INDEX",
    "trigger": "TRIGGER",
    "policy": "POLICY",
    "view": "VIEW",
    "materialized_view": "MATERIALIZED VIEW",
    "function": "FUNCTION",
    "procedure": "PROCEDURE",
    "aggregate": "AGGREGATE",
    "statistics": "STATISTICS",
}


def _schema_of(ref: ObjectRef) -> str:
    if ref.schema is None:
        raise ValueError(f"{ref} needs a schema")
    return ref.schema


def _member_of(ref: ObjectRef) -> str:
    if ref.member is None:
        raise ValueError(f"{ref} needs a member (column, constraint, trigger or policy name)")
    return ref.member


def object_sql(ref: ObjectRef) -> str:
    """``TABLE "s"."t"``, ``COLUMN "s"."t"."c"``, ``TRIGGER "tg" ON "s"."t"``,
    ``AGGREGATE "s"."a"(integer)``: the object as ``COMMENT ON`` names it."""
    keyword = _KEYWORDS[ref.kind]
    match ref.kind:
        case "schema" | "extension":
            return f"{keyword} {quote_ident(ref.name)}"
        case "column":
            name = qualified(_schema_of(ref), ref.name)
            return f"{keyword} {name}.{quote_ident(_member_of(ref))}"
        case "constraint" | "trigger" | "policy":
            name = qualified(_schema_of(ref), ref.name)
            return f"{keyword} {quote_ident(_member_of(ref))} ON {name}"
        case "domain_constraint":
            name = qualified(_schema_of(ref), ref.name)
            return f"{keyword} {quote_ident(_member_of(ref))} ON DOMAIN {name}"
        case "function" | "procedure":
            # The identity arguments are the server's spelling (pg_get_function_identity_arguments).
            return f"{keyword} {qualified(_schema_of(ref), ref.name)}({_member_of(ref)})"
        case "aggregate":
            arguments = _member_of(ref) or "*"  # an aggregate of no arguments is spelled (*)
            return f"{keyword} {qualified(_schema_of(ref), ref.name)}({arguments})"
        case _:
            return f"{keyword} {qualified(_schema_of(ref), ref.name)}"


def _grant_object(ref: ObjectRef) -> tuple[str, str]:
    """(the column list, ``ON ...``) of GRANT and REVOKE for ``ref``."""
    name = qualified(_schema_of(ref), ref.name) if ref.schema is not None else ""
    match ref.kind:
        case "schema":
            return "", f"SCHEMA {quote_ident(ref.name)}"
        case "column":
            return f" ({quote_ident(_member_of(ref))})", f"TABLE {name}"
        case "table" | "view" | "materialized_view":
            return "", f"TABLE {name}"
        case "sequence":
            return "", f"SEQUENCE {name}"
        case "type":
            return "", f"TYPE {name}"
        case "domain":
            return "", f"DOMAIN {name}"
        case "function" | "procedure":
            return "", f"{_KEYWORDS[ref.kind]} {name}({_member_of(ref)})"
        case "aggregate":
            # GRANT names an aggregate as a function: all argument types, no ORDER BY.
            arguments = _member_of(ref).replace(" ORDER BY ", ", ")
            return "", f"FUNCTION {name}({arguments})"
        case _:
            raise ValueError(f"privileges of {ref} cannot be granted")


def _grantee(role: str) -> str:
    return "PUBLIC" if role == "PUBLIC" else quote_ident(role)


def _grant(op: GrantPrivileges) -> str:
    columns, target = _grant_object(op.target)
    privileges = ", ".join(f"{p}{columns}" for p in op.privileges)
    option = " WITH GRANT OPTION" if op.with_grant_option else ""
    return f"GRANT {privileges} ON {target} TO {_grantee(op.grantee)}{option}"


def _revoke(op: RevokePrivileges) -> str:
    columns, target = _grant_object(op.target)
    privileges = ", ".join(f"{p}{columns}" for p in op.privileges)
    option = "GRANT OPTION FOR " if op.grant_option_only else ""
    return f"REVOKE {option}{privileges} ON {target} FROM {_grantee(op.grantee)}"


_OWNED_KINDS = frozenset(
    (
        "schema",
        "type",
        "domain",
        "sequence",
        "table",
        "view",
        "materialized_view",
        "function",
        "procedure",
        "aggregate",
        "statistics",
    )
)


def _alter_owner(op: AlterOwner) -> str:
    if op.target.kind not in _OWNED_KINDS:
        raise ValueError(f"the owner of {op.target} cannot be changed on its own")
    role = "CURRENT_USER" if op.role is None else quote_ident(op.role)
    return f"ALTER {object_sql(op.target)} OWNER TO {role}"


def security_sql(op: SecurityOperation) -> list[str]:
    """The statements of one trigger, row-level security, comment, privilege or owner op."""
    match op:
        case CreateTrigger():
            return _create_trigger(op)
        case DropTrigger():
            where = qualified(op.schema_name, op.table_name)
            return [f"DROP TRIGGER {quote_ident(op.trigger_name)} ON {where}"]
        case RenameTrigger():
            where = qualified(op.schema_name, op.table_name)
            return [
                f"ALTER TRIGGER {quote_ident(op.trigger_name)} ON {where} "
                f"RENAME TO {quote_ident(op.new_name)}"
            ]
        case AlterTriggerEnabled():
            return [_trigger_enabled(op.schema_name, op.table_name, op.trigger_name, op.enabled)]
        case AlterRowSecurity():
            return _row_security(op)
        case CreatePolicy():
            return [policy_definition(op.schema_name, op.table_name, op.policy)]
        case DropPolicy():
            where = qualified(op.schema_name, op.table_name)
            return [f"DROP POLICY {quote_ident(op.policy_name)} ON {where}"]
        case AlterPolicy():
            return _alter_policy(op)
        case RenamePolicy():
            where = qualified(op.schema_name, op.table_name)
            return [
                f"ALTER POLICY {quote_ident(op.policy_name)} ON {where} "
                f"RENAME TO {quote_ident(op.new_name)}"
            ]
        case SetComment():
            text = "NULL" if op.text is None else render_literal(op.text)
            return [f"COMMENT ON {object_sql(op.target)} IS {text}"]
        case GrantPrivileges():
            return [_grant(op)]
        case RevokePrivileges():
            return [_revoke(op)]
        case AlterOwner():
            return [_alter_owner(op)]
        case _:
            assert_never(op)
