"""The service under test: an app on a fresh database (SQLite, and PostgreSQL where it
answers: the ledger tests' fixtures), a manual scenario clock at 2025-01-21 12:00 (the
January 2025 terms: Azure's right of first refusal in force), and a token per party and role.

``capacity_body`` is a request Azure can meet (so it is offered to Microsoft); ``job_body`` a
job request placed at once."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pytest

from tests.ledger.conftest import pg_database, pg_url, sqlite_url

warnings.filterwarnings("ignore", message=".*httpx2.*")

__all__ = ["pg_database", "pg_url", "sqlite_url"]

START = datetime(2025, 1, 21, 12, 0)

#: (party, role) pairs every service fixture has a token for.
PARTIES: tuple[tuple[str, str], ...] = (
    ("openai", "lab"),
    ("microsoft", "holder"),
    ("coreweave", "provider"),
    ("oracle", "provider"),
    ("xai", "lab"),
    ("softbank", "observer"),
    ("openai", "admin"),
)


def capacity_body(rid: str = "cap-1", count: int = 20000, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": rid,
        "kind": "capacity",
        "requester": "openai",
        "workload_classes": ["frontier-training"],
        "accelerators": {"count": count, "types": ["gb200"]},
        "term_years": 4,
        "price_cap_usd_per_accelerator_hour": 12,
    }
    body.update(extra)
    return body


def job_body(rid: str = "job-1", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": rid,
        "requester": "openai",
        "class": "research-training",
        "kind": "training",
        "accelerators": {"count": 2000, "types": "any"},
        "duration_h": 300,
    }
    body.update(extra)
    return body


@dataclass
class Svc:
    """An app, its client (inside the app's lifespan), clock, ledger and tokens."""

    app: Any
    client: Any
    clock: Any
    ledger: Any
    url: str
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def h(self, party: str = "openai", role: str = "lab", **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(party, role)]}", **more}

    def submit(self, body: dict[str, Any], key: str | None = None, party: str = "openai") -> Any:
        return self.client.post(
            "/v1/requests",
            json=body,
            headers=self.h(party, "lab", **{"Idempotency-Key": key or f"k-{body['id']}"}),
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def service_url(request: pytest.FixtureRequest) -> str:
    """A fresh database URL: SQLite, then PostgreSQL (skipped, saying why, where absent)."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


def make_service(url: str, start: datetime = START, **settings: Any) -> Iterator[Svc]:
    from fastapi.testclient import TestClient

    from stargate.ledger import open_ledger
    from stargate.service import tokens
    from stargate.service.app import create_app
    from stargate.service.clock import ManualClock, wall_utc
    from stargate.service.settings import Settings

    led = open_ledger(url)
    clock = ManualClock(start)
    app = create_app(Settings(db=url, **settings), clock=clock, ledger=led)
    engine = led.store.engine
    issued = {(p, r): tokens.issue(engine, p, r, now=wall_utc()).token for p, r in PARTIES}
    with TestClient(app) as client:
        yield Svc(app, client, clock, led, url, issued)
    led.close()


@pytest.fixture
def svc(sqlite_url: str) -> Iterator[Svc]:
    """The service on SQLite."""
    yield from make_service(sqlite_url)


@pytest.fixture
def svc_any(service_url: str) -> Iterator[Svc]:
    """The service on SQLite and on PostgreSQL."""
    yield from make_service(service_url)


# --------------------------------------------------------------------------- more helpers
# (the reliability and security tests: a service that can be closed and opened again on the
# same database, a real server on loopback, and counts taken from the database)


@contextmanager
def open_service(
    url: str,
    start: datetime = START,
    *,
    scenario: Any = None,
    issued: dict[tuple[str, str], str] | None = None,
    **settings: Any,
) -> Iterator[Svc]:
    """Like :func:`make_service`, as a context manager that can be opened again on the same
    database (a restart): ``issued`` reuses the tokens of an earlier opening (they are in
    the database) instead of making new ones; ``scenario`` replaces the default."""
    from fastapi.testclient import TestClient

    from stargate.ledger import open_ledger
    from stargate.service import tokens
    from stargate.service.app import create_app
    from stargate.service.clock import ManualClock, wall_utc
    from stargate.service.settings import Settings

    led = open_ledger(url)
    clock = ManualClock(start)
    try:
        app = create_app(Settings(db=url, **settings), clock=clock, ledger=led, scenario=scenario)
        if issued is None:
            engine = led.store.engine
            issued = {(p, r): tokens.issue(engine, p, r, now=wall_utc()).token for p, r in PARTIES}
        with TestClient(app) as client:
            yield Svc(app, client, clock, led, url, dict(issued))
    finally:
        led.close()


def workflow_of(s: Svc) -> Any:
    """The app's :class:`~stargate.service.workflow.Workflow`."""
    return s.app.state.ctx.workflow


def request_rows(s: Svc) -> int:
    """How many requests the database holds."""
    import sqlalchemy as sa

    from stargate.service import tables

    with s.ledger.store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tables.requests)).scalar())


def entry_kinds(s: Any, request_id: str) -> list[str]:
    """The kinds of the ledger entries about ``request_id``, in order (read from the ledger,
    not through the API); ``s`` is a :class:`Svc` or a ledger."""
    from stargate.ledger.core import row_to_entry

    led = getattr(s, "ledger", s)
    return [
        e.kind
        for e in (row_to_entry(r) for r in led.store.rows(start=0))
        if e.body.get("request_id") == request_id
    ]


def is_problem(r: Any, status: int) -> bool:
    """Whether ``r`` is an RFC 9457 problem document with ``status``."""
    if r.status_code != status or not r.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        return False
    doc = r.json()
    return (
        isinstance(doc, dict)
        and doc.get("status") == status
        and str(doc.get("type", "")).startswith("https://")
        and bool(doc.get("title"))
        and bool(doc.get("detail"))
    )


@contextmanager
def live_server(app: Any, lifespan: Literal["auto", "on", "off"] = "on") -> Iterator[str]:
    """``app`` served by a real uvicorn server on 127.0.0.1 (a free port) in a thread: its
    base URL. The server is stopped (and its lifespan closed) on exit; ``lifespan="off"``
    for an app whose lifespan a TestClient already runs."""
    import threading

    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    try:
        for _ in range(2000):  # up to 20 s for start-up (a bound, not a timing assertion)
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert server.started, "the test server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
