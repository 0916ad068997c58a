"""A request whose capacity is not online yet waits for it, up to its deadline: capacity (pools
online, outages) is judged on the start day, clauses on the decision day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from stargate.broker import Broker
from stargate.cli.main import app
from stargate.domain.model import Scenario
from tests.broker.conftest import req

MakeFleet = Callable[[Callable[[dict[str, Any]], None]], Scenario]
ROOT = Path(__file__).resolve().parents[2]
MIX = ROOT / "examples" / "requests" / "stargate-mix.yaml"

# 5,000 accelerators: more than the holder's 1,000 and the rival's 4,000 H100; only the
# campus (20,000 H100, online 2025-06-01) fits.
EARLY = datetime(2025, 3, 1)
ONLINE = datetime(2025, 6, 1)


def big(**kw: Any) -> Any:
    return req(accelerators={"count": 5000, "types": "any"}, **kw)


def test_placed_on_the_online_date(fleet: Scenario) -> None:
    d = Broker(fleet).decide(big(), EARLY)
    assert d.placed
    assert d.pool == "campus-h100"
    assert d.start == ONLINE
    assert d.at == EARLY
    assert d.start_moved is not None
    assert d.start_moved.requested == EARLY
    assert d.start_moved.chosen == ONLINE
    assert d.start_moved.reason.startswith("not_online:")
    assert "campus-h100" in d.start_moved.reason
    assert "start moved to 2025-06-01" in d.explanation


def test_not_moved_when_something_fits(fleet: Scenario) -> None:
    d = Broker(fleet).decide(req(), EARLY)
    assert d.placed
    assert d.start == EARLY
    assert d.start_moved is None


def test_past_the_deadline_not_placed_naming_it(fleet: Scenario) -> None:
    d = Broker(fleet).decide(big(deadline="2025-05-15T00:00:00Z"), EARLY)
    assert not d.placed
    assert d.start_moved is None
    assert d.reason_code == "deadline"
    assert d.too_late is not None
    assert "deadline 2025-05-15" in d.too_late
    assert "2025-05-15" in d.explanation
    campus = next(c for c in d.candidates if c.pool == "campus-h100")
    assert any(r.startswith("not_online:") and "deadline 2025-05-15" in r for r in campus.reasons)


def test_deadline_that_leaves_time_after_the_online_date(fleet: Scenario) -> None:
    d = Broker(fleet).decide(big(deadline="2025-06-01T10:00:00Z"), EARLY)
    assert d.placed
    assert d.start == ONLINE
    assert d.finish is not None
    assert d.finish <= datetime(2025, 6, 1, 10)


def test_without_deadline_bounded_by_the_horizon(make_fleet: MakeFleet) -> None:
    def late_campus(data: dict[str, Any]) -> None:
        data["sites"][2]["pools"][0]["available_from"] = "2031-06-01"  # after the horizon

    d = Broker(make_fleet(late_campus)).decide(big(), EARLY)
    assert not d.placed
    assert d.reason_code == "deadline"
    assert d.too_late is not None
    assert "horizon" in d.too_late


def test_outage_moves_the_start_to_its_end(make_fleet: MakeFleet) -> None:
    def outage(data: dict[str, Any]) -> None:
        data["sites"][2]["outages"] = [{"start": "2026-01-01", "end": "2026-01-03"}]

    d = Broker(make_fleet(outage)).decide(big(), datetime(2026, 1, 2))
    assert d.placed
    assert d.start == datetime(2026, 1, 4)
    assert d.start_moved is not None
    assert d.start_moved.reason.startswith("outage:")


def test_clauses_judged_on_the_decision_day(make_fleet: MakeFleet) -> None:
    """The ROFR ends 2027-12-31; decided on 2027-12-01 it applies although the start moves
    into 2028, when the clause is over."""

    def campus_2028(data: dict[str, Any]) -> None:
        data["sites"][2]["pools"][0]["available_from"] = "2028-02-01"

    d = Broker(make_fleet(campus_2028)).decide(big(), datetime(2027, 12, 1))
    assert d.placed
    assert d.start == datetime(2028, 2, 1)
    assert d.rofr.applies
    assert d.rofr.clause == "rofr"


def test_readme_example_places_the_headline_request() -> None:
    """`stargate place examples/requests/stargate-mix.yaml --without rofr` (no --at) decides on
    the scenario's as_of day, before the GB200 pools are online: the training run waits."""
    result = CliRunner().invoke(app, ["place", str(MIX), "--without", "rofr", "--json"])
    assert result.exit_code == 0, result.output
    import json

    head = next(d for d in json.loads(result.output) if d["request_id"] == "train-gpt-next")
    assert head["placed"], head["explanation"]
    assert head["start_moved"] is not None
    assert head["start"] > head["at"]
    assert head["start"] == head["start_moved"]["chosen"]
