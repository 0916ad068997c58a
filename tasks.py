#!/usr/bin/env python3
"""Set-up and everyday tasks, with nothing but Python 3.11+ on the machine.

    python3 tasks.py demo    # make .venv, install Stargate, simulate stargate-2025 (report in out/)
    python3 tasks.py test    # make .venv, install Stargate with its test tools, run every test
                             # and measure coverage of src/stargate
    python3 tasks.py check   # ruff, ruff format --check, mypy and the layering (lint-imports)
    python3 tasks.py bench   # the benchmarks (slow; see docs/benchmarks.md)

Each task creates the virtual environment `.venv` beside this file on first use and installs
the project into it (editable), so a fresh clone needs no other step. Extra arguments after the
task name go to the underlying command (e.g. `python3 tasks.py test -k loader`; `python3 tasks.py
test --cov-fail-under=90` fails under 90% of statements covered, as CI does; `--no-cov` skips
the measurement).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _stamp(extra: str) -> Path:
    return VENV / f".installed-{extra or 'base'}"


def ensure_env(extra: str = "") -> None:
    """Create .venv and install the project (with an extra) unless already done for this
    version of pyproject.toml."""
    if sys.version_info < (3, 11):  # noqa: UP036 (tasks.py may run on an older python3)
        sys.exit(f"Stargate needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = _stamp(extra)
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extra}]" if extra else "."
    print(f"installing stargate{f'[{extra}]' if extra else ''} into .venv", flush=True)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target],
        cwd=ROOT,
        check=True,
    )
    stamp.write_text(digest)


def run(*cmd: str) -> int:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    rest = argv[1:]
    if task == "demo":
        ensure_env()
        out = ROOT / "out" / "stargate-2025"
        code = run(str(BIN / "stargate"), "simulate", "--out", str(out), *rest)
        if code == 0:
            print(f"report: {out / 'report.html'} (open it in a browser; it works offline)")
        return code
    if task == "test":
        ensure_env("dev")
        cov = ("--cov", "--cov-report=term:skip-covered")
        # one worker per core (pytest-xdist), a test file's tests on one worker so that its
        # module fixtures are built once; `-n 0` (or any -n/--numprocesses) overrides it
        given = any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in rest)
        par = () if given else ("-n", "auto", "--dist", "loadfile")
        return run(str(PY), "-m", "pytest", "-q", *par, *cov, *rest)
    if task == "check":
        ensure_env("dev")
        paths = ("src", "tests", "benchmarks", "tools", "tasks.py")
        code = run(str(BIN / "ruff"), "check", *paths)
        code = code or run(str(BIN / "ruff"), "format", "--check", *paths)
        # mypy --strict on the same paths ([tool.mypy] files in pyproject.toml)
        code = code or run(str(BIN / "mypy"), *rest)
        # the layering of docs/design.md, as contracts in pyproject.toml ([tool.importlinter])
        return code or run(str(BIN / "lint-imports"), "--no-cache")
    if task == "bench":
        ensure_env("dev")
        return run(str(PY), "-m", "pytest", "benchmarks", "-q", "-s", *rest)
    print(__doc__)
    return 0 if task in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
