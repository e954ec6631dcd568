"""The package builds into a wheel and an sdist that install and work (docs/releasing.md)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(
    *command: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_wheel_and_sdist_build_check_install_and_run(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), ".")
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    _run(sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist))

    names = zipfile.ZipFile(wheel).namelist()
    assert "linkgress_async/py.typed" in names
    assert "linkgress_async/introspect/queries/tables_columns.sql" in names
    assert not [n for n in names if n.startswith("tests/")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    points = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "linkgress = linkgress_async.executable:run" in points
    assert "linkgress = linkgress_async.testing" in points
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert any(m.endswith("/CHANGELOG.md") for m in members)
    assert any("/tests/" in m for m in members)

    # The installed wheel, not this checkout, imports and runs (its dependencies are ours).
    target = tmp_path / "site"
    _run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
         "--target", str(target), str(wheel))  # fmt: skip
    smoke = (
        "import linkgress_async, linkgress_async.cli as cli;"
        "print(linkgress_async.__file__);"
        "raise SystemExit(cli.main(['sql', '--context', 'linkgress_async:DbContext']))"
    )
    # Run from elsewhere: the checkout's directory would come first on the import path.
    done = _run(
        sys.executable, "-c", smoke, cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": ""}
    )
    assert done.stdout.splitlines()[0].startswith(str(target))
