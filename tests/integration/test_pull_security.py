"""Pull declares triggers, policies, row-level security, comments, grants and owners: a
database pulled and created again from the pulled model dumps exactly like the source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from linkgress_async.testing import DatabaseFactory, LinkgressServer
from tests.integration.fidelity import load_sql, round_trip
from tests.integration.security_support import Roles, made_roles
from tests.ruff_clean import ruff_problems

EDGE_CASES = (Path(__file__).parent / "security_edge_cases.sql").read_text(encoding="utf-8")


@pytest.fixture
async def roles(linkgress_server: LinkgressServer) -> AsyncIterator[Roles]:
    async with made_roles(linkgress_server.admin_dsn) as made:
        yield made


@pytest.fixture
def databases(roles: Roles, linkgress_databases: DatabaseFactory) -> DatabaseFactory:
    """Databases dropped before the roles they use (fixtures end in reverse order)."""
    return linkgress_databases


async def test_the_security_edge_cases_round_trip(
    roles: Roles, databases: DatabaseFactory, tmp_path: Path
) -> None:
    source, empty = await databases.create(), await databases.create()
    await load_sql(source, roles.format(EDGE_CASES))
    result = await round_trip(source, empty, tmp_path)
    assert [u.description for u in result.module.undeclared] == []
    assert result.on_source == []
    assert result.on_copy == []
    assert result.differing_lines == [], "\n".join(result.difference)
    assert ruff_problems(result.module.source, tmp_path, "checked.py") == ""
