"""Property: a request file (YAML or JSON) for ``stargate place`` with one hostile field is
refused at that field's line, or loads holding exactly the meant value; ``place`` itself exits
0 or 2, never 1.

The request asks the minimal scenario for 100 H100s for training; one field at a time is
written as a hostile value. Loading goes through :func:`stargate.broker.request.load_requests`
(the reader ``place`` uses), then the same file through ``stargate place`` in-process.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from stargate.broker.request import load_requests
from stargate.domain import limits
from stargate.errors import InputError
from stargate.scenario.loader import load_scenario
from stargate.scenario.yamlsrc import format_path
from tests.conftest import minimal
from tests.fuzz.checks import assert_clean_exit, assert_located, budget, invoke, time_bound
from tests.fuzz.values import REFUSE, Verdict, Written, same, verdict, yaml_values

PathKey = tuple[str | int, ...]

REQUEST: dict[str, Any] = {
    "id": "fuzz-1",
    "requester": "lab",
    "class": "training",
    "kind": "training",
    "accelerators": {"count": 100, "types": ["h100"]},
    "duration_h": 24,
    "earliest_start": "2026-01-05T00:00:00Z",
    "deadline": "2026-06-01T00:00:00Z",
    "max_price_usd_per_accelerator_hour": 20,
}

FIELDS: list[tuple[PathKey, str]] = [
    (("id",), "id"),
    (("requester",), "id"),
    (("accelerators", "count"), "count"),
    (("duration_h",), "hours"),
    (("earliest_start",), "instant?"),
    (("deadline",), "instant?"),
    (("max_price_usd_per_accelerator_hour",), "money?"),
]

MARK = "__FUZZ_VALUE__"


def instant_verdict(w: Written, optional: bool) -> Verdict:
    """A request time: a date is its midnight, an offset is converted to UTC, a bare datetime
    is UTC; a number is not a time (not a Unix time either)."""
    value = w.value
    if optional and w.kind == "null":
        return Verdict("exact", None)
    if w.kind == "str":
        text = value.strip()
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            return Verdict(REFUSE)
    elif w.kind == "date":
        value = datetime(value.year, value.month, value.day)
    elif w.kind != "datetime":
        return Verdict(REFUSE)
    try:
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return Verdict(REFUSE)
    if not limits.EARLIEST_INSTANT <= value <= limits.LATEST_INSTANT:
        return Verdict(REFUSE)
    return Verdict("exact", value)


def verdict_for(kind: str, w: Written) -> Verdict:
    """``kind`` ends in '?' for an optional field (null leaves it unset)."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    return instant_verdict(w, optional) if kind == "instant" else verdict(kind, w, optional)


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "s.yaml"
    path.write_text(yaml.safe_dump(minimal(), sort_keys=False))
    return path


def write_request(tmp: Path, path: PathKey, text: str, as_json: bool) -> tuple[Path, int]:
    data = json.loads(json.dumps(REQUEST))
    cur: Any = data
    for part in path[:-1]:
        cur = cur[part]
    cur[path[-1]] = MARK
    body = (
        json.dumps(data, indent=2)
        if as_json
        else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    )
    quoted = f'"{MARK}"' if as_json else MARK
    line = next(n for n, row in enumerate(body.splitlines(), 1) if MARK in row)
    target = tmp / ("r.json" if as_json else "r.yaml")
    target.write_text(body.replace(quoted, text), encoding="utf-8")
    return target, line


def loaded_at(request: Any, path: PathKey) -> Any:
    cur = request
    for part in path:
        cur = cur[part] if isinstance(part, int) else getattr(cur, part)
    return cur


def _json_text(w: Written) -> Written | None:
    """The same meaning written as JSON, when JSON can say it (no tags, dates are text)."""
    if w.kind in ("int", "bool", "null"):
        return Written(json.dumps(w.value), w.value, w.kind)
    if w.kind == "float":
        return Written(json.dumps(w.value), w.value, w.kind)  # NaN/Infinity: Python's JSON
    if w.kind == "str":
        return Written(json.dumps(w.value, ensure_ascii=False), w.value, "str")
    if w.kind in ("date", "datetime"):
        return Written(json.dumps(w.text), w.text, "str")
    return None


def check_one(
    tmp: Path, scenario_file: Path, path: PathKey, kind: str, w: Written, as_json: bool
) -> None:
    target, line = write_request(tmp, path, w.text, as_json)
    want = verdict_for(kind, w)
    sc = load_scenario(scenario_file)
    with time_bound():
        try:
            requests, _ = load_requests(target, sc)
        except InputError as exc:
            if want.rule == REFUSE:
                assert_located(exc.problems, str(target), line=line, path=format_path(path))
            else:
                assert_located(exc.problems, str(target))
        else:
            assert want.rule != REFUSE, f"{format_path(path)}: {w} was accepted; must be refused"
            got = loaded_at(requests[0], path)
            if isinstance(want.expected, date) and not isinstance(want.expected, datetime):
                got = got.date() if isinstance(got, datetime) else got
            assert same(got, want.expected), (
                f"silent change: {format_path(path)} written {w.text!r} (meaning "
                f"{want.expected!r}) loaded as {got!r}"
            )
    args = ["place", str(target), "-s", str(scenario_file), "--at", "2026-01-01", "--json"]
    assert_clean_exit(invoke(args), args)


@budget(40)
@given(field=st.sampled_from(FIELDS), w=yaml_values)
def test_yaml_request_field_is_refused_located_or_loaded_exactly(
    tmp_path_factory: pytest.TempPathFactory,
    scenario_file: Path,
    field: tuple[PathKey, str],
    w: Written,
) -> None:
    path, kind = field
    check_one(tmp_path_factory.mktemp("r"), scenario_file, path, kind, w, as_json=False)


@budget(25)
@given(field=st.sampled_from(FIELDS), w=yaml_values)
def test_json_request_field_is_refused_located_or_loaded_exactly(
    tmp_path_factory: pytest.TempPathFactory,
    scenario_file: Path,
    field: tuple[PathKey, str],
    w: Written,
) -> None:
    path, kind = field
    jw = _json_text(w)
    if jw is None:
        return
    check_one(tmp_path_factory.mktemp("r"), scenario_file, path, kind, jw, as_json=True)
