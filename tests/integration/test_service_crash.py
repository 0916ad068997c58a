"""kill -9 of ``stargate serve`` at seeded random moments of a bounded load, many times over
(docs/reliability.md, "The multi-party service").

A real server process on loopback (``python -m stargate serve --start-at 2025-01-21``) takes
submits (job requests and small capacity requests, each with its own request id and
Idempotency-Key) from a few client threads of this process; a killer, after a seeded random
delay, keeps the ledger's checkpoint and kills the server with SIGKILL; the server is started
again on the same database and the submits that were never acknowledged are retried with the
same key and body. The run stops by itself after ``RESTARTS`` kills or ``MAX_S`` seconds.

At the end, on the database itself: every acknowledged (2xx) request is there, once (one row,
one ``request`` ledger entry, one idempotency row); no retry made a second one; the ledger
verifies against the last kept checkpoint; and each kept checkpoint is a prefix of the final
tree (an RFC 9162 consistency proof from it holds), so nothing acknowledged to a checkpoint
reader was lost or rewritten by a crash.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ledger.conftest import pg_database, pg_url

__all__ = ["pg_database", "pg_url"]

pytestmark = pytest.mark.integration

SEED = int(os.environ.get("STARGATE_CRASH_SEED", "20250121"))
RESTARTS = int(os.environ.get("STARGATE_CRASH_RESTARTS", "15"))
#: A bound on the whole run (the load stops at the next kill once it is passed).
MAX_S = float(os.environ.get("STARGATE_CRASH_MAX_S", "120"))
#: A bound on the submits made (new requests; retries are not counted).
MAX_REQUESTS = 4000
CLIENTS = 4
SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    return env


def _cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "stargate", *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def body_of(i: int) -> dict[str, Any]:
    """Request ``i``: a job request (placed at once) or, one in three, a small capacity
    request (offered to Microsoft under Azure's ROFR, or placed, or unplaceable)."""
    if i % 3 == 2:
        return {
            "id": f"crash-cap-{i}",
            "kind": "capacity",
            "requester": "openai",
            "workload_classes": ["frontier-training"],
            "accelerators": {"count": 8 + i % 5, "types": ["gb200"]},
            "term_years": 1,
            "price_cap_usd_per_accelerator_hour": 12,
        }
    return {
        "id": f"crash-job-{i}",
        "requester": "openai",
        "class": "research-training",
        "kind": "training",
        "accelerators": {"count": 1 + i % 7, "types": "any"},
        "duration_h": 1 + i % 5,
    }


@dataclass
class Load:
    """The submits: the ones acknowledged, the ones to retry, and anything unexpected."""

    token: str
    next_i: int = 0
    acked: dict[str, int] = field(default_factory=dict)  # request id → status
    pending: list[int] = field(default_factory=list)  # sent, not acknowledged: retry
    unexpected: list[str] = field(default_factory=list)
    attempts: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[int, bool] | None:
        with self.lock:
            if self.pending:
                return self.pending.pop(0), True
            if self.next_i >= MAX_REQUESTS:
                return None
            self.next_i += 1
            return self.next_i - 1, False

    def send(self, client: httpx.Client, i: int, retry: bool) -> bool:
        """One attempt; False when the server did not answer (the request is kept to retry)."""
        body = body_of(i)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": f"key-{i}",
        }
        try:
            r = client.post("/v1/requests", json=body, headers=headers)
        except httpx.HTTPError:
            with self.lock:
                self.pending.append(i)
            return False
        with self.lock:
            self.attempts += 1
            self.retries += retry
            if 200 <= r.status_code < 300:
                if r.json().get("id") != body["id"]:
                    self.unexpected.append(f"{body['id']}: answered for {r.json().get('id')}")
                self.acked[str(body["id"])] = r.status_code
            else:
                self.unexpected.append(f"{body['id']}: {r.status_code} {r.text[:200]}")
        return True


class Server:
    """``stargate serve`` on ``url`` as a child process (its own session: kill -9 reaches it)."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.url, self.port, self.log = url, port, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, timeout_s: float = 60.0) -> float:
        """Start it and wait for /healthz; the seconds that took."""
        t0 = time.monotonic()
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "stargate", "serve", "--db", self.url,
                 "--start-at", "2025-01-21", "--port", str(self.port), "--log-level", "warning"],
                env=_env(), stdout=fh, stderr=fh, start_new_session=True,
            )  # fmt: skip
        while time.monotonic() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited {self.proc.returncode}: {self.tail()}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1.0).status_code == 200:
                    return time.monotonic() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError(f"no /healthz within {timeout_s} s: {self.tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        """A clean stop (SIGTERM, then SIGKILL if it lingers)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""


def crash_run(url: str, tmp: Path, restarts: int = RESTARTS) -> dict[str, Any]:
    """The whole run on the database at ``url``; its figures (the test asserts on them)."""
    token = json.loads(_cli("party", "add", "openai", "--role", "lab", "--db", url, "--json"))[
        "token"
    ]
    rng = random.Random(SEED)
    server = Server(url, _free_port(), tmp / "server.log")
    load = Load(token)
    checkpoints: list[str] = []
    kills = cut_off = 0
    startup_s: list[float] = []
    t_start = time.monotonic()
    try:
        while kills < restarts and time.monotonic() - t_start < MAX_S:
            startup_s.append(server.start())
            stop = threading.Event()

            def client_loop(stop: threading.Event = stop) -> None:
                with httpx.Client(base_url=server.base, timeout=10.0) as client:
                    while not stop.is_set():
                        item = load.take()
                        if item is None:
                            return
                        if not load.send(client, *item):
                            return  # the server is gone: wait for the next start

            workers = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
            for w in workers:
                w.start()
            # a seeded moment: early (during the first submits) to well into the load
            time.sleep(rng.uniform(0.05, 1.5))
            r = httpx.get(
                server.base + "/v1/ledger/checkpoint",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10.0,
            )
            assert r.status_code == 200, r.text
            checkpoints.append(r.json()["checkpoint"])
            server.kill()
            kills += 1
            stop.set()
            for w in workers:
                w.join(30)
                assert not w.is_alive(), "a client thread hung"
            cut_off += _committed(url, load)
        # the last start: every submit not acknowledged yet is retried until it is
        server.start()
        with httpx.Client(base_url=server.base, timeout=10.0) as client:
            rounds = 0
            while load.pending and rounds < 5:
                rounds += 1
                for i in list(load.pending):
                    load.pending.remove(i)
                    load.send(client, i, True)
            assert not load.pending, f"not acknowledged after {rounds} rounds: {load.pending}"
            headers = {"Authorization": f"Bearer {token}"}
            missing = [
                rid
                for rid in load.acked
                if client.get(f"/v1/requests/{rid}", headers=headers).status_code != 200
            ]
    finally:
        server.stop()
    return {
        "kills": kills,
        "elapsed_s": time.monotonic() - t_start,
        "startup_s": startup_s,
        "load": load,
        "checkpoints": checkpoints,
        "missing": missing,
        "cut_off": cut_off,
    }


def _committed(url: str, load: Load) -> int:
    """How many of the unacknowledged submits the killed server had committed (their
    answer was cut off by the kill; the retry must return the saved response, not redo it)."""
    import sqlalchemy as sa

    from stargate.service import tables

    ids = [str(body_of(i)["id"]) for i in load.pending]
    if not ids:
        return 0
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            t = tables.requests
            return len(conn.execute(sa.select(t.c.id).where(t.c.id.in_(ids))).all())
    finally:
        engine.dispose()


def check_database(url: str, run: dict[str, Any]) -> dict[str, Any]:
    """The database after the run: each acknowledged request once; the ledger intact."""
    import sqlalchemy as sa

    from stargate.ledger import open_ledger
    from stargate.ledger.checkpoint import parse
    from stargate.ledger.core import row_to_entry
    from stargate.ledger.merkle import verify_consistency
    from stargate.service import tables

    load: Load = run["load"]
    with open_ledger(url) as led:
        engine = led.store.engine
        with engine.connect() as conn:
            ids = Counter(str(r[0]) for r in conn.execute(sa.select(tables.requests.c.id)))
            states = Counter(str(r[0]) for r in conn.execute(sa.select(tables.requests.c.state)))
            keys = Counter(str(r[0]) for r in conn.execute(sa.select(tables.idempotency.c.key)))
        requests = Counter(
            str(e.body["request_id"])
            for e in (row_to_entry(row) for row in led.store.rows(kind="request"))
        )
        acked = set(load.acked)
        assert not [rid for rid in acked if ids[rid] != 1], "an acknowledged request lost"
        assert not [rid for rid, n in requests.items() if n != 1], "a duplicated request entry"
        assert not [k for k, n in keys.items() if n != 1]
        assert set(requests) == set(ids), "a request row without its entry, or the reverse"
        assert acked <= set(requests)
        # rows beyond the acknowledged ones: a commit whose answer the kill cut off, then
        # acknowledged by its retry (the saved response); none may be left unacknowledged
        assert set(ids) == acked, sorted(set(ids) - acked)[:5]

        last = run["checkpoints"][-1]
        report = led.verify(last)
        assert report.ok, report.render()
        size = led.size()
        root = led.root()
        for text in run["checkpoints"]:
            cp = parse(text)
            assert cp.size <= size
            proof = led.consistency(cp.size)
            assert verify_consistency(cp.size, size, cp.root, root, proof), text
        return {
            "rows": len(ids),
            "ledger_entries": size,
            "last_checkpoint_size": parse(last).size,
            "states": dict(sorted(states.items())),
        }


def _run_and_check(url: str, tmp: Path, restarts: int) -> None:
    run = crash_run(url, tmp, restarts)
    load: Load = run["load"]
    assert run["kills"] >= min(restarts, 3), run["kills"]
    assert not load.unexpected, load.unexpected[:5]
    assert not run["missing"], run["missing"][:5]
    assert load.acked, "nothing was acknowledged"
    figures = check_database(url, run)
    # the figures docs/reliability.md quotes (printed with -s)
    print(
        json.dumps(
            {
                "database": url.split(":", 1)[0],
                "kills": run["kills"],
                "elapsed_s": round(run["elapsed_s"], 1),
                "startup_s_max": round(max(run["startup_s"]), 2),
                "acknowledged": len(load.acked),
                "retried": load.retries,
                "committed_but_cut_off": run["cut_off"],
                "duplicates": 0,
                "lost": 0,
                "checkpoints_checked": len(run["checkpoints"]),
                **figures,
            }
        )
    )


def test_kill_9_during_load_sqlite(tmp_path: Path) -> None:
    _run_and_check(f"sqlite:///{tmp_path / 'service.sqlite3'}", tmp_path, RESTARTS)


def test_kill_9_during_load_postgresql(pg_url: str, tmp_path: Path) -> None:
    _run_and_check(pg_url, tmp_path, RESTARTS)
