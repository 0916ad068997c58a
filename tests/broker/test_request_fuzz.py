"""Property tests of request files: every generated file either loads with exactly the values
the generator meant to write, or fails with exit-2 problems that name the file and line —
never another exception, never a silently changed value.

The generators mix valid values with hostile ones (booleans, huge or negative counts, nan and
inf, durations past the limit, dates from year 1 to 9999, UTC offsets, epoch numbers), and
write them as YAML or JSON, so both the fast readers and the locating reader are exercised.
The hypothesis profile (tests/conftest.py) is derandomized for CI; ``HYPOTHESIS_PROFILE=fuzz``
draws many more examples.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from stargate.broker.request import Request, load_requests
from stargate.domain.limits import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    MAX_ACCELERATORS,
    MAX_DURATION_H,
)
from stargate.domain.model import Scenario
from stargate.errors import InputError
from stargate.scenario.loader import load_scenario

SCENARIO: Scenario = load_scenario(None)


@dataclass(frozen=True)
class Intended:
    """What the generator wrote, and whether the limits admit it."""

    count: Any
    duration_h: Any
    deadline: Any  # a datetime (written as ISO text), or another value written as is
    valid: bool


def _mostly(
    valid: st.SearchStrategy[Any], hostile: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Valid three times in four, so that whole valid requests are common too."""
    return st.integers(min_value=0, max_value=3).flatmap(lambda k: valid if k else hostile)


valid_counts = st.integers(min_value=1, max_value=MAX_ACCELERATORS)
counts = _mostly(
    valid_counts,
    st.one_of(
        st.integers(min_value=-3, max_value=MAX_ACCELERATORS + 3),
        st.sampled_from([0, 1, MAX_ACCELERATORS, MAX_ACCELERATORS + 1, 10**30, True, False]),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
)
valid_durations = st.floats(min_value=1e-6, max_value=MAX_DURATION_H)
durations = _mostly(
    valid_durations,
    st.one_of(
        st.floats(min_value=-10, max_value=2 * MAX_DURATION_H),
        st.sampled_from([MAX_DURATION_H, MAX_DURATION_H + 1, 1e8, 1e300, True, 0, -0.0]),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
)
offsets = st.one_of(
    st.none(),
    st.integers(min_value=-23 * 60, max_value=23 * 60).map(
        lambda m: timezone(timedelta(minutes=m))
    ),
)
valid_moments = st.builds(
    lambda d, tz: d.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2199, 12, 30)),
    offsets,
)
moments = _mostly(
    valid_moments,
    st.one_of(
        st.builds(
            lambda d, tz: d.replace(tzinfo=tz),
            st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
            offsets,
        ),
        st.integers(min_value=-(10**12), max_value=10**12),
        st.sampled_from([True, "soon", "2026-02-30", LATEST_INSTANT, EARLIEST_INSTANT]),
    ),
)


def _valid_count(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, float):
        return math.isfinite(v) and v.is_integer() and 0 < v <= MAX_ACCELERATORS
    return isinstance(v, int) and 0 < v <= MAX_ACCELERATORS


def _valid_duration(v: Any) -> bool:
    return (
        not isinstance(v, bool)
        and isinstance(v, int | float)
        and math.isfinite(v)
        and 0 < v <= MAX_DURATION_H
    )


def _utc(v: datetime) -> datetime:
    return v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v


def _valid_deadline(v: Any) -> bool:
    if not isinstance(v, datetime):
        return False
    try:
        moment = _utc(v)
    except OverflowError:
        return False
    return EARLIEST_INSTANT <= moment <= LATEST_INSTANT


@st.composite
def request_files(draw: st.DrawFn) -> tuple[str, str, Intended]:
    count, duration, deadline = draw(counts), draw(durations), draw(moments)
    item: dict[str, Any] = {
        "id": "fuzzed",
        "requester": "openai",
        "class": "research-training",
        "kind": "training",
        "accelerators": {"count": count},
        "duration_h": duration,
        "deadline": deadline.isoformat() if isinstance(deadline, datetime) else deadline,
    }
    fmt = draw(st.sampled_from(["json", "yaml"]))
    text = (
        json.dumps({"requests": [item]})
        if fmt == "json"
        else yaml.safe_dump({"requests": [item]}, sort_keys=False)
    )
    valid = _valid_count(count) and _valid_duration(duration) and _valid_deadline(deadline)
    return fmt, text, Intended(count, duration, deadline, valid)


@given(request_files())
def test_loaded_values_equal_the_intended_or_a_located_error(
    case: tuple[str, str, Intended],
) -> None:
    fmt, text, intended = case
    event(f"{fmt}, {'valid' if intended.valid else 'invalid'}")
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / f"fuzzed.{fmt}"
        f.write_text(text)
        try:
            reqs, _ = load_requests(f, SCENARIO)
        except InputError as exc:
            # an oracle, not an expected error: the drawn input decides whether refusing is right
            assert not intended.valid, f"refused a valid request: {exc}"  # noqa: PT017
            for p in exc.problems:
                assert p.file == str(f), p.render()
                assert p.line is not None, p.render()
            return
    assert intended.valid, f"accepted an invalid request: {intended}"
    (r,) = reqs
    assert isinstance(r, Request)
    assert r.accelerators.count == intended.count
    assert r.duration_h == float(intended.duration_h)
    assert r.deadline == _utc(intended.deadline)
