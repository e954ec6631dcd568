"""Kept for imports: :func:`stable_sql` lives in :mod:`linkgress_async.render.reparse`, as
the renderer writes the server's spellings through it too."""

from __future__ import annotations

from linkgress_async.render.reparse import stable_sql

__all__ = ["stable_sql"]
