"""Properties of the procurement replay over random small worlds (tests/sim/factory.py):

* no reservation exceeds what its provider could offer — checked here from the scenario, apart
  from the broker's book: a capacity model's flow per calendar period, or a provider's pools
  less what the lab held there for the same days;
* the lab never holds less than its demand while capacity was offered anywhere: a period and
  class short is in ``unmet_demand``, with the shortfall the scenario's own numbers give, and
  where it is short by a reference accelerator or more, the top-up for that period has a part
  nobody took;
* the replay is the same for the same inputs;
* with the ROFR's response window at (nearly) 0, switching the ROFR off never costs more (committed
  spend over the horizon).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.domain.capacity import period_of
from stargate.domain.model import Scenario
from stargate.sim.held import committed_by_year
from stargate.sim.procure import MIN_TOP_UP, Procurement, replay
from tests.sim.factory import exclusive_serve, rofr, world

FIRST, LAST = date(2025, 1, 1), date(2026, 12, 31)
DAYS = ["2025-01-01", "2025-04-01", "2025-07-01", "2026-01-01"]
#: A response window as near 0 as a clause can have (it must be positive): 3.6 seconds.
WINDOW_H = 0.001


@st.composite
def worlds(draw: st.DrawFn) -> Scenario:
    train = {y: float(draw(st.integers(0, 400))) for y in (2025, 2026)}
    serve = {y: float(draw(st.integers(0, 150))) for y in (2025, 2026)}
    model = None
    cloud_pool = 0
    if draw(st.booleans()):
        model = [
            {"accelerator": acc, "start": "2025-01-01", "accelerators": draw(st.integers(1, 300)),
             "per": draw(st.sampled_from(["month", "quarter", "year"]))}
            for acc in draw(st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=2,
                                     unique=True))
        ]  # fmt: skip
    else:
        cloud_pool = draw(st.integers(0, 500))
    own = [
        {"id": f"own-{i}", "accelerator": draw(st.sampled_from(["a", "b"])),
         "count": draw(st.integers(1, 200)), "available_from": draw(st.sampled_from(DAYS)),
         "status": draw(st.sampled_from(["operational", "committed", "planned"]))}
        for i in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    reservations = []
    if draw(st.booleans()):
        provider = draw(st.sampled_from(["cloud", "other"]))
        reservations.append(
            {"id": "start", "holder": "lab", "provider": provider,
             "site": "cloud-east" if provider == "cloud" else "other-west", "accelerator": "a",
             "accelerators": draw(st.integers(1, 200)),
             "term": {"start": "2024-01-01",
                      "end": draw(st.sampled_from(["2025-03-31", "2025-12-31"]))},
             "source": "test"}
        )  # fmt: skip
    clauses: list[dict[str, Any]] = []
    if draw(st.booleans()):
        clauses.append(exclusive_serve())
    if draw(st.booleans()):
        clauses.append(rofr(window_h=WINDOW_H))
    return world(
        train=train,
        serve=serve,
        cloud_model=model,
        cloud_pool=cloud_pool,
        other_pool=draw(st.integers(0, 500)),
        own_pools=own,
        reservations=reservations,
        clauses=clauses,
        horizon=(FIRST.isoformat(), LAST.isoformat()),
    )


def _replay(sc: Scenario, without: frozenset[str] = frozenset()) -> Procurement:
    return replay(sc, FIRST, LAST, without=without)


@settings(max_examples=80)
@given(worlds())
def test_no_reservation_exceeds_what_its_provider_could_offer(sc: Scenario) -> None:
    proc = _replay(sc)
    starting = list(sc.reservations)
    placed = [r for r in proc.rows if r.placed]
    sold: dict[tuple[str, str, date], int] = {}
    earlier: list[tuple[str, str, date, date, int]] = [
        (r.provider, r.accelerator, r.term.start, r.term.end, r.accelerators) for r in starting
    ]
    for r in placed:
        assert r.provider is not None
        assert r.accelerator is not None
        provider = sc.provider(r.provider)
        rows = [m for m in provider.capacity_model if m.accelerator == r.accelerator]
        if provider.capacity_model:
            assert len(rows) == 1, "the worlds have one row per type"
            (m,) = rows
            start = period_of(r.term_start, m.per)[0]
            key = (r.provider, r.accelerator, start)
            sold[key] = sold.get(key, 0) + r.accelerators
            # a row from 2025-01-01 with no end offers its whole flow in every period
            assert sold[key] <= m.accelerators, (key, sold[key], m.accelerators)
        else:
            stock = sum(
                p.count
                for s in sc.sites
                if s.provider == r.provider
                for p in s.pools
                if p.accelerator == r.accelerator
                and p.status != "planned"
                and p.available_from <= r.term_start
            )
            held = sum(
                n
                for prov, acc, a, b, n in earlier
                if prov == r.provider and acc == r.accelerator and a <= r.term_end
                and r.term_start <= b
            )  # fmt: skip
            assert held + r.accelerators <= stock, (r, held, stock)
        earlier.append((r.provider, r.accelerator, r.term_start, r.term_end, r.accelerators))


def _reference_held(proc: Procurement, day: date) -> dict[str, float]:
    out: dict[str, float] = {}
    for h in proc.held:
        if h.on(day):
            out[h.provider] = (
                out.get(h.provider, 0.0) + h.accelerators * h.reference_per_accelerator
            )
    return out


@settings(max_examples=80)
@given(worlds())
def test_the_lab_is_short_only_where_nobody_offered_and_says_so(sc: Scenario) -> None:
    proc = _replay(sc)
    exclusive = bool(sc.contracts) and any(c.id == "serve-on-other" for _, c in sc.clauses())
    index = {p: k for k, p in enumerate(proc.periods)}
    unmet: dict[tuple[date, str], float] = {}
    for u in proc.unmet:
        unmet[(u.period_start, u.workload_class)] = u.unmet_reference_accelerators
    for a, b in proc.periods:
        j = index[(a, b)]
        d_train = proc.demand.get("train", [0.0] * len(proc.periods))[j]
        d_serve = proc.demand.get("serve", [0.0] * len(proc.periods))[j]
        held = _reference_held(proc, a)
        # the scenario's own numbers: serve first at 'other' when it is bound there
        if exclusive:
            serve_got = min(d_serve, held.get("other", 0.0))
            rest = sum(held.values()) - serve_got
            short = {"serve": d_serve - serve_got, "train": max(0.0, d_train - rest)}
        else:
            total = d_train + d_serve
            missing = max(0.0, total - sum(held.values()))
            short = {
                c: missing * d / total if total else 0.0
                for c, d in (("train", d_train), ("serve", d_serve))
            }
        for c, miss in short.items():
            got = unmet.get((a, c), 0.0)
            assert abs(got - miss) < 1e-2, (a, c, got, miss)
        # Short by a reference accelerator or more (for each request that might have been too
        # small to place): the top-ups for that period found nobody to take part of them.
        # Classes bound by nothing share what the lab holds, so they are short together.
        tops = [rid for rid, t in proc.targets.items() if t == j]
        pools = [["serve"], ["train"]] if exclusive else [["train", "serve"]]
        for classes in pools:
            miss = sum(short[c] for c in classes)
            if miss < len(classes) * MIN_TOP_UP + 1e-6:
                continue
            assert any(
                not r.placed
                for r in proc.rows
                if r.request_id in tops
                and set(classes) & set(proc.requests[r.request_id].workload_classes)
            ), (a, classes, miss, tops)


@settings(max_examples=40)
@given(worlds())
def test_the_replay_is_the_same_for_the_same_inputs(sc: Scenario) -> None:
    a, b = _replay(sc), _replay(sc)
    assert [r.to_dict() for r in a.rows] == [r.to_dict() for r in b.rows]
    assert a.capacity_held == b.capacity_held
    assert a.unmet == b.unmet


def _committed(proc: Procurement) -> Decimal:
    return sum(committed_by_year(proc.held, FIRST, LAST).values(), Decimal(0))


@settings(max_examples=60)
@given(worlds())
def test_without_the_rofr_procurement_never_costs_more_with_a_zero_window(sc: Scenario) -> None:
    rofr_ids = frozenset(c.id for _, c in sc.clauses() if c.kind == "right_of_first_refusal")
    with_rofr = _committed(_replay(sc))
    without = _committed(_replay(sc, rofr_ids))
    assert without <= with_rofr
