"""schemathesis against the service's OpenAPI document (docs/reliability.md, "The multi-party
service").

The app runs in process (``schemathesis.openapi.from_asgi``) on a fresh SQLite file, with a
token per role. Three runs, each bounded in examples:

- **stateless, valid token**: every operation, with inputs generated from its schema (valid
  ones and, for the bodies and parameters, schemathesis' own variations), called with a token
  of the role it needs: never a 5xx, and every answer is JSON — a 2xx as documented, an error
  as an RFC 9457 problem document (type, title, status, detail);
- **stateless, no token or a wrong one**: every ``/v1`` operation answers 4xx (never a 2xx);
- **stateful**: schemathesis' state machine over the OpenAPI links (a submitted request →
  its state, decision, cancellation, the holder's accept or decline, its ledger entries):
  sequences of calls, never a 5xx, the same conformance.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

#: Examples per operation (stateless) and scenarios (stateful); the stage stays ≤ 3 minutes.
EXAMPLES = int(os.environ.get("STARGATE_SCHEMATHESIS_EXAMPLES", "60"))
SCENARIOS = int(os.environ.get("STARGATE_SCHEMATHESIS_SCENARIOS", "100"))

PARTIES = (("openai", "lab"), ("microsoft", "holder"), ("softbank", "observer"))
PROBLEM = "application/problem+json"


class Api:
    """The app, its schema, and a token per role."""

    def __init__(self, app: Any, schema: Any, tokens: dict[str, str]) -> None:
        self.app, self.schema, self.tokens = app, schema, tokens

    def token_for(self, path: str) -> str:
        """A token of the role the operation needs (the holder's for offers, else the lab's:
        a lab may call every other endpoint)."""
        return self.tokens["holder" if path.startswith("/v1/offers") else "lab"]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """A fresh app per test (schemathesis ends an app's lifespan with the test that started
    it, and the service's writer does not outlive its app's lifespan)."""
    schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
    from stargate.ledger import open_ledger
    from stargate.service import tokens
    from stargate.service.app import create_app
    from stargate.service.clock import ManualClock, wall_utc
    from stargate.service.settings import Settings
    from tests.service.conftest import START

    url = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    led = open_ledger(url)
    app = create_app(Settings(db=url), clock=ManualClock(START), ledger=led)
    issued = {r: tokens.issue(led.store.engine, p, r, now=wall_utc()).token for p, r in PARTIES}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    yield Api(app, schema, issued)
    app.state.ctx.workflow.close()
    led.close()


def conforms(response: Any, case: Any) -> None:
    """An answer is JSON: a 2xx of the documented kind, an error an RFC 9457 problem."""
    status = response.status_code
    ctype = response.headers.get("content-type", [""])
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    where = f"{case.method} {case.path} → {status}"
    assert status < 500, f"{where}: {response.text[:300]}"
    if status >= 400:
        assert ctype.startswith(PROBLEM), f"{where}: content-type {ctype}"
        doc = response.json()
        assert {"type", "title", "status", "detail"} <= set(doc), f"{where}: {doc}"
        assert doc["status"] == status, f"{where}: {doc}"
    else:
        assert ctype.startswith("application/json"), f"{where}: content-type {ctype}"


def operations(api: Api) -> list[Any]:
    return [r.ok() for r in api.schema.get_all_operations()]


def test_every_operation_with_a_valid_token_never_5xx(api: Api) -> None:
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    statuses: Counter[str] = Counter()
    ops = operations(api)
    assert len(ops) >= 15, [op.label for op in ops]

    def run(op: Any, token: str) -> None:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy())
        def check(case: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call()
            statuses[f"{response.status_code // 100}xx"] += 1
            conforms(response, case)
            checks: list[Any] = [not_a_server_error]
            if 200 <= response.status_code < 300:
                checks.append(response_schema_conformance)
            case.validate_response(response, checks=checks)

        check()

    for op in ops:
        run(op, api.token_for(op.path))
    print(f"stateless, valid token: {len(ops)} operations, {sum(statuses.values())} calls, "
          f"{dict(sorted(statuses.items()))}")  # fmt: skip
    assert statuses["2xx"] > 0
    assert statuses["4xx"] > 0


def test_no_token_or_a_wrong_one_never_2xx(api: Api) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    calls: Counter[int] = Counter()
    ops = [op for op in operations(api) if op.path.startswith("/v1/")]
    bad = st.sampled_from(
        [None, "Bearer nope", "Bearer sgt_" + "A" * 43, "Basic b3BlbmFpOmxhYg==", "Bearer "]
    )
    for op in ops:

        @settings(
            max_examples=max(5, EXAMPLES // 4),
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(), authorization=bad)
        def check(case: Any, authorization: str | None) -> None:
            headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
            if authorization is not None:
                headers["Authorization"] = authorization
            case.headers = headers
            response = case.call()
            calls[response.status_code] += 1
            assert not 200 <= response.status_code < 300, f"{case.method} {case.path}: 2xx"
            conforms(response, case)

        check()
    print(f"stateless, no or wrong token: {len(ops)} operations, {sum(calls.values())} calls, "
          f"{dict(sorted(calls.items()))}")  # fmt: skip
    assert calls[401] > 0


def test_stateful_sequences_never_5xx(api: Api) -> None:
    from hypothesis import HealthCheck, settings

    machine = api.schema.as_state_machine()
    steps: Counter[str] = Counter()
    made = Counter[str]()

    class Machine(machine):  # type: ignore[misc, valid-type]
        """Every other submit of a scenario is made valid (a job or a capacity request) with
        ids of its own, so that the links from it reach a real request and a scenario replayed
        by Hypothesis behaves as it did the first time (the database persists across them)."""

        def setup(self) -> None:
            made["scenario"] += 1
            made["n"] = 0

        def before_call(self, case: Any) -> None:
            case.headers = {
                **(case.headers or {}),
                "Authorization": f"Bearer {api.token_for(case.path)}",
            }
            if case.method == "POST" and case.path == "/v1/requests":
                made["n"] += 1
                if made["n"] % 2 == 1:
                    rid = f"sf-{made['scenario']}-{made['n']}"
                    case.body = _valid_request(rid, made["n"])
                    case.headers["Idempotency-Key"] = rid

        def after_call(self, response: Any, case: Any) -> None:
            steps[f"{case.method} {case.path} {response.status_code}"] += 1
            conforms(response, case)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            from schemathesis.checks import not_a_server_error

            case.validate_response(response, checks=[not_a_server_error])

    Machine.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    linked = sorted(k for k in steps if not k.startswith("POST /v1/requests "))
    print(f"stateful: {SCENARIOS} scenarios, {sum(steps.values())} calls; {linked}")
    assert any(k.startswith("POST /v1/requests 201") for k in steps), steps
    # the links reached a real request: some call on a submitted request's id succeeded
    assert any("{request_id}" in k and k.endswith(" 200") for k in steps), steps


def _valid_request(rid: str, n: int) -> dict[str, Any]:
    from tests.service.conftest import capacity_body, job_body

    return capacity_body(rid, count=16) if n % 4 == 1 else job_body(rid)
