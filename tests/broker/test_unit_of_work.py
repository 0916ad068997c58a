"""Prices per unit of work, and one price basis, for job requests: the cost objective compares
the cost of the work (a faster, dearer type can be cheaper), a cap may be given per
reference-accelerator-hour (price ÷ throughput), the job-level ROFR honours the clause's cap
per reference-hour, and a requester pays its contract price where a price row carries one."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from stargate.broker import Broker
from stargate.broker.capacity import CapacityBook, decide_capacity
from stargate.broker.fleet import FleetIndex
from stargate.domain.model import Scenario
from tests.broker.conftest import AT, DAY, creq, req

MakeFleet = Callable[[Callable[[dict[str, Any]], None]], Scenario]


def rival_priced(data: dict[str, Any]) -> None:
    """The rival sells H100 at $7.37 and B200 at $9.60 an hour; a B200 does 2.5 H100s' training
    work; no campus (the lab's own H100 would be cheapest)."""
    rival = data["providers"][1]
    rival["prices"][0]["on_demand_usd_per_accelerator_hour"] = 7.37
    rival["prices"][1]["on_demand_usd_per_accelerator_hour"] = 9.60
    data["accelerators"][1]["throughput"]["training"] = 2.5
    data["sites"][2]["pools"] = []


def test_a_faster_dearer_type_wins_when_cheaper_per_unit_of_work(make_fleet: MakeFleet) -> None:
    s = make_fleet(rival_priced)
    d = Broker(s, without=["rofr"]).decide(req(), AT)
    # 10 reference hours: 4 h on B200 at $9.60 ($3,840 for 100) beats 10 h on H100 at $7.37
    assert d.pool == "rival-b200"
    assert d.cost_usd == Decimal("3840.00")
    h100 = next(c for c in d.candidates if c.pool == "rival-h100")
    assert h100.cost_usd == Decimal("7370.00")
    assert h100.rank == 2


def test_a_cap_per_reference_hour_passes_what_the_same_cap_per_accelerator_hour_fails(
    make_fleet: MakeFleet,
) -> None:
    s = make_fleet(rival_priced)
    broker = Broker(s, without=["rofr"])
    per_work = broker.decide(req(price_cap_usd_per_reference_hour=8), AT)
    assert per_work.pool == "rival-b200"  # $9.60 / 2.5 = $3.84 of work per H100-hour
    per_accelerator = broker.decide(req(id="r2", max_price_usd_per_accelerator_hour=8), AT)
    assert per_accelerator.pool == "rival-h100"  # $9.60 > $8 per accelerator-hour
    b200 = next(c for c in per_accelerator.candidates if c.pool == "rival-b200")
    assert any(r.startswith("price_cap: $9.60/accelerator-hour") for r in b200.reasons)


def test_a_cap_per_reference_hour_refuses_dear_work(make_fleet: MakeFleet) -> None:
    s = make_fleet(rival_priced)
    d = Broker(s, without=["rofr"]).decide(req(price_cap_usd_per_reference_hour=3), AT)
    assert not d.placed
    b200 = next(c for c in d.candidates if c.pool == "rival-b200")
    assert any(
        r.startswith("price_cap: $3.84 per reference-accelerator-hour of work")
        for r in b200.reasons
    )
    assert d.reason_code == "price_cap"


def _holder_sells_b200(cap: dict[str, float]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["providers"][0]["prices"].append(
            {"accelerator": "b200", "on_demand_usd_per_accelerator_hour": 16}
        )
        data["sites"][0]["pools"].append(
            {"id": "hold-b200", "accelerator": "b200", "count": 500, "available_from": "2025-06-01"}
        )
        data["accelerators"][1]["throughput"]["training"] = 2.5
        clause = data["contracts"][0]["clauses"][0]
        clause.pop("price_cap_usd_per_accelerator_hour")
        clause.update(cap)

    return edit


def test_job_rofr_honours_the_clause_cap_per_reference_hour(make_fleet: MakeFleet) -> None:
    b200 = {"count": 100, "types": ["b200"]}
    per_work = make_fleet(_holder_sells_b200({"price_cap_usd_per_reference_hour": 7.5}))
    d = Broker(per_work).decide(req(accelerators=b200), AT)
    assert d.rofr.holder_can_meet  # $16 / 2.5 = $6.40 of work: within $7.50
    assert d.decided_by == "rofr"
    assert d.pool == "hold-b200"
    per_acc = make_fleet(_holder_sells_b200({"price_cap_usd_per_accelerator_hour": 7.5}))
    d = Broker(per_acc).decide(req(accelerators=b200), AT)
    assert d.rofr.unmet_requirements == ["price"]
    # released at once to every provider: the holder's B200 ($16) still beats the rival's $20
    assert d.decided_by == "objective:cost"
    assert d.pool == "hold-b200"


def test_the_offer_carries_the_price_per_unit_of_work(make_fleet: MakeFleet) -> None:
    seen: list[Any] = []

    class Spy:
        name = "spy"

        def respond(self, offer: Any) -> Any:
            from stargate.broker.responders import CapacityLimited

            seen.append(offer)
            return CapacityLimited().respond(offer)

    s = make_fleet(_holder_sells_b200({"price_cap_usd_per_reference_hour": 6}))
    d = Broker(s, responder=Spy()).decide(
        req(accelerators={"count": 100, "types": ["b200"]}, max_price_usd_per_accelerator_hour=20),
        AT,
    )
    # the clause lists every requirement: $6.40 of work fails its $6 cap, so nothing is offered
    assert d.rofr.unmet_requirements == ["price"]
    assert seen == []

    def only_capacity(data: dict[str, Any]) -> None:
        _holder_sells_b200({"price_cap_usd_per_reference_hour": 6})(data)
        data["contracts"][0]["clauses"][0].update(requirements=["capacity"])

    s = make_fleet(only_capacity)
    d = Broker(s, responder=Spy()).decide(req(accelerators={"count": 100, "types": ["b200"]}), AT)
    (offer,) = seen
    assert offer.kind == "job"
    assert offer.accelerator == "b200"
    assert offer.price_usd_per_reference_hour == Decimal("6.4")
    assert offer.price_cap_usd_per_reference_hour == Decimal(6)
    assert d.rofr.answer == "decline"  # capacity-limited declines above the cap


# -- one price basis: contract prices for their party ----------------------------------------


def with_contract(data: dict[str, Any]) -> None:
    data["parties"].append({"id": "other-lab", "name": "Other", "roles": ["ai_lab"]})
    data["providers"][1]["prices"][0]["contract_prices"] = [
        {"party": "lab", "usd_per_accelerator_hour": 2}
    ]
    data["sites"][2]["pools"] = []  # no campus


def test_a_requester_pays_its_contract_price(make_fleet: MakeFleet) -> None:
    s = make_fleet(with_contract)
    broker = Broker(s, without=["rofr"])
    lab = broker.decide(req(), AT)
    assert lab.pool == "rival-h100"
    assert lab.cost_usd == Decimal("2000.00")  # 100 × 10 h × $2
    chosen = next(c for c in lab.candidates if c.chosen)
    assert chosen.price_usd_per_accelerator_hour == Decimal("2.0000")
    other = broker.decide(
        req(id="r2", requester="other-lab", accelerators={"count": 100, "types": ["h100"]}), AT
    )
    assert other.pool == "hold-h100"  # $10 list beats the rival's $11 list
    rival = next(c for c in other.candidates if c.pool == "rival-h100")
    assert rival.price_usd_per_accelerator_hour == Decimal("11.0000")


def test_the_fleet_index_prices_per_requester(make_fleet: MakeFleet) -> None:
    s = make_fleet(with_contract)
    idx = FleetIndex(s)
    pos = idx.pool_pos["rival-h100"]
    assert idx.price_dec[pos] == Decimal(11)  # the index's own arrays: list prices
    assert idx.priced("lab").price_dec[pos] == Decimal(2)
    assert idx.priced("other-lab") is idx.priced(None)  # no contract of its own
    assert idx.priced("lab") is idx.priced("lab")  # built once
    lab_index = FleetIndex(s, requester="lab")
    assert lab_index.price_dec[pos] == Decimal(2)
    assert lab_index.priced(None).price_dec[pos] == Decimal(11)


def test_capacity_is_priced_reserved_with_the_contract_price(make_fleet: MakeFleet) -> None:
    def edit(data: dict[str, Any]) -> None:
        with_contract(data)
        data["providers"][1]["prices"][0]["reserved_usd_per_accelerator_hour"] = 8

    s = make_fleet(edit)
    d = decide_capacity(
        s,
        creq(accelerators={"count": 100, "types": ["h100"]}),
        DAY,
        CapacityBook(s),
        without=["rofr"],
    )
    rival = next(c for c in d.candidates if c.provider == "rival" and c.accelerator == "h100")
    assert rival.basis == "contract"
    assert rival.price_usd_per_accelerator_hour == Decimal(2)
    assert d.rows[0].provider == "rival"
    assert d.rows[0].price_usd_per_accelerator_hour == Decimal("2.0000")
    other = decide_capacity(
        s,
        creq(requester="other-lab", accelerators={"count": 100, "types": ["h100"]}),
        DAY,
        CapacityBook(s),
    )
    rival = next(c for c in other.candidates if c.provider == "rival" and c.accelerator == "h100")
    assert rival.basis == "reserved"
    assert rival.price_usd_per_accelerator_hour == Decimal(8)


def test_capacity_price_is_the_price_the_broker_uses() -> None:
    # capacity_price is what the simulator and the planner call: the same rule, the same price
    from stargate.broker.capacity import capacity_price
    from stargate.scenario.loader import load_scenario

    sc = load_scenario(None)
    for r in sc.capacity_requests:
        d = decide_capacity(sc, r, r.date, CapacityBook(sc))
        assert d.term is not None
        for c in d.candidates:
            hc = capacity_price(
                sc, r.requester, sc.provider(c.provider), c.site, c.accelerator, d.term.start
            )
            assert hc is not None
            assert hc.total_usd == c.price_usd_per_accelerator_hour
            assert hc.basis == c.basis
    abilene = next(
        c
        for c in decide_capacity(sc, sc.capacity_requests[0], DAY, CapacityBook(sc)).candidates
        if c.site == "abilene"
    )
    assert abilene.basis == "contract"  # OpenAI buys Abilene from Oracle at its contract price
