"""The canonical stage: the model in the server's own spelling.

:func:`canonicalize` spells the model's types, defaults and expressions through scratch
objects read back by the introspection queries (:mod:`._canonicalize`, :mod:`._scratch`,
:mod:`._tables`, :mod:`._routines`); :func:`diff_context` and :func:`castable_pairs` tell
the diff which type changes a cast converts on the target server (:mod:`._casts`);
:func:`reconcile` compares what two spellings mean where their text differs
(:mod:`._meaning`); :func:`shadow` spells on a scratch database when the target cannot
(:mod:`._shadow`).
"""

from __future__ import annotations

from linkgress_async.canonical._cache import spelling_cache
from linkgress_async.canonical._canonicalize import (
    Canonical,
    cached_spelling,
    canonicalize,
    canonicalize_routines,
    spelling_state,
)
from linkgress_async.canonical._casts import (
    castable_pairs,
    diff_context,
    enum_spellings,
    probe_pairs,
)
from linkgress_async.canonical._meaning import reconcile
from linkgress_async.canonical._named_types import prepare_named_objects
from linkgress_async.canonical._shadow import shadow
from linkgress_async.canonical._types import is_builtin_type

__all__ = [
    "Canonical",
    "cached_spelling",
    "canonicalize",
    "canonicalize_routines",
    "castable_pairs",
    "diff_context",
    "enum_spellings",
    "is_builtin_type",
    "prepare_named_objects",
    "probe_pairs",
    "reconcile",
    "shadow",
    "spelling_cache",
    "spelling_state",
]
