"""`stargate party add/revoke/list` on a scratch database, and `stargate serve`'s refusals
(every option validated before anything is opened) and a real start on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from stargate.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "STARGATE_DEBUG": None})


def test_party_add_list_revoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite3'}"
    r = run("party", "add", "openai", "--role", "lab", "--db", db, "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert got["token"].startswith("sgt_")
    assert got["role"] == "lab"
    listed = json.loads(run("party", "list", "--db", db, "--json").stdout)
    assert [t["token_id"] for t in listed["tokens"]] == [got["token_id"]]
    assert got["token"] not in json.dumps(listed)
    r = run("party", "revoke", "openai", "--db", db, "--json")
    assert json.loads(r.stdout) == {"party": "openai", "revoked": 1}
    again = run("party", "revoke", "openai", "--db", db)
    assert again.exit_code == 2


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["party", "add", "nobody", "--role", "lab"], "PARTY_ID"),
        (["party", "add", "openai", "--role", "boss"], "--role"),
        (["party", "add", "openai", "--role", "lab", "--days", "0"], "--days"),
        (["serve", "--port", "99999"], "--port"),
        (["serve", "--host", "example.com"], "--host"),
        (["serve", "--start-at", "2025-13-01"], "--start-at"),
        (["serve", "--log-level", "loud"], "--log-level"),
        (["serve", "--db", "mysql://x/y"], "--db"),
        (["serve", "--scenario", "no-such-scenario"], "no-such-scenario"),
    ],
)
def test_refusals_exit_2_naming_the_option(args: list[str], names: str, tmp_path: Path) -> None:
    extra = ["--db", f"sqlite:///{tmp_path / 's.sqlite3'}"] if "--db" not in args else []
    if args[0] == "serve" and "--port" not in args:
        extra += ["--port", "1"]  # never reached: the refusal comes first
    r = run(*args, *extra)
    assert r.exit_code == 2, r.output
    assert names in r.output
    assert not (tmp_path / "s.sqlite3").exists() or args[0] == "party"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_answers_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    db = f"sqlite:///{tmp_path / 's.sqlite3'}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stargate",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--start-at",
            "2025-01-21",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None
        assert health["scenario"] == "stargate-2025"
        assert health["now"].startswith("2025-01-21")
        r = httpx.get(f"http://127.0.0.1:{port}/v1/fleet", timeout=5)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert b"Traceback" not in out
