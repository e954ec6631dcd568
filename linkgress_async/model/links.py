"""The relationship builder: a foreign key declared by ``has_one`` or ``has_many``."""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf

from linkgress_async.model._args import action as fk_action
from linkgress_async.model._args import check_identifier, names
from linkgress_async.model.specs import RelationshipSpec

__all__ = ["RelationshipBuilder"]


class RelationshipBuilder:
    """Configures a foreign key declared by ``has_one`` or ``has_many``."""

    def __init__(self, spec: RelationshipSpec) -> None:
        self._spec = spec

    def with_foreign_key(self, columns: str | SequenceOf[str]) -> RelationshipBuilder:
        """The dependent entity's properties that hold the key (a list for composite keys)."""
        self._spec.foreign_key = names(columns, self._spec.describe())
        return self

    def with_principal_key(self, columns: str | SequenceOf[str]) -> RelationshipBuilder:
        """The referenced properties (default: the principal's primary key)."""
        self._spec.principal_key = names(columns, self._spec.describe())
        return self

    def on_delete(self, action: str) -> RelationshipBuilder:
        """``cascade``, ``restrict``, ``set null``, ``set default`` or ``no action``."""
        self._spec.on_delete = fk_action(action, self._spec.describe() + ", on_delete")
        return self

    def on_update(self, action: str) -> RelationshipBuilder:
        """``cascade``, ``restrict``, ``set null``, ``set default`` or ``no action``."""
        self._spec.on_update = fk_action(action, self._spec.describe() + ", on_update")
        return self

    def has_db_name(self, name: str) -> RelationshipBuilder:
        """Name the foreign key constraint (default ``FK_{table}_{target_table}``)."""
        check_identifier(name, self._spec.describe() + ", has_db_name")
        self._spec.name = name
        return self

    def is_required(self, required: bool = True) -> RelationshipBuilder:
        """Make the foreign key columns NOT NULL."""
        self._spec.required = required
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
