"""What attaches to any object: comments, privileges, owners.

They live in flat collections on the :class:`~linkgress_async.catalog.Catalog`, keyed by an
:class:`~linkgress_async.catalog.ObjectRef`, so every object kind has them without a field of
its own, and one comparator each handles them all.
"""

from __future__ import annotations

import attrs
from attrs import frozen

from linkgress_async.catalog.names import ObjectRef

__all__ = ["Comment", "Grant", "Owner"]


@frozen(order=True)
class Comment:
    """``COMMENT ON <target> IS text``."""

    target: ObjectRef
    text: str


@frozen(order=True)
class Grant:
    """One privilege of one role on one object, relative to PostgreSQL's defaults.

    PostgreSQL's defaults (``acldefault``): the owner holds every privilege; ``PUBLIC`` holds
    ``EXECUTE`` on functions and procedures and ``USAGE`` on types, domains and languages, and
    nothing on tables, views, sequences or schemas. A grant with ``revoke=False`` is a
    privilege held beyond those defaults (``GRANT SELECT ON t TO reader``); ``revoke=True``
    is a default taken away (``REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC``). The owner's own
    privileges are not represented. ``grantee`` is a role name, or ``PUBLIC``; ``privilege``
    is upper case (``SELECT``, ``USAGE``, ``EXECUTE``...); column privileges target a column.

    Privileges are managed per role: the diff compares only the privileges of roles the
    model mentions, so grants made by hand to other roles are left alone.

    ``position`` is where the grantee's entry stands in the object's ACL (introspection
    reads it; 0 when unknown): the diff grants in that order, so that the copy's ACL, and
    ``pg_dump``'s output, list the roles alike. It takes no part in equality.
    """

    target: ObjectRef
    grantee: str
    privilege: str
    grantable: bool = False
    revoke: bool = False
    position: int = attrs.field(default=0, eq=False)
    kept: bool = attrs.field(default=False, eq=False)
    """Carried over from the database for an object the model does not declare but the
    ownership policy keeps: compared like the model's, but its role does not become one the
    model manages (never part of equality)."""


@frozen(order=True)
class Owner:
    """``ALTER <target> OWNER TO role``.

    A model states an owner only where it cares; the diff compares owners of the objects the
    model states one for (introspection reads every owner).
    """

    target: ObjectRef
    role: str
