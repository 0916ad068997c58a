"""The broker, the simulator and the planner give the same price and the same ROFR verdict for
the same capacity request (issue #10, point 4: one price basis).

Each engine reaches the request its own way: the broker decides it from a request file as
``stargate place`` does, the simulator places it as a dated capacity request of the scenario in
its procurement replay, the planner places it before it solves. All three must write the same
rows — provider, site, type, count, price and verdict — because all three price through
:func:`stargate.domain.costs.hourly_cost` and decide through the broker's capacity decision.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from stargate.broker.capacity import CapacityBook
from stargate.broker.engine import Broker
from stargate.domain.model import CapacityRequest, DatedCapacityRequest, Scenario
from stargate.plan import plan
from stargate.scenario.loader import load_scenario
from stargate.sim.api import simulate

#: Fields a dated request of the record has and a request file's does not.
_RECORD_ONLY = set(DatedCapacityRequest.model_fields) - set(CapacityRequest.model_fields)

#: What must agree, per row.
KEYS = ("provider", "site", "accelerator", "accelerators", "price_usd_per_accelerator_hour", "rofr")


def _rows(rows: Any, request_id: str) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        if row["request"] != request_id:
            continue
        price = row["price_usd_per_accelerator_hour"]
        out.append(
            tuple(
                Decimal(str(price)).quantize(Decimal("0.0001"))
                if k == "price_usd_per_accelerator_hour" and price is not None
                else row[k]
                for k in KEYS
            )
        )
    return sorted(out, key=repr)


def _broker_rows(sc: Scenario, request_id: str, without: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The request decided by the broker on its date, after the requests dated before it (the
    book holds what they took, as in the other engines)."""
    book = CapacityBook(sc)
    broker = Broker(sc, without=without)
    rows: list[dict[str, Any]] = []
    for dated in sorted(sc.capacity_requests, key=lambda r: r.date):
        req = CapacityRequest.model_validate(dated.model_dump(exclude=_RECORD_ONLY, by_alias=False))
        decision = broker.decide_capacity(req, dated.date, book=book, source="scheduled")
        rows.extend(r.to_dict() for r in decision.rows)
        if dated.id == request_id:
            break
    return _rows(rows, request_id)


@pytest.fixture(scope="module")
def default() -> Scenario:
    return load_scenario(None)


@pytest.mark.parametrize("without", [(), ("rofr",)], ids=["with-rofr", "without-rofr"])
@pytest.mark.parametrize("request_id", ["abilene-phase-1", "abilene-phase-2"])
def test_three_engines_agree_on_price_and_verdict(
    default: Scenario, request_id: str, without: tuple[str, ...]
) -> None:
    broker = _broker_rows(default, request_id, without)
    sim = simulate(default, ["synthetic?jobs=200"], without=list(without), log_events=False)
    sim_rows = _rows(sim.summary.to_dict()["procurement"], request_id)
    planned = plan(default, without=list(without))
    plan_rows = _rows(planned.to_dict()["procurement"], request_id)
    assert broker, f"the broker placed nothing for {request_id}"
    assert broker == sim_rows, "broker and simulator differ"
    assert broker == plan_rows, "broker and planner differ"


def test_the_rofr_verdict_differs_without_the_clause(default: Scenario) -> None:
    """The agreement above is not vacuous: the ROFR changes the rows, in every engine alike."""
    with_rofr = _broker_rows(default, "abilene-phase-2", ())
    without = _broker_rows(default, "abilene-phase-2", ("rofr",))
    assert {r[-1] for r in with_rofr} != {r[-1] for r in without}
    assert {r[-1] for r in without} == {"not_in_scope"}


def test_the_price_is_the_contract_price(default: Scenario) -> None:
    """Abilene's GB200 for OpenAI is Oracle's 4.5 GW contract rate ($4.34, derived in the
    default scenario), not OCI's $16.00 list price, and the same in every engine."""
    rows = _broker_rows(default, "abilene-phase-1", ("rofr",))
    assert [(r[0], r[4]) for r in rows] == [("oci", Decimal("4.3400"))]
    oci_rate = default.provider("oci").prices
    [gb200] = [p for p in oci_rate if p.accelerator == "gb200"]
    contract = gb200.contract_price_for("openai")
    assert contract is not None
    assert rows[0][4] == contract.usd_per_accelerator_hour
    assert date(2025, 1, 21) == next(
        r.date for r in default.capacity_requests if r.id == "abilene-phase-1"
    )
