"""One emitter per object kind: catalog values in, model-builder code out.

Each emitter reads its kind from the :class:`~linkgress_async.pulling.context.PullContext`
and returns the lines of ``setup_model`` that declare it (already laid out), recording in the
context the names it uses and what it cannot declare. :data:`EMITTERS` lists them in the
order their declarations appear; a kind the model builder learns to declare is one more
emitter here (and one kind less in :mod:`.unsupported`).
"""

from __future__ import annotations

from collections.abc import Callable

from linkgress_async.pulling.context import PullContext
from linkgress_async.pulling.emit import (
    aggregates,
    entities,
    enums,
    functions,
    materialized_views,
    schemas,
    security,
    sequences,
    settings,
    types,
    unsupported,
    views,
)

__all__ = ["EMITTERS", "Emitter"]

Emitter = Callable[[PullContext], list[str]]

EMITTERS: tuple[Emitter, ...] = (
    schemas.emit,
    types.extensions_emit,
    settings.emit,
    enums.emit,
    types.emit,
    sequences.emit,
    entities.emit,
    functions.emit,
    aggregates.emit,
    views.emit,
    materialized_views.emit,
    security.emit,
    unsupported.emit,
)
"""The emitters of ``setup_model``, in declaration order."""
