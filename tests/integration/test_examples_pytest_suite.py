"""``pytest examples/pytest_suite`` as a user runs it, against our session's server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from linkgress_async.testing import ENV_DSN, LinkgressServer

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "examples" / "pytest_suite"


def test_the_example_suite_passes(linkgress_server: LinkgressServer) -> None:
    env = {**os.environ, ENV_DSN: linkgress_server.admin_dsn}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(SUITE.relative_to(ROOT))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Its own pytest.ini was used, and every test ran.
    assert f"rootdir: {SUITE}\nconfigfile: pytest.ini" in done.stdout
    assert " 6 passed" in done.stdout
    assert "6 test databases created" in done.stdout
