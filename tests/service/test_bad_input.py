"""Bad input: a 4xx problem document (type, title, status, detail; the field where there is
one), never a 500, and nothing stored (the request table and the ledger as they were). Random
JSON bodies (hypothesis) to POST /v1/requests and /v1/whatif never give a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.checks import budget
from tests.service.conftest import (
    Svc,
    capacity_body,
    is_problem,
    job_body,
    open_service,
    request_rows,
)


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Svc]:
    """One service for every bad input (none of them may change it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bad') / 'ledger.sqlite3'}"
    with open_service(url) as s:
        yield s


def _post(
    s: Svc, path: str, content: bytes, ctype: str = "application/json", key: str = "k"
) -> Any:
    return s.client.post(
        path,
        content=content,
        headers=s.h(**{"Content-Type": ctype, "Idempotency-Key": key}),
    )


def _js(x: Any) -> bytes:
    return json.dumps(x).encode()


CASES: list[tuple[str, str, bytes, str, int, str | None]] = [
    # name, path, body, content type, status, field
    ("malformed JSON", "/v1/requests", b'{"id": "x",', "application/json", 400, None),
    ("not UTF-8", "/v1/requests", b'{"id": "\xff"}', "application/json", 400, None),
    ("NaN", "/v1/requests", b'{"id": NaN}', "application/json", 400, None),
    ("empty body", "/v1/requests", b"", "application/json", 400, None),
    ("an array", "/v1/requests", _js([job_body()]), "application/json", 422, None),
    ("a string", "/v1/requests", _js("job"), "application/json", 422, None),
    (
        "unknown field",
        "/v1/requests",
        _js(job_body(colour="blue")),
        "application/json",
        422,
        "colour",
    ),
    (
        "wrong type: count",
        "/v1/requests",
        _js(job_body(accelerators={"count": "many", "types": "any"})),
        "application/json",
        422,
        "accelerators.count",
    ),
    (
        "wrong type: duration",
        "/v1/requests",
        _js(job_body(duration_h=[1])),
        "application/json",
        422,
        "duration_h",
    ),
    (
        "negative count",
        "/v1/requests",
        _js(capacity_body(count=-5)),
        "application/json",
        422,
        "accelerators.count",
    ),
    (
        "unknown accelerator",
        "/v1/requests",
        _js(capacity_body(accelerators={"count": 5, "types": ["gb2000"]})),
        "application/json",
        422,
        "accelerators.types[0]",
    ),
    (
        "another requester",
        "/v1/requests",
        _js(job_body(requester="xai")),
        "application/json",
        403,
        "requester",
    ),
    (
        "{requests: [...]}",
        "/v1/requests",
        _js({"requests": [job_body()]}),
        "application/json",
        422,
        "requests",
    ),
    ("wrong content type", "/v1/requests", _js(job_body()), "text/plain", 415, None),
    ("form content type", "/v1/requests", b"id=x", "application/x-www-form-urlencoded", 415, None),
    (
        "oversized",
        "/v1/requests",
        _js(job_body(notes="x" * (64 * 1024 + 10))),
        "application/json",
        413,
        None,
    ),
    (
        "whatif: unknown clause",
        "/v1/whatif",
        _js({"request": job_body(), "without": ["azure-rofrr"]}),
        "application/json",
        422,
        "without",
    ),
    (
        "whatif: without not a list",
        "/v1/whatif",
        _js({"request": job_body(), "without": "azure-rofr"}),
        "application/json",
        422,
        "without",
    ),
    (
        "whatif: empty without",
        "/v1/whatif",
        _js({"request": job_body(), "without": []}),
        "application/json",
        422,
        "without",
    ),
    (
        "whatif: unknown field",
        "/v1/whatif",
        _js({"request": job_body(), "without": ["azure-rofr"], "also": 1}),
        "application/json",
        422,
        "also",
    ),
    (
        "whatif: no request",
        "/v1/whatif",
        _js({"without": ["azure-rofr"]}),
        "application/json",
        422,
        "request",
    ),
    (
        "whatif: bad request",
        "/v1/whatif",
        _js({"request": job_body(duration_h="long"), "without": ["azure-rofr"]}),
        "application/json",
        422,
        "duration_h",
    ),
    (
        "whatif: another requester",
        "/v1/whatif",
        _js({"request": job_body(requester="xai"), "without": ["azure-rofr"]}),
        "application/json",
        403,
        "requester",
    ),
    ("whatif: malformed", "/v1/whatif", b"[", "application/json", 400, None),
    (
        "whatif: oversized",
        "/v1/whatif",
        _js({"request": job_body(), "without": ["x" * (64 * 1024)]}),
        "application/json",
        413,
        None,
    ),
]


@pytest.mark.parametrize(
    ("name", "path", "body", "ctype", "status", "field"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_is_a_problem_and_stores_nothing(
    bad: Svc, name: str, path: str, body: bytes, ctype: str, status: int, field: str | None
) -> None:
    s = bad
    rows, size = request_rows(s), s.ledger.size()
    r = _post(s, path, body, ctype, key=f"k-{name}")
    assert is_problem(r, status), f"{name}: {r.status_code} {r.text[:300]}"
    doc = r.json()
    if field is not None:
        assert doc.get("field") == field, doc
    assert (request_rows(s), s.ledger.size()) == (rows, size)


def test_bad_parameters_are_problems(bad: Svc) -> None:
    s = bad
    for url in (
        "/v1/requests?limit=0",
        "/v1/requests?limit=x",
        "/v1/offers?state=closed",
        "/v1/ledger/proof/consistency?old_size=-1",
        "/v1/ledger/proof/inclusion",
        "/v1/ledger/entries?start=-3",
    ):
        who = ("microsoft", "holder") if "offers" in url else ("openai", "lab")
        r = s.client.get(url, headers=s.h(*who))
        assert 400 <= r.status_code < 500, (url, r.text)
        assert is_problem(r, r.status_code), (url, r.text)
    r = s.client.get("/v1/ledger/proof/inclusion?entry_id=e-999", headers=s.h())
    assert 400 <= r.status_code < 500, r.text
    assert is_problem(r, r.status_code), r.text
    r = s.client.get("/v1/ledger/proof/consistency?old_size=5&new_size=2", headers=s.h())
    assert 400 <= r.status_code < 500, r.text
    assert is_problem(r, r.status_code), r.text


def test_an_unknown_path_and_method_are_problems(bad: Svc) -> None:
    s = bad
    assert is_problem(s.client.get("/v1/nothing", headers=s.h()), 404)
    assert is_problem(s.client.delete("/v1/requests", headers=s.h()), 405)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "id",
        "kind",
        "requester",
        "class",
        "accelerators",
        "duration_h",
        "workload_classes",
        "term_years",
        "count",
        "types",
        "price_cap_usd_per_accelerator_hour",
        "request",
        "without",
        "start",
        "deadline",
    ]
)
_shaped = st.dictionaries(_keys, _json, max_size=8)


@pytest.mark.fuzz
@budget(40)  # many more under HYPOTHESIS_PROFILE=fuzz (pytest -m fuzz)
@given(body=_json | _shaped, base=st.sampled_from([job_body(), capacity_body(), None]))
def test_random_bodies_never_give_5xx(bad: Svc, body: Any, base: dict[str, Any] | None) -> None:
    s = bad
    if isinstance(body, dict) and base is not None:
        body = {**base, **body}
    raw = json.dumps(body).encode()
    for path in ("/v1/requests", "/v1/whatif"):
        r = _post(s, path, raw, key=f"h-{hash(raw)}")
        assert r.status_code < 500, (path, r.text)
        if r.status_code >= 400:
            assert is_problem(r, r.status_code), r.text
    whatif = json.dumps({"request": body, "without": ["azure-rofr"]}).encode()
    r = _post(s, "/v1/whatif", whatif)
    assert r.status_code < 500, r.text


def test_the_ledger_verifies_after_the_bad_input(bad: Svc) -> None:
    """After the bad input (and whatever random bodies happened to be valid) the ledger
    verifies."""
    assert bad.ledger.verify().ok
