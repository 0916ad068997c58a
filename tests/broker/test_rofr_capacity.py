"""The right of first refusal at the procurement level, case by case: a truth table of capacity
requests (in scope or not; the holder able or unable on each requirement; the holder's
answers; the clause ended or amended; exclusivity against a released ROFR; partial offers;
capacity consumed in order).

The fleet (tests/broker/conftest.py): the holder sells 1,200 new H100 a year through its
capacity model at $6 reserved; the rival sells its pools (4,000 H100 at $8, 500 B200 at $14
from 2025-06-01); the lab's campus (20,000 H100 from 2025-06-01) costs about $1 an hour. The
ROFR (holder cloudco, classes training and research, 24 h window, cap $12 per
accelerator-hour) runs 2025-01-01..2027-12-31; inference is exclusive to the rival.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from stargate.broker import Broker, make_responder
from stargate.broker.capacity import CapacityBook, CapacityDecision, decide_capacity
from stargate.domain.model import CapacityRequest, Scenario
from tests.broker.conftest import DAY, creq

MakeFleet = Callable[[Callable[[dict[str, Any]], None]], Scenario]


def decide(
    scenario: Scenario,
    request: CapacityRequest | None = None,
    responder: str | None = None,
    at: date = DAY,
    book: CapacityBook | None = None,
    **kw: Any,
) -> CapacityDecision:
    return decide_capacity(
        scenario,
        request or creq(),
        at,
        book or CapacityBook(scenario),
        responder=None if responder is None else make_responder(responder),
        **kw,
    )


def rofr_clause(data: dict[str, Any]) -> dict[str, Any]:
    clause: dict[str, Any] = data["contracts"][0]["clauses"][0]
    return clause


def verdicts(d: CapacityDecision) -> list[tuple[str | None, int, str, bool]]:
    return [(r.provider, r.accelerators, r.rofr, r.placed) for r in d.rows]


# -- scope ----------------------------------------------------------------------------------


def test_in_scope_and_able_the_holder_accepts_all(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet)
    assert d.rofr is not None
    assert d.rofr.can_meet == "all"
    assert verdicts(d) == [("holder", 1000, "accepted", True)]
    row = d.rows[0]
    assert row.decided_by == "rofr"
    assert row.price_usd_per_accelerator_hour == Decimal("6.0000")
    assert row.source == "request"
    assert [o.answer for o in d.rofr.offers] == ["accept"]
    res = d.reservations[0]
    assert res.provider == "holder"
    assert res.accelerators == 1000
    assert (res.term.start, res.term.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert res.holder == "lab"
    assert res.workload_classes == ["training"]


def test_out_of_scope_class_is_not_offered(make_capacity_fleet: MakeFleet) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["workload_classes"].append({"id": "serving", "name": "Serving", "kind": "training"})
        for acc in data["accelerators"]:
            acc["throughput"]["serving"] = 1.0

    d = decide(make_capacity_fleet(edit), creq(workload_classes=["serving"]))
    assert d.rofr is None
    assert {r.rofr for r in d.rows} == {"not_in_scope"}
    assert verdicts(d) == [("campus", 1000, "not_in_scope", True)]  # the cheapest
    assert d.rows[0].decided_by == "objective:cost"


def test_one_class_in_scope_brings_the_request_in(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, creq(workload_classes=["training", "research"]))
    assert d.rofr is not None
    assert verdicts(d) == [("holder", 1000, "accepted", True)]


def test_other_requester_is_not_bound(make_capacity_fleet: MakeFleet) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["parties"].append({"id": "other-lab", "name": "Other", "roles": ["ai_lab"]})

    d = decide(make_capacity_fleet(edit), creq(requester="other-lab"))
    assert d.rofr is None
    assert verdicts(d) == [("campus", 1000, "not_in_scope", True)]


def test_without_switches_the_clause_off(capacity_fleet: Scenario) -> None:
    for sel in ("rofr", "right_of_first_refusal", "deal"):
        d = decide(capacity_fleet, without=[sel])
        assert d.rofr is None
        assert d.rows[0].rofr == "not_in_scope"
        assert "rofr" in d.without


# -- the holder unable: released at once, naming the requirement -----------------------------


def test_capacity_sold_out_releases_naming_capacity(capacity_fleet: Scenario) -> None:
    book = CapacityBook(capacity_fleet)
    first = decide(capacity_fleet, creq(id="first", accelerators={"count": 1200}), book=book)
    assert verdicts(first) == [("holder", 1200, "accepted", True)]
    second = decide(capacity_fleet, creq(id="second"), book=book)
    assert second.rofr is not None
    assert second.rofr.can_meet == "none"
    assert second.rofr.unmet_requirements == ["capacity"]
    assert second.rofr.offers == []
    assert verdicts(second) == [("campus", 1000, "released_unmet", True)]
    assert "capacity" in second.rows[0].reason
    assert second.rows[0].decided_on == DAY  # at once: no wait for an answer


def test_type_the_holder_does_not_sell(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, creq(accelerators={"count": 400, "types": ["b200"]}))
    assert d.rofr is not None
    assert d.rofr.unmet_requirements == ["accelerator_type"]
    assert verdicts(d) == [("rival", 400, "released_unmet", True)]
    assert "accelerator_type" in d.explanation


def test_capacity_online_only_after_the_deadline(make_capacity_fleet: MakeFleet) -> None:
    # the holder's capacity model starts in 2026; the lab needs the capacity by the end of 2025
    def edit(data: dict[str, Any]) -> None:
        data["providers"][0]["capacity_model"][0]["start"] = "2026-01-01"

    s = make_capacity_fleet(edit)
    d = decide(s, creq(deadline="2025-12-31"), at=date(2025, 7, 1))
    assert d.rofr is not None
    assert d.rofr.unmet_requirements == ["deadline"]
    assert d.rows[0].rofr == "released_unmet"
    assert d.rows[0].provider == "campus"  # online since 2025-06-01
    assert decide(s, at=date(2025, 7, 1)).rows[0].rofr == "accepted"  # no deadline: it can


def test_clause_price_cap_per_accelerator_hour(make_capacity_fleet: MakeFleet) -> None:
    s = make_capacity_fleet(lambda d: rofr_clause(d).update(price_cap_usd_per_accelerator_hour=5))
    d = decide(s)
    assert d.rofr is not None
    assert d.rofr.unmet_requirements == ["price"]
    assert verdicts(d) == [("campus", 1000, "released_unmet", True)]


def test_clause_price_cap_per_unit_of_work(make_capacity_fleet: MakeFleet) -> None:
    # the holder sells B200 too, at $11 reserved; a B200 does twice an H100's training work
    def edit(data: dict[str, Any]) -> None:
        holder = data["providers"][0]
        holder["prices"].append(
            {
                "accelerator": "b200",
                "on_demand_usd_per_accelerator_hour": 18,
                "reserved_usd_per_accelerator_hour": 11,
            }
        )
        holder["capacity_model"].append(
            {"accelerator": "b200", "start": "2025-01-01", "accelerators": 800}
        )
        rofr_clause(data).pop("price_cap_usd_per_accelerator_hour")
        rofr_clause(data)["price_cap_usd_per_reference_hour"] = 6

    b200 = creq(accelerators={"count": 500, "types": ["b200"]})
    d = decide(make_capacity_fleet(edit), b200)
    assert d.rofr is not None
    assert d.rofr.can_meet == "all"  # $11 / 2.0 = $5.50 per H100-hour of work: within $6
    assert verdicts(d) == [("holder", 500, "accepted", True)]
    assert d.rofr.offers[0].price_usd_per_reference_hour == Decimal("5.5")

    def per_accelerator(data: dict[str, Any]) -> None:
        edit(data)
        rofr_clause(data).pop("price_cap_usd_per_reference_hour")
        rofr_clause(data)["price_cap_usd_per_accelerator_hour"] = 6

    capped = decide(make_capacity_fleet(per_accelerator), b200)
    assert capped.rofr is not None
    assert capped.rofr.unmet_requirements == ["price"]  # the same number per accelerator-hour
    assert capped.rows[0].provider == "rival"


def test_the_requests_own_cap_per_unit_of_work(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, creq(price_cap_usd_per_reference_hour=5))
    assert d.rofr is not None
    assert d.rofr.unmet_requirements == ["price"]  # $6 per H100-hour is above the lab's $5
    assert verdicts(d) == [("campus", 1000, "released_unmet", True)]
    holder = next(c for c in d.candidates if c.provider == "holder")
    assert any(r.startswith("price_cap") for r in holder.reasons)


def test_exclusivity_beats_a_released_rofr(capacity_fleet: Scenario) -> None:
    # inference is exclusive to the rival: the whole request may go only there, so the holder
    # cannot meet it, and the released request skips the cheaper campus
    both = creq(
        workload_classes=["training", "inference"], accelerators={"count": 1000, "types": ["h100"]}
    )
    d = decide(capacity_fleet, both)
    assert d.rofr is not None
    assert d.rofr.unmet_requirements[0] == "exclusivity"
    assert d.exclusivity == ["excl"]
    assert d.exclusive_to == ["rival"]
    assert verdicts(d) == [("rival", 1000, "released_unmet", True)]
    assert d.rows[0].decided_by == "excl"
    campus = next(c for c in d.candidates if c.provider == "campus")
    assert any(r.startswith("exclusivity") for r in campus.reasons)


def test_classes_exclusive_to_different_providers_are_refused(
    make_capacity_fleet: MakeFleet,
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["contracts"][0]["clauses"].append(
            {
                "id": "research-on-campus",
                "kind": "exclusivity",
                "party": "lab",
                "workload_classes": ["research"],
                "provider": "campus",
                "effective": {"start": "2025-01-01"},
            }
        )

    d = decide(make_capacity_fleet(edit), creq(workload_classes=["inference", "research"]))
    assert not d.placed
    assert len(d.rows) == 1
    assert d.rows[0].reason.startswith("exclusivity: the request's classes straddle")
    assert d.rows[0].decided_by == "excl"
    assert d.reservations == []


# -- the holder able: partial offers and the answers -----------------------------------------


def test_partial_offer_and_released_remainder(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, creq(accelerators={"count": 2000}))
    assert d.rofr is not None
    assert d.rofr.can_meet == "part"
    assert d.rofr.unmet_requirements == ["capacity"]
    assert [(o.provider, o.accelerators) for o in d.rofr.offers] == [("holder", 1200)]
    assert verdicts(d) == [
        ("holder", 1200, "accepted", True),
        ("campus", 800, "released_unmet", True),
    ]
    assert "can meet 1,200 accelerators of 2,000" in d.rows[1].reason
    assert sum(r.accelerators for r in d.reservations) == 2000


def test_decline_releases_the_offered_part(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, creq(accelerators={"count": 2000}), "decline-always")
    assert d.rofr is not None
    assert [o.answer for o in d.rofr.offers] == ["decline"]
    # the remainder (released at once) and the declined part both go to the campus
    assert verdicts(d) == [
        ("campus", 800, "released_unmet", True),
        ("campus", 1200, "declined", True),
    ]
    assert all(r.decided_on == DAY for r in d.rows)  # declined at once
    holder = next(c for c in d.candidates if c.provider == "holder")
    assert any(r.startswith("rofr_declined") for r in holder.reasons)


def test_no_answer_expires_and_releases_after_the_window(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, creq(term=None, term_years=1), "no-answer")
    assert d.rofr is not None
    offer = d.rofr.offers[0]
    assert offer.answer == "none"
    assert offer.expired
    assert offer.answered_on is None
    (row,) = d.rows
    assert (row.provider, row.rofr) == ("campus", "expired")
    assert row.decided_on == DAY + timedelta(days=1)  # the 24 h window
    assert row.term_start == DAY + timedelta(days=1)  # its term starts on the release


def test_late_answer_counts_as_no_answer(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, responder="accept-after:30")
    assert d.rofr is not None
    assert d.rofr.offers[0].expired
    assert verdicts(d) == [("campus", 1000, "expired", True)]


def test_answer_within_the_window(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, responder="accept-after:5")
    assert d.rofr is not None
    assert d.rofr.offers[0].answer == "accept"
    assert verdicts(d) == [("holder", 1000, "accepted", True)]


def test_capacity_limited_declines_above_an_unlisted_cap(make_capacity_fleet: MakeFleet) -> None:
    # the clause lists only capacity: a price above its cap does not release the request; the
    # holder is offered it, and the default responder declines an offer above the cap
    def edit(data: dict[str, Any]) -> None:
        rofr_clause(data).update(requirements=["capacity"], price_cap_usd_per_accelerator_hour=5)

    s = make_capacity_fleet(edit)
    d = decide(s)
    assert d.rofr is not None
    assert d.rofr.can_meet == "all"
    assert [o.answer for o in d.rofr.offers] == ["decline"]
    assert verdicts(d) == [("campus", 1000, "declined", True)]
    eager = decide(s, responder="accept-when-able")
    assert verdicts(eager) == [("holder", 1000, "accepted", True)]


def test_capacity_limited_accepts_within_the_cap(capacity_fleet: Scenario) -> None:
    assert decide(capacity_fleet, responder="capacity-limited").rows[0].rofr == "accepted"
    assert decide(capacity_fleet, responder="decline-above-price:5").rows[0].rofr == "declined"
    assert decide(capacity_fleet, responder="decline-above-price:6").rows[0].rofr == "accepted"


def test_accept_with_probability_is_seeded(capacity_fleet: Scenario) -> None:
    answers = {
        decide(capacity_fleet, creq(id=f"c{i}"), "accept-with-probability:0.5").rows[0].rofr
        for i in range(12)
    }
    assert answers == {"accepted", "declined"}
    again = [
        decide(capacity_fleet, creq(id=f"c{i}"), "accept-with-probability:0.5").rows[0].rofr
        for i in range(12)
    ]
    assert again == [
        decide(capacity_fleet, creq(id=f"c{i}"), "accept-with-probability:0.5").rows[0].rofr
        for i in range(12)
    ]


# -- when the clause is in force --------------------------------------------------------------


def test_not_yet_in_force(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, at=date(2024, 12, 31))
    assert d.rofr is None
    assert d.rows[0].rofr == "not_in_scope"


def test_ended_after_its_end_date(capacity_fleet: Scenario) -> None:
    assert decide(capacity_fleet, creq(term=None, term_years=1), at=date(2027, 12, 31)).rofr
    d = decide(capacity_fleet, creq(term=None, term_years=1), at=date(2028, 1, 1))
    assert d.rofr is None
    assert d.rows[0].rofr == "not_in_scope"


def test_ended_by_amendment_before_the_request(make_capacity_fleet: MakeFleet) -> None:
    def edit(data: dict[str, Any]) -> None:
        rofr_clause(data)["amendments"] = [
            {"id": "end-rofr", "action": "terminate", "effective": {"start": "2025-10-28"}}
        ]

    s = make_capacity_fleet(edit)
    assert decide(s, at=date(2025, 10, 27)).rows[0].rofr == "accepted"
    d = decide(s, at=date(2025, 10, 28))
    assert d.rofr is None
    assert verdicts(d) == [("campus", 1000, "not_in_scope", True)]


def test_amended_cap_before_the_request(make_capacity_fleet: MakeFleet) -> None:
    def edit(data: dict[str, Any]) -> None:
        rofr_clause(data)["amendments"] = [
            {
                "id": "lower-cap",
                "action": "modify",
                "effective": {"start": "2025-09-01", "end": "2025-12-31"},
                "changes": {"price_cap_usd_per_accelerator_hour": 5},
            }
        ]

    s = make_capacity_fleet(edit)
    assert decide(s, at=date(2025, 8, 1)).rows[0].rofr == "accepted"
    during = decide(s, at=date(2025, 10, 1))
    assert during.rofr is not None
    assert during.rofr.unmet_requirements == ["price"]
    assert decide(s, at=date(2026, 1, 1)).rows[0].rofr == "accepted"


# -- capacity consumed in order ---------------------------------------------------------------


def test_capacity_is_consumed_in_order(capacity_fleet: Scenario) -> None:
    book = CapacityBook(capacity_fleet)
    a = decide(capacity_fleet, creq(id="a", accelerators={"count": 800}), book=book)
    b = decide(capacity_fleet, creq(id="b", accelerators={"count": 800}), book=book)
    assert verdicts(a) == [("holder", 800, "accepted", True)]
    # 400 left in the holder's 2026 flow: offered; the rest released
    assert verdicts(b) == [
        ("holder", 400, "accepted", True),
        ("campus", 400, "released_unmet", True),
    ]
    assert book.offerable("holder", "h100", a.reservations[0].term) == 0
    # next year's flow is new: what was not sold does not carry over, and sold is not back
    next_year = decide(
        capacity_fleet,
        creq(id="c", term={"start": "2027-01-01", "end": "2027-12-31"}),
        book=book,
    )
    assert verdicts(next_year) == [("holder", 1000, "accepted", True)]


def test_pools_are_consumed_for_overlapping_terms(capacity_fleet: Scenario) -> None:
    book = CapacityBook(capacity_fleet)
    b200 = {"count": 400, "types": ["b200"]}
    first = decide(capacity_fleet, creq(id="a", accelerators=b200), book=book)
    assert verdicts(first) == [("rival", 400, "released_unmet", True)]
    second = decide(capacity_fleet, creq(id="b", accelerators=b200), book=book)
    assert verdicts(second) == [
        ("rival", 100, "released_unmet", True),
        (None, 300, "released_unmet", False),
    ]
    assert second.rows[1].reason.endswith("no provider can offer the rest")
    assert second.rows[1].decided_by == "infeasible"
    # a term that does not overlap finds the pool free again
    later = decide(
        capacity_fleet,
        creq(id="c", accelerators=b200, term={"start": "2027-01-01", "end": "2027-06-30"}),
        book=book,
    )
    assert verdicts(later) == [("rival", 400, "released_unmet", True)]


def test_broker_keeps_its_own_book(capacity_fleet: Scenario) -> None:
    broker = Broker(capacity_fleet)
    a = broker.decide_capacity(creq(id="a", accelerators={"count": 1200}), DAY)
    b = broker.decide_capacity(creq(id="b"), DAY)
    assert a.rows[0].rofr == "accepted"
    assert b.rows[0].rofr == "released_unmet"
    assert broker.book.reservations[-1].id == "b-1"
    fresh = CapacityBook(capacity_fleet)
    assert broker.decide_capacity(creq(id="b"), DAY, book=fresh).rows[0].rofr == "accepted"


# -- amounts in the request's measure ---------------------------------------------------------


def test_reference_units_count_work(capacity_fleet: Scenario) -> None:
    # 1,000 reference accelerators of B200 (training throughput 2.0) are 500 B200
    d = decide(
        capacity_fleet, creq(accelerators={"count": 1000, "types": ["b200"], "unit": "reference"})
    )
    assert [(r.accelerators, r.reference_accelerators) for r in d.rows] == [(500, 1000.0)]


def test_power_is_filled_with_whole_accelerators(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, creq(accelerators=None, power_mw=1.0))
    # the holder's site has the default PUE 1.3: 700 W × 1.4 × 1.3 = 1.274 kW per H100, so
    # 784 fit in 1 MW with 1.2 kW left, where one campus H100 (PUE 1.2: 1.176 kW) still fits
    assert verdicts(d) == [("holder", 784, "accepted", True), ("campus", 1, "released_unmet", True)]
    assert d.rows[0].power_mw == pytest.approx(784 * 0.0012740)
    assert sum(r.power_mw for r in d.rows) <= 1.0
    assert all(r.placed for r in d.rows)  # less than one accelerator's power is not unmet


def test_a_term_past_the_decision_day_is_not_placed(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, at=date(2027, 2, 1))
    assert not d.placed
    assert "the term ended" in d.rows[0].reason


def test_a_term_that_has_started_starts_on_the_decision_day(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, at=date(2026, 3, 1))
    assert d.reservations[0].term.start == date(2026, 3, 1)


def test_the_decision_explains_itself(capacity_fleet: Scenario) -> None:
    d = decide(capacity_fleet, creq(accelerators={"count": 2000}))
    text = d.explanation
    assert "Capacity request c1" in text
    assert "right of first refusal" in text
    assert "offered to cloudco" in text
    assert "released to the other providers at once" in text
    data = d.to_dict()
    assert data["kind"] == "capacity"
    assert [r["rofr"] for r in data["rows"]] == ["accepted", "released_unmet"]
    chosen = [c for c in data["candidates"] if c["chosen"]]
    assert {c["provider"] for c in chosen} == {"holder", "campus"}
    assert data["rofr"]["can_meet"] == "part"
    assert data["committed_usd"] == str(d.cost_usd)
