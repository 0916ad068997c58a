"""Request files: booleans are never numbers, counts, durations and times are bounded by the
shared limits, non-dates are refused, and special files are refused before reading.

Each case asserts exit code 2 and a message that names the file, the request and the field."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.broker import Broker, Request
from stargate.broker.request import load_requests
from stargate.cli.main import app
from stargate.domain.limits import LATEST_INSTANT, MAX_ACCELERATORS, MAX_DURATION_H
from stargate.domain.model import Scenario
from stargate.errors import InputError

runner = CliRunner()

BASE = """requests:
- id: bad-one
  requester: openai
  class: research-training
  kind: training
  accelerators: {count: 8}
  duration_h: 4
"""


def _with(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


def place(tmp_path: Path, text: str, *args: str, name: str = "req.yaml") -> tuple[int, str]:
    f = tmp_path / name
    f.write_text(text)
    result = runner.invoke(app, ["place", str(f), *args])
    return result.exit_code, result.output


CASES = {
    # (replace, with) -> (field path, words of the message)
    "count-yes": (("count: 8", "count: yes"), "accelerators.count", "boolean true"),
    "count-huge": (
        ("count: 8", "count: 1000000000000000000000000000000"),
        "accelerators.count",
        f"at most {MAX_ACCELERATORS:,}",
    ),
    "duration-1e8": (
        ("duration_h: 4", "duration_h: 1.0e+8"),
        "duration_h",
        f"at most {MAX_DURATION_H:,} h",
    ),
    "duration-yes": (("duration_h: 4", "duration_h: on"), "duration_h", "boolean true"),
    "duration-nan": (("duration_h: 4", "duration_h: .nan"), "duration_h", "(found nan)"),
    "deadline-epoch": (
        ("duration_h: 4", "duration_h: 4\n  deadline: 1767225600"),
        "deadline",
        "expected an ISO datetime",
    ),
    "start-float": (
        ("duration_h: 4", "duration_h: 4\n  earliest_start: 17.5"),
        "earliest_start",
        "expected an ISO datetime",
    ),
    "deadline-bool": (
        ("duration_h: 4", "duration_h: 4\n  deadline: yes"),
        "deadline",
        "expected an ISO datetime",
    ),
    "start-9999": (
        ("duration_h: 4", "duration_h: 4\n  earliest_start: 9999-12-31T00:00:00Z"),
        "earliest_start",
        "outside the range Stargate represents",
    ),
    "deadline-9999-offset": (
        ("duration_h: 4", "duration_h: 4\n  deadline: '9999-12-31T23:00:00-05:00'"),
        "deadline",
        "outside the range",
    ),
    "price-true": (
        ("duration_h: 4", "duration_h: 4\n  max_price_usd_per_accelerator_hour: true"),
        "max_price_usd_per_accelerator_hour",
        "boolean true",
    ),
    "impossible-date": (
        ("duration_h: 4", "duration_h: 4\n  deadline: 2026-02-30"),
        "deadline",
        "not a valid date",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_values_exit_2_located(case: str, tmp_path: Path) -> None:
    (old, new), field, words = CASES[case]
    code, out = place(tmp_path, _with(old, new))
    assert code == 2, out
    assert "Traceback" not in out
    assert "internal error" not in out
    assert "req.yaml:" in out, out
    assert f"requests[0].{field}" in out, out
    assert words in out, out


def test_period_longer_than_the_limit(tmp_path: Path) -> None:
    text = (
        BASE.replace("class: research-training", "class: api-inference")
        .replace("kind: training", "kind: inference")
        .replace("duration_h: 4", "period: {start: 1901-01-01, end: 2150-01-01}")
    )
    code, out = place(tmp_path, text)
    assert code == 2, out
    assert "requests[0].period" in out, out
    assert f"at most {MAX_DURATION_H:,} h" in out, out


def test_same_problems_from_json(tmp_path: Path) -> None:
    text = (
        '{"requests": [{"id": "j", "requester": "openai", "class": "research-training",'
        ' "kind": "training", "accelerators": {"count": true}, "duration_h": 4,\n'
        ' "deadline": 1767225600}]}'
    )
    code, out = place(tmp_path, text, name="req.json")
    assert code == 2, out
    assert "req.json:1:" in out, out
    assert "requests[0].accelerators.count" in out, out
    assert "req.json:2:" in out, out
    assert "expected an ISO datetime" in out, out


@pytest.mark.parametrize(
    ("at", "code", "words"),
    [
        ("9999-12-31", 2, "outside the range Stargate represents"),
        ("9999-12-31T23:00:00-05:00", 2, "outside the range"),
        ("1800-01-01", 2, "outside the range"),
        ("2199-12-31T12:00:00Z", 0, ""),
    ],
)
def test_at_bounded_where_parsed(tmp_path: Path, at: str, code: int, words: str) -> None:
    got, out = place(tmp_path, BASE, "--at", at, "--json")
    assert got == code, out
    if code:
        assert "--at" in out, out
        assert words in out, out
        assert "Traceback" not in out, out


def test_time_arithmetic_at_the_limits(fleet: Scenario) -> None:
    """The latest start plus the longest duration (and on the slowest type) is representable:
    no OverflowError anywhere in the decision or its explanation."""
    r = Request.model_validate(
        {
            "id": "edge",
            "requester": "lab",
            "class": "training",
            "kind": "training",
            "accelerators": {"count": 10, "types": "any"},
            "duration_h": MAX_DURATION_H,
            "earliest_start": LATEST_INSTANT.isoformat(),
        }
    )
    d = Broker(fleet).decide(r, LATEST_INSTANT)
    assert d.placed
    assert d.start == LATEST_INSTANT
    assert d.finish is not None
    assert d.finish > LATEST_INSTANT
    late = Broker(fleet).decide(
        r.model_copy(update={"deadline": datetime(2199, 1, 1), "earliest_start": None}),
        datetime(2199, 1, 1),
    )
    assert not late.placed
    assert late.reason_code == "deadline"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_refused_before_reading(tmp_path: Path, fleet: Scenario) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="named pipe"):
        load_requests(fifo, fleet)  # would block forever if it were opened
    result = runner.invoke(app, ["place", str(fifo)])
    assert result.exit_code == 2, result.output
    assert "named pipe" in result.output, result.output


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_refused(fleet: Scenario) -> None:
    with pytest.raises(InputError, match="character device"):
        load_requests("/dev/zero", fleet)


def test_fast_and_locating_readers_agree(tmp_path: Path, fleet: Scenario) -> None:
    """A valid file gives the same requests through the fast readers (json, libyaml) as
    through the locating reader; tags, anchors and duplicates go to the locating reader."""
    from stargate.broker.request import parse_requests
    from stargate.scenario.yamlsrc import read_yaml

    text = (
        "requests:\n"
        "- {id: a, requester: lab, class: training, kind: training,\n"
        "   accelerators: {count: 10, types: [h100]}, duration_h: 2.5,\n"
        "   earliest_start: 2026-01-01T06:00:00+02:00, deadline: 2026-03-01,\n"
        "   max_price_usd_per_accelerator_hour: 11.5}\n"
        "- {id: b, requester: lab, class: inference, kind: inference,\n"
        "   accelerators: {count: 7}, period: {start: '2026-01-01', end: '2026-01-02T00:00Z'}}\n"
    )
    f = tmp_path / "ok.yaml"
    f.write_text(text)
    fast, _ = load_requests(f, fleet)
    data, smap, problems = read_yaml(text, str(f))
    assert not problems
    slow, _ = parse_requests(data, fleet, str(f), smap)
    assert fast == slow
    assert isinstance(fast[0], Request)
    assert fast[0].earliest_start == datetime(2026, 1, 1, 4)
    dup = tmp_path / "dup.yaml"
    dup.write_text(text.replace("duration_h: 2.5,", "duration_h: 2.5, duration_h: 3,"))
    with pytest.raises(InputError, match="duplicate key 'duration_h'"):
        load_requests(dup, fleet)
    tagged = tmp_path / "tag.yaml"
    tagged.write_text(text.replace("id: a,", "id: !!binary YWJj,"))
    with pytest.raises(InputError, match="tag"):
        load_requests(tagged, fleet)
    js = tmp_path / "dup.json"
    js.write_text('{"id": "x", "id": "y", "requester": "lab"}')
    with pytest.raises(InputError, match="duplicate key 'id'"):
        load_requests(js, fleet)
