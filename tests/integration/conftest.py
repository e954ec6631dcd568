"""Fixtures of the integration tests that run the development database in a project."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkgress_async.devdb import delete_development_database


@pytest.fixture
def project() -> Iterator[Path]:
    """An empty project directory; its development database is deleted afterwards.

    Not ``tmp_path``: pytest makes that private to root, and under root the server runs as
    another account that must reach the data directory (a test of the case where it cannot
    makes its own directory).
    """
    directory = Path(tempfile.mkdtemp(prefix="linkgress-cli-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        try:
            delete_development_database(directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
