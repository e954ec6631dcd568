"""Where the real-world schemas the fidelity tests load live, read through one helper each.

The files are not part of the repository: they sit in the project's ``shared/realworld``
folder, found (in order) through ``LINKGRESS_REALWORLD_DIR``, beside the checkout (as CI lays
it out), or at ``/work/shared/realworld``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["pagila_schema", "pagila_temporal_tables", "realworld_dir"]

_CHECKOUT = Path(__file__).resolve().parents[2]


def realworld_dir() -> Path:
    """The ``realworld`` folder; a clear error when there is none."""
    candidates = [
        *(
            [Path(os.environ["LINKGRESS_REALWORLD_DIR"])]
            if "LINKGRESS_REALWORLD_DIR" in os.environ
            else []
        ),
        _CHECKOUT.parent / "shared" / "realworld",
        Path("/work/shared/realworld"),
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "no shared/realworld folder beside the checkout or at /work/shared/realworld; "
        "set LINKGRESS_REALWORLD_DIR to it"
    )


def pagila_schema() -> str:
    """Pagila's ``pg_dump --schema-only`` (PostgreSQL 18 with pgvector)."""
    return (realworld_dir() / "pagila" / "pagila-schema.sql").read_text(encoding="utf-8")


def pagila_temporal_tables() -> str:
    """The temporal tables of ``pagila-temporal-setup.sql``: its extension and CREATE TABLE
    statements only (its UPDATE/DELETE ... FOR PORTION OF need PostgreSQL 19)."""
    text = (realworld_dir() / "pagila" / "pagila-temporal-setup.sql").read_text(encoding="utf-8")
    without_comments = re.sub(r"--[^\n]*", "", text)
    statements = [s.strip() for s in without_comments.split(";")]
    wanted = [s for s in statements if s.upper().startswith(("CREATE TABLE", "CREATE EXTENSION"))]
    return ";\n".join(wanted) + ";\n"
