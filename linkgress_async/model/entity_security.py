"""The entity builder's triggers and row-level security policies."""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf
from typing import Generic, Literal, Self, get_args

from linkgress_async.catalog import (
    Function,
    PolicyCommand,
    QualifiedName,
    TriggerEnabled,
)
from linkgress_async.errors import ModelError
from linkgress_async.model._args import (
    check_identifier,
    expression,
    roles,
)
from linkgress_async.model._entity_parts import (
    EntityParts,
    T,
    check_comment,
    check_flag,
)
from linkgress_async.model.specs import (
    PolicySpec,
)
from linkgress_async.model.triggers import trigger_spec
from linkgress_async.render.quote import RawSql

__all__ = ["TriggersAndPolicies"]


class TriggersAndPolicies(EntityParts, Generic[T]):
    """Triggers and policies of :class:`~linkgress_async.model.entity.EntityBuilder`."""

    def has_trigger(
        self,
        name: str,
        function: Function | QualifiedName | str,
        *,
        timing: Literal["before", "after", "instead of"],
        events: str | SequenceOf[str],
        for_each: Literal["row", "statement"] = "statement",
        update_of: str | SequenceOf[str] | None = None,
        when: str | RawSql | None = None,
        arguments: SequenceOf[str] = (),
        referencing_old: str | None = None,
        referencing_new: str | None = None,
        constraint: bool = False,
        deferrable: bool = False,
        initially_deferred: bool = False,
        enabled: TriggerEnabled = "origin",
        comment: str | None = None,
        renamed_from: str | None = None,
    ) -> Self:
        """``CREATE TRIGGER name timing events ON table FOR EACH for_each EXECUTE FUNCTION
        function(arguments)``; ``enabled`` is ``origin`` (the default), ``disabled``,
        ``replica`` or ``always``."""
        where = f"{self._label}, trigger {name!r}"
        self._spec.triggers += (
            trigger_spec(
                where,
                name,
                function,
                timing=timing,
                events=events,
                for_each=for_each,
                update_of=update_of,
                when=when,
                arguments=arguments,
                referencing_old=referencing_old,
                referencing_new=referencing_new,
                constraint=constraint,
                deferrable=deferrable,
                initially_deferred=initially_deferred,
                enabled=enabled,
                comment=comment,
                renamed_from=renamed_from,
            ),
        )
        return self

    def has_policy(
        self,
        name: str,
        *,
        command: PolicyCommand = "all",
        permissive: bool = True,
        to: str | SequenceOf[str] = "public",
        using: str | RawSql | None = None,
        with_check: str | RawSql | None = None,
        comment: str | None = None,
        renamed_from: str | None = None,
    ) -> Self:
        """``CREATE POLICY name ON table [AS RESTRICTIVE] FOR command TO roles USING (...)
        WITH CHECK (...)``; needs ``has_row_level_security()`` to take effect."""
        where = f"{self._label}, policy {name!r}"
        check_identifier(name, where)
        if command not in get_args(PolicyCommand):
            raise ModelError(f"{where}: command is one of {', '.join(get_args(PolicyCommand))}")
        grantees = tuple(sorted(r.lower() if r == "PUBLIC" else r for r in roles(to, where)))
        self._spec.policies += (
            PolicySpec(
                name=name,
                command=command,
                permissive=check_flag(permissive, where + ", permissive"),
                roles=grantees,
                using=None if using is None else expression(using, where + ", using"),
                with_check=(
                    None if with_check is None else expression(with_check, where + ", with_check")
                ),
                comment=check_comment(comment, where),
                renamed_from=renamed_from,
            ),
        )
        return self
