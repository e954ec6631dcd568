"""With no database configured, ``linkgress`` uses a persistent embedded development database.

The working directory is made outside pytest's ``tmp_path`` because, under root, the server
runs as an unprivileged account that must be able to reach its data directory.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_cli import CONTEXT, run_cli, write_app


@pytest.fixture
def project() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="linkgress-cli-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def servers_using(data_dir: Path) -> list[int]:
    """Processes whose command line names ``data_dir``: a leaked server would be one."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(data_dir).encode() in cmdline:
            found.append(int(entry.name))
    return found


def test_embedded_development_database_is_reused(project: Path) -> None:
    write_app(project)
    first = run_cli("--context", CONTEXT, "migrate", "--yes", cwd=project)
    assert first.returncode == 0, first
    assert "Migration complete: 2 operations applied." in first.stdout
    match = re.search(r"embedded development database .* at (postgresql://\S+)", first.stderr)
    assert match is not None, first
    assert "127.0.0.1" in match.group(1)
    data_dir = project / ".linkgress" / "pgdata"
    assert (data_dir / "PG_VERSION").is_file()
    assert (project / ".linkgress" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert servers_using(data_dir) == []

    # A second command finds the table the first one created: the data directory is reused.
    again = run_cli("plan", "--check", cwd=project, env={"LINKGRESS_CONTEXT": CONTEXT})
    assert again.returncode == 0, again
    assert "up to date" in again.stdout
    assert "embedded development database" in again.stderr
    assert servers_using(data_dir) == []
    assert os.listdir(data_dir)
