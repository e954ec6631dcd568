"""With no database configured, ``linkgress`` uses a persistent embedded development database.

Each test works in a ``project`` directory (see ``conftest.py``) and runs the installed
``linkgress`` script in subprocesses, as a user would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from linkgress_async.devdb import RELOCATED_ROOT, delete_development_database
from tests.integration.helpers import servers_using
from tests.integration.test_cli import CONTEXT, LINKGRESS, NOTES_V1, fetch, run_cli, write_app
from tests.integration.test_docs import DOCS, blocks


def test_embedded_development_database_is_reused(project: Path) -> None:
    write_app(project)
    first = run_cli("--context", CONTEXT, "migrate", "--yes", cwd=project)
    assert first.returncode == 0, first
    assert "Migration complete: 2 operations applied." in first.stdout
    match = re.search(r"embedded development database .* at (postgresql://\S+)", first.stderr)
    assert match is not None, first
    # A unix socket in a private directory, not a TCP port anyone on the machine may use.
    assert "?host=/" in match.group(1)
    assert "127.0.0.1" not in first.stderr
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


# The notes model, whose migration waits in its hook until the test opens a gate file.
GATED = (
    NOTES_V1
    + """
    async def on_migration_complete(self, client) -> None:
        import asyncio, pathlib

        here = pathlib.Path(__file__).parent
        (here / "in_hook").touch()
        for _ in range(1200):
            if (here / "gate").exists():
                return
            await asyncio.sleep(0.05)
"""
)


def test_two_commands_at_once_share_the_server(project: Path) -> None:
    write_app(project, GATED)
    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    first = subprocess.Popen(
        [LINKGRESS, "--context", CONTEXT, "migrate", "--yes"],
        cwd=project,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (project / "in_hook").exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first command never reached its hook"
            time.sleep(0.05)
        # The first command holds the server; the second uses it too instead of failing on
        # the server's lock file.
        second = run_cli("--context", CONTEXT, "plan", cwd=project)
        assert second.returncode == 0, second
        assert "(already running, shared)" in second.stderr
        assert "postmaster.pid" not in second.stderr
        assert servers_using(project / ".linkgress" / "pgdata")
    finally:
        (project / "gate").touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "Migration complete" in out
    # The last one to finish stopped the server.
    assert servers_using(project / ".linkgress" / "pgdata") == []


def test_dev_db_url_keeps_it_running_until_stop(project: Path) -> None:
    url = run_cli("dev-db", "url", cwd=project)
    assert url.returncode == 0, url
    assert "started the development database in the background" in url.stderr
    dsn = url.stdout.strip()
    assert dsn.startswith("postgresql://postgres@/postgres?host=/")
    # The URL works from another process, after `linkgress dev-db url` has exited.
    assert fetch(dsn, "SELECT current_user AS who")[0]["who"] == "postgres"
    data_dir = project / ".linkgress" / "pgdata"
    assert servers_using(data_dir)

    # Commands use the running server and leave it running; url prints the same URL.
    write_app(project)
    migrated = run_cli("--context", CONTEXT, "migrate", "--yes", cwd=project)
    assert migrated.returncode == 0, migrated
    assert "(already running, shared)" in migrated.stderr
    assert fetch(dsn, "SELECT count(*) AS n FROM notes")[0]["n"] == 0
    assert run_cli("dev-db", "url", cwd=project).stdout.strip() == dsn

    stopped = run_cli("dev-db", "stop", cwd=project)
    assert stopped.returncode == 0, stopped
    assert "the development database is stopped" in stopped.stderr
    assert servers_using(data_dir) == []
    # Its socket directory is gone with it.
    with pytest.raises(FileNotFoundError):
        fetch(dsn, "SELECT 1")
    again = run_cli("dev-db", "stop", cwd=project)
    assert "the development database is not running" in again.stderr


def test_dev_db_url_is_refused_in_production(project: Path) -> None:
    result = run_cli("dev-db", "url", cwd=project, env={"LINKGRESS_ENV": "production"})
    assert result.returncode == 2, result
    assert "not used in production" in result.stderr
    assert not (project / ".linkgress").exists()


def test_the_getting_started_script_reaches_the_development_database(project: Path) -> None:
    # The page's files and its script, as a reader copies them; the CLI migrates first.
    script = None
    for block in blocks(DOCS / "getting-started.md"):
        if block.file is not None and block.lang == "python":
            target = project / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code)
        elif block.lang == "python" and script is None:
            script = block.code
    assert script is not None
    (project / "script.py").write_text(script)
    context = ("--context", "myapp.database:LibraryDatabase")
    assert run_cli(*context, "migrate", "--yes", cwd=project).returncode == 0

    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "script.py"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # The same database the command migrated: nothing left to do.
    assert "Database schema is up to date. No changes needed." in done.stdout
    assert "[('Ursula K. Le Guin', 'The Dispossessed')]" in done.stdout
    assert servers_using(project / ".linkgress" / "pgdata") == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another account")
def test_under_root_a_project_the_server_account_cannot_enter_works() -> None:
    # Like /root/project: the account the server runs as cannot enter the directory.
    private = Path(tempfile.mkdtemp(prefix="linkgress-private-"))
    project = private / "project"
    project.mkdir()
    try:
        assert private.stat().st_mode & 0o777 == 0o700
        write_app(project)
        first = run_cli("--context", CONTEXT, "migrate", "--yes", cwd=project)
        assert first.returncode == 0, first
        assert "Migration complete" in first.stdout
        link = project / ".linkgress" / "pgdata"
        assert link.is_symlink()
        data_dir = link.resolve()
        assert data_dir.parent == RELOCATED_ROOT
        assert data_dir.name.startswith("project-")
        assert f"data in {data_dir}" in first.stderr
        assert (data_dir / "PG_VERSION").is_file()

        again = run_cli("--context", CONTEXT, "plan", "--check", cwd=project)
        assert again.returncode == 0, again

        deleted = run_cli("dev-db", "delete", cwd=project)
        assert deleted.returncode == 0, deleted
        assert str(data_dir) in deleted.stderr
        assert not data_dir.exists()
        assert not link.is_symlink()
    finally:
        delete_development_database(project)
        shutil.rmtree(private, ignore_errors=True)
