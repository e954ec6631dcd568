"""Operations on what attaches to any object: comments, privileges, owners.

Each names its object by an :class:`~linkgress_async.catalog.ObjectRef`. None touches stored
rows, so none is destructive, and each carries what it replaces so that it can be reversed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from attrs import frozen

from linkgress_async.catalog import ObjectRef
from linkgress_async.ops.base import BaseOperation, display

if TYPE_CHECKING:
    from linkgress_async.ops import MigrationOperation

__all__ = [
    "AlterOwner",
    "GrantPrivileges",
    "RevokePrivileges",
    "SetComment",
    "describe_object",
]

_KIND_WORDS = {
    "materialized_view": "materialized view",
    "domain_constraint": "constraint",
}


def describe_object(ref: ObjectRef) -> str:
    """How plans name an object: ``table 'users'``, ``column 'users.email'``,
    ``trigger 'audit' on 'users'``, ``function 'f(integer)'``."""
    kind = _KIND_WORDS.get(ref.kind, ref.kind)
    if ref.schema is None:
        return f"{kind} '{ref.name}'"
    where = display(ref.schema, ref.name)
    if ref.member is None:
        return f"{kind} '{where}'"
    if ref.kind in ("function", "procedure", "aggregate"):
        return f"{kind} '{where}({ref.member})'"
    if ref.kind == "column":
        return f"{kind} '{where}.{ref.member}'"
    on = "domain " if ref.kind == "domain_constraint" else ""
    return f"{kind} '{ref.member}' on {on}'{where}'"


@frozen
class SetComment(BaseOperation):
    """``COMMENT ON <object> IS 'text'``, or ``IS NULL`` when ``text`` is ``None``.

    ``previous`` is the comment it replaces (``None``: there was none).
    """

    type: ClassVar[str] = "set_comment"
    target: ObjectRef
    text: str | None
    previous: str | None = None

    def describe(self) -> str:
        verb = "Remove" if self.text is None else "Set"
        return f"{verb} comment on {describe_object(self.target)}"

    def reverse(self) -> MigrationOperation:
        return SetComment(self.target, self.previous, self.text)


@frozen
class GrantPrivileges(BaseOperation):
    """``GRANT privileges ON <object> TO grantee [WITH GRANT OPTION]``.

    ``grantee`` is a role name or ``PUBLIC``; column privileges target a column.
    ``previously_held`` says the role held the privileges already, without the grant
    option (so the reverse takes back only the option).
    """

    type: ClassVar[str] = "grant_privileges"
    target: ObjectRef
    grantee: str
    privileges: tuple[str, ...]
    with_grant_option: bool = False
    previously_held: bool = False

    def describe(self) -> str:
        option = " with grant option" if self.with_grant_option else ""
        return (
            f"Grant {', '.join(self.privileges)} on {describe_object(self.target)} "
            f"to '{self.grantee}'{option}"
        )

    def reverse(self) -> MigrationOperation:
        return RevokePrivileges(
            self.target,
            self.grantee,
            self.privileges,
            grant_option_only=self.with_grant_option and self.previously_held,
            previously_grantable=self.with_grant_option,
        )


@frozen
class RevokePrivileges(BaseOperation):
    """``REVOKE [GRANT OPTION FOR] privileges ON <object> FROM grantee``.

    ``previously_grantable`` says the role could pass the privileges on (so the reverse
    grants them back with the option).
    """

    type: ClassVar[str] = "revoke_privileges"
    target: ObjectRef
    grantee: str
    privileges: tuple[str, ...]
    grant_option_only: bool = False
    previously_grantable: bool = False

    def describe(self) -> str:
        what = ", ".join(self.privileges)
        if self.grant_option_only:
            what = f"grant option for {what}"
        return f"Revoke {what} on {describe_object(self.target)} from '{self.grantee}'"

    def reverse(self) -> MigrationOperation:
        if self.grant_option_only:
            return GrantPrivileges(
                self.target, self.grantee, self.privileges, True, previously_held=True
            )
        return GrantPrivileges(
            self.target, self.grantee, self.privileges, self.previously_grantable
        )


@frozen
class AlterOwner(BaseOperation):
    """``ALTER <object> OWNER TO role``.

    ``role`` ``None`` is ``CURRENT_USER``: the reverse of giving a new object its owner,
    whose creator (the role running the migration) owned it before. ``previous`` is the
    live owner (``None`` for an object the plan creates).
    """

    type: ClassVar[str] = "alter_owner"
    target: ObjectRef
    role: str | None
    previous: str | None = None

    def describe(self) -> str:
        role = "the current user" if self.role is None else f"'{self.role}'"
        return f"Change the owner of {describe_object(self.target)} to {role}"

    def reverse(self) -> MigrationOperation:
        return AlterOwner(self.target, self.previous, self.role)
