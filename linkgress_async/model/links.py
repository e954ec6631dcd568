"""The relationship builder: a foreign key declared by ``has_one`` or ``has_many``."""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf

from linkgress_async.errors import ModelError
from linkgress_async.model._args import action as fk_action
from linkgress_async.model._args import action_of, check_identifier, names
from linkgress_async.model.specs import RelationshipSpec

__all__ = ["RelationshipBuilder"]


class RelationshipBuilder:
    """Configures a foreign key declared by ``has_one`` or ``has_many``."""

    def __init__(self, spec: RelationshipSpec) -> None:
        self._spec = spec

    def with_foreign_key(self, columns: str | SequenceOf[str]) -> RelationshipBuilder:
        """The dependent entity's properties that hold the key (a list for composite keys)."""
        self._spec.foreign_key = self._names(columns)
        return self

    def with_principal_key(self, columns: str | SequenceOf[str]) -> RelationshipBuilder:
        """The referenced properties (default: the principal's primary key)."""
        self._spec.principal_key = self._names(columns)
        return self

    def _names(self, columns: str | SequenceOf[str]) -> tuple[str, ...]:
        # One name is the usual key, and always valid: the relationship is described (for
        # the message) only for a list.
        if isinstance(columns, str):
            return (columns,)
        return names(columns, self._spec.describe())

    def on_delete(
        self, action: str, *, columns: str | SequenceOf[str] | None = None
    ) -> RelationshipBuilder:
        """``cascade``, ``restrict``, ``set null``, ``set default`` or ``no action``.

        ``columns`` (PostgreSQL 15) limits ``set null``/``set default`` to some of the key's
        properties: ``on_delete("set null", columns="author_id")`` is
        ``ON DELETE SET NULL (author_id)``.
        """
        found = action_of(action)
        if found is not None and columns is None:
            # The usual call: the relationship is described (for a message) only when needed.
            self._spec.on_delete = found
            return self
        where = self._spec.describe() + ", on_delete"
        self._spec.on_delete = fk_action(action, where)
        if columns is not None:
            if self._spec.on_delete not in ("set null", "set default"):
                raise ModelError(
                    f"{where}: columns apply only to 'set null' or 'set default', not "
                    f"{self._spec.on_delete!r}; drop columns= or change the action"
                )
            self._spec.delete_set_columns = names(columns, where + ", columns")
        return self

    def on_update(self, action: str) -> RelationshipBuilder:
        """``cascade``, ``restrict``, ``set null``, ``set default`` or ``no action``."""
        self._spec.on_update = fk_action(action, self._spec.describe() + ", on_update")
        return self

    def with_match(self, match: str) -> RelationshipBuilder:
        """``MATCH FULL`` (``"full"``): a key with a NULL column must be NULL in every column;
        ``"simple"`` is PostgreSQL's default (any NULL column skips the check)."""
        where = self._spec.describe() + ", with_match"
        normal = match.strip().lower() if isinstance(match, str) else match
        if normal == "full":
            self._spec.match = "full"
        elif normal == "simple":
            self._spec.match = "simple"
        else:
            raise ModelError(
                f"{where}: {match!r} is not 'full' or 'simple' (PostgreSQL does not "
                "implement MATCH PARTIAL)"
            )
        return self

    def is_deferrable(
        self, deferrable: bool = True, *, initially_deferred: bool = False
    ) -> RelationshipBuilder:
        """``DEFERRABLE`` (checked at the statement's end unless deferred by
        ``SET CONSTRAINTS``), ``initially_deferred=True``: ``INITIALLY DEFERRED`` (checked at
        commit)."""
        where = self._spec.describe() + ", is_deferrable"
        if not isinstance(deferrable, bool) or not isinstance(initially_deferred, bool):
            raise ModelError(f"{where}: expected True or False")
        if initially_deferred and not deferrable:
            raise ModelError(f"{where}: initially_deferred needs deferrable=True")
        self._spec.deferrable = deferrable
        self._spec.initially_deferred = initially_deferred
        return self

    def is_not_valid(self, not_valid: bool = True) -> RelationshipBuilder:
        """``NOT VALID``: the key is added without checking the rows already there (new
        rows are checked); ``VALIDATE CONSTRAINT`` in a migration checks them later."""
        if not isinstance(not_valid, bool):
            raise ModelError(f"{self._spec.describe()}, is_not_valid: expected True or False")
        self._spec.not_valid = not_valid
        return self

    def is_enforced(self, enforced: bool = True) -> RelationshipBuilder:
        """``is_enforced(False)``: ``NOT ENFORCED`` (PostgreSQL 18), a key the server
        records but never checks."""
        if not isinstance(enforced, bool):
            raise ModelError(f"{self._spec.describe()}, is_enforced: expected True or False")
        self._spec.enforced = enforced
        return self

    def with_period(self, period: bool = True) -> RelationshipBuilder:
        """A temporal key (PostgreSQL 18): the last key property and the last referenced one
        are ranges compared with ``PERIOD``; the referenced key is ``WITHOUT OVERLAPS``."""
        if not isinstance(period, bool):
            raise ModelError(f"{self._spec.describe()}, with_period: expected True or False")
        self._spec.period = period
        return self

    def has_db_name(self, name: str) -> RelationshipBuilder:
        """Name the foreign key constraint (default ``FK_{table}_{target_table}``, or
        ``FK_{table}_{target_table}_{first column}`` under ``naming="linkgress-ts"``)."""
        check_identifier(name, self._spec.describe() + ", has_db_name")
        self._spec.name = name
        return self

    def is_required(self, required: bool = True) -> RelationshipBuilder:
        """Make the foreign key columns NOT NULL."""
        self._spec.required = required
        return self

    def is_inverse_navigation(self) -> RelationshipBuilder:
        """A navigation only: this side creates no foreign key (Linkgress'
        ``isInverseNavigation``, for the second side of a one-to-one relationship whose key
        is declared on the other entity)."""
        self._spec.inverse = True
        return self

    def allow_type_mismatch(self) -> RelationshipBuilder:
        """Let the key columns' types differ from the referenced columns' types.

        By default they must be types PostgreSQL compares for a key (a length may differ,
        ``integer`` may reference ``bigint``), which catches mistakes; this accepts any pair
        and leaves the check to the server when it creates the key.
        """
        self._spec.any_key_types = True
        return self

    def renamed_from(self, old_name: str) -> RelationshipBuilder:
        """The foreign key constraint's previous name: migrations rename it."""
        check_identifier(old_name, self._spec.describe() + ", renamed_from")
        self._spec.renamed_from = old_name
        return self
