"""A FIFO, a device or a folder named as a scenario or as a CSV table is refused before reading.

Reading a named pipe blocks until someone writes to it, and ``/dev/zero`` never ends: each case
runs ``stargate validate`` in a real process with a timeout, so a regression fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stargate.errors import EXIT_INPUT
from tests.conftest import minimal, write_scenario

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")

SRC = Path(__file__).resolve().parents[2] / "src"


def _validate(target: Path | str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from stargate.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "validate", str(target)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,  # a read of the FIFO or of /dev/zero would never return
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(SRC)},
    )


def test_a_fifo_as_the_scenario_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    proc = _validate(fifo, tmp_path)
    assert proc.returncode == EXIT_INPUT, proc.stderr
    assert f"{fifo}: a named pipe (FIFO), not a file" in proc.stderr
    assert "expected a scenario (a regular file)" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_as_the_scenario_is_refused_without_reading(tmp_path: Path) -> None:
    proc = _validate("/dev/zero", tmp_path)
    assert proc.returncode == EXIT_INPUT, proc.stderr
    assert "/dev/zero: a character device, not a file" in proc.stderr


def test_a_fifo_as_a_csv_table_is_refused_without_reading(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["pools"] = "pools.csv"
    path = write_scenario(tmp_path, data)
    os.mkfifo(tmp_path / "pools.csv")
    proc = _validate(path, tmp_path)
    assert proc.returncode == EXIT_INPUT, proc.stderr
    assert f"{tmp_path / 'pools.csv'}: a named pipe (FIFO), not a file" in proc.stderr
    assert "expected a CSV table (a regular file)" in proc.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_link_to_dev_zero_as_a_csv_table_is_refused(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["pools"] = "pools.csv"
    path = write_scenario(tmp_path, data)
    (tmp_path / "pools.csv").symlink_to("/dev/zero")
    proc = _validate(path, tmp_path)
    assert proc.returncode == EXIT_INPUT, proc.stderr
    assert f"{tmp_path / 'pools.csv'}: a character device, not a file" in proc.stderr
    # not "not found": the file is there, it is just not something a table can be read from
    assert "not found" not in proc.stderr


def test_a_folder_as_a_csv_table_is_refused(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["pools"] = "pools.csv"
    path = write_scenario(tmp_path, data)
    (tmp_path / "pools.csv").mkdir()
    proc = _validate(path, tmp_path)
    assert proc.returncode == EXIT_INPUT, proc.stderr
    assert f"{tmp_path / 'pools.csv'}: a folder, not a file" in proc.stderr
