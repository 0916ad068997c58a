"""The explanation of a decision (the slow path): from the engine's choice, the ranked
candidates with the reasons each other pool was rejected, the counts per reason code, the
deciding clause, and one plain paragraph that says what happened to a request and why; and
the paragraph of a capacity decision (:func:`explain_capacity`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from stargate.broker.clock import from_ts, ts
from stargate.broker.decision import (
    Candidate,
    Decision,
    ExclusivityInfo,
    RofrInfo,
    StartMove,
)
from stargate.broker.fleet import BArray, IArray
from stargate.broker.money import price_usd
from stargate.broker.request import Request

if TYPE_CHECKING:
    from stargate.broker.capacity import CapacityDecision
    from stargate.broker.engine import Broker, Choice, _Eval

_REASON_WORDS = {
    "accelerator_type": "wrong accelerator type",
    "exclusivity": "excluded by exclusivity",
    "not_online": "not yet online",
    "outage": "in an outage",
    "capacity": "not enough free capacity",
    "deadline": "would miss the deadline",
    "price_cap": "above the price cap",
}


def _money(value: object) -> str:
    return f"${float(str(value)):,.2f}"


def explain(d: Decision, r: Request, ev_reasons: dict[str, int] | None = None) -> str:
    types = "any type" if r.accelerators.types == "any" else "/".join(r.accelerators.types)
    if r.duration_h is not None:
        what = f"{r.accelerators.count:,} × {types} for {r.duration_h:g} h (reference time)"
    else:
        assert r.period is not None
        what = (
            f"{r.accelerators.count:,} reference accelerators ({types}) from "
            f"{r.period.start.isoformat()} to {r.period.end.isoformat()}"
        )
    parts = [
        f"Request {r.id}: {r.requester} asks for {what} of {r.workload_class} at "
        f"{d.at.isoformat()}."
    ]
    if d.without:
        parts.append(f"Switched off for this decision: {', '.join(d.without)}.")
    ex = d.exclusivity
    if ex.applies:
        parts.append(
            f"Clause {ex.clause} makes {r.workload_class} exclusive to {ex.provider}, "
            "so no other provider may host it."
        )
    ro = d.rofr
    if ro.applies:
        head = (
            f"Clause {ro.clause} gives {ro.holder} the right of first refusal on {r.workload_class}"
        )
        if not ro.holder_can_meet:
            unmet = ", ".join(ro.unmet_requirements) or "unknown"
            parts.append(
                f"{head}, but {ro.holder} cannot meet the requirements (unmet: "
                f"{unmet}), so the request was released to the other providers at "
                "once."
            )
        elif ro.answer == "accept":
            when = ro.answered_at.isoformat() if ro.answered_at else "at once"
            parts.append(
                f"{head}; {ro.holder} could meet the requirements, so the request was "
                f"offered to it first, and it accepted ({when})."
            )
        elif ro.answer == "decline":
            when = ro.answered_at.isoformat() if ro.answered_at else ""
            parts.append(
                f"{head}; {ro.holder} could meet the requirements and was offered the "
                f"request, but declined ({when}), which released it to the others "
                "from then on."
            )
        else:
            parts.append(
                f"{head}; {ro.holder} could meet the requirements and was offered the "
                f"request, but did not answer within the {ro.response_window_h:g} h "
                "window, so the offer expired and the request was released from then "
                "on."
            )
    if d.start_moved is not None:
        mv = d.start_moved
        parts.append(
            f"Nothing that fits was available at {mv.requested.isoformat()} "
            f"({mv.reason.partition(': ')[2]}), so the start moved to {mv.chosen.isoformat()}; "
            "the clauses are those in force on the decision day."
        )
    if d.placed:
        obj = {"cost": "cheapest", "time": "earliest to finish"}.get(
            d.objective, f"best under {d.objective}"
        )
        pick = (
            f"{d.pool} at {d.site} ({d.provider}): {d.count:,} × {d.accelerator} from "
            f"{d.start.isoformat() if d.start else '?'} to "
            f"{d.finish.isoformat() if d.finish else '?'} for {_money(d.cost_usd)}"
        )
        among = (
            f"Of {d.candidates_feasible} eligible candidate(s) out of "
            f"{d.candidates_considered}, the {obj} is {pick}"
        )
        runner = next((c for c in d.candidates if c.rank == 2), None)
        if runner is not None and runner.cost_usd is not None:
            among += f" (next: {runner.pool} at {_money(runner.cost_usd)})"
        parts.append(among + ".")
        parts.append(f"Decided by: {d.decided_by}.")
    else:
        counts = ev_reasons or {}
        top = sorted(((n, k) for k, n in counts.items() if n), reverse=True)[:3]
        why = "; ".join(f"{_REASON_WORDS.get(k, k)} ({n})" for n, k in top)
        late = f" Waiting does not help: {d.too_late}." if d.too_late else ""
        parts.append(
            f"Not placed: none of the {d.candidates_considered} candidate pools can "
            f"host it" + (f" — {why}" if why else "") + f".{late} Decided by: {d.decided_by}."
        )
    return " ".join(parts)


def explain_choice(broker: Broker, choice: Choice, free_before: IArray | None = None) -> Decision:
    """The full Decision for a broker's choice: ranked candidates with reasons, the deciding
    clause, the paragraph (:func:`explain`) and the provenance. ``free_before`` is the free
    capacity before the choice was committed (default: the broker's now)."""

    idx = broker.index
    r = choice.request
    ev = choice.ev
    free = broker.free if free_before is None else free_before
    if broker.detail == "chosen":  # a batch's summary: no candidate table, no ranking
        feasible_n = int(np.count_nonzero(choice.eligible))
        ranked = [choice.pool] if choice.pool is not None else []
        rank_of = {p: 1 for p in ranked}
    else:
        ranked = broker._rank(ev, choice.eligible)
        rank_of = {p: k + 1 for k, p in enumerate(ranked)}
        feasible_n = len(rank_of)
    if broker.detail == "chosen":
        rest: list[int] = []
    elif broker.detail == "full":
        rest = [i for i in range(idx.size) if i not in rank_of]
    else:
        rest = []
        if len(ranked) < 10:
            for i in range(idx.size):
                if i not in rank_of:
                    rest.append(i)
                    if len(ranked) + len(rest) >= 10:
                        break
        ranked = ranked[:10]
    type_ok = idx.type_mask(r.types_allowed())
    thr_ok = idx.class_arrays(r.workload_class).thr_ok
    candidates = []
    for i in ranked + rest:
        feasible = i in rank_of
        reasons = [] if feasible else _reasons(broker, i, choice, free, type_ok, thr_ok)
        candidates.append(
            _candidate(broker, i, ev, r, rank_of.get(i), i == choice.pool, feasible, reasons)
        )
    ch = candidates[0] if choice.pool is not None else None
    excl = choice.excl
    # in a batch's summary ("chosen") the values are the engine's own, already typed:
    # built without re-validation (the same objects, several times faster)
    make = Decision.model_construct if broker.detail == "chosen" else Decision
    decision = make(
        request_id=r.id,
        placed=ch is not None,
        provider=ch.provider if ch else None,
        site=ch.site if ch else None,
        pool=ch.pool if ch else None,
        accelerator=ch.accelerator if ch else None,
        count=ch.count if ch else None,
        start=ch.start if ch else None,
        finish=ch.finish if ch else None,
        cost_usd=ch.cost_usd if ch else None,
        energy_mwh=ch.energy_mwh if ch else None,
        objective=broker.objective.label,
        decided_by=choice.decided_by,
        rofr=choice.rofr.info(trusted=broker.detail == "chosen")
        if choice.rofr is not None
        else RofrInfo(),
        exclusivity=ExclusivityInfo(applies=True, clause=excl.id, provider=excl.provider)
        if excl is not None
        else ExclusivityInfo(),
        candidates=candidates,
        candidates_considered=idx.size,
        candidates_feasible=feasible_n,
        at=choice.at,
        without=list(broker.without_names),
        explanation="",
        provenance=broker.provenance,
    )
    counts = _reason_counts(choice, free, type_ok, thr_ok)
    decision.rejected_by_reason = {k: n for k, n in counts.items() if n}
    if choice.moved:
        decision.start_moved = StartMove(
            requested=from_ts(choice.requested_start_s),
            chosen=from_ts(choice.ev.start_s),
            reason=choice.moved,
        )
    if ch is None:
        top = sorted(((n, k) for k, n in counts.items() if n), reverse=True)
        decision.reason_code = (
            "deadline" if choice.too_late else (top[0][1] if top else "infeasible")
        )
        decision.too_late = choice.too_late or None
    decision.explanation = explain(decision, r, counts)
    return decision


def _reasons(
    broker: Broker, i: int, choice: Choice, free: IArray, type_ok: BArray, thr_ok: BArray
) -> list[str]:
    idx = broker.index
    ev = choice.ev
    r = choice.request
    excl = choice.excl
    out: list[str] = []
    acc = idx.acc_ids[int(idx.acc_idx[i])]
    if not type_ok[i]:
        out.append(
            f"accelerator_type: {acc} is not among the requested types "
            f"{', '.join(r.types_allowed() or [])}"
        )
    elif not thr_ok[i]:
        out.append(f"accelerator_type: {acc} cannot run {r.workload_class} (throughput 0)")
    if ev.excl_ok is not None and not ev.excl_ok[i] and excl is not None:
        out.append(f"exclusivity: {r.workload_class} is exclusive to {excl.provider} ({excl.id})")
    if not ev.online[i]:
        online = from_ts(float(idx.online_ts[i]))
        late = ""
        if r.deadline is not None and ts(online) + float(ev.duration_h[i]) * 3600.0 > ts(
            r.deadline
        ):
            late = f", too late to finish by the deadline {r.deadline.isoformat()}"
        elif r.period is not None and online >= r.period.end:
            late = f", after the period ends ({r.period.end.isoformat()})"
        out.append(f"not_online: online from {online.date()}{late}")
    elif ev.outage is not None and ev.outage[i]:
        out.append("outage: in a scripted outage at the start")
    if not idx.has_price[i]:
        out.append(f"no_price: {idx.provider_ids[int(idx.prov_idx[i])]} has no price for {acc}")
    if type_ok[i] and thr_ok[i]:
        if int(free[i]) < int(ev.needed[i]):
            out.append(f"capacity: {int(free[i]):,} free, {int(ev.needed[i]):,} needed")
        if ev.deadline_ok is not None and not ev.deadline_ok[i]:
            if r.deadline is not None:
                out.append(
                    f"deadline: would finish {from_ts(float(ev.finish_s[i]))} after {r.deadline}"
                )
            else:
                out.append("deadline: the inference period is over")
        if idx.has_price[i] and ev.price_ok is not None and not ev.price_ok[i]:
            out.append(_price_cap_reason(broker, i, ev, r))
    if choice.holder_mask is not None and choice.holder_mask[i] != (choice.holder_mode == "first"):
        out.append(
            "rofr_holder_first: the ROFR holder accepted the request"
            if choice.holder_mode == "first"
            else "rofr_declined: the ROFR holder declined or let the offer expire"
        )
    if not out:
        out.append(
            "rofr: the holder accepted, and this pool does not meet the clause's requirements"
        )
    return out


def _price_cap_reason(broker: Broker, i: int, ev: _Eval, r: Request) -> str:
    """Why a pool is above the request's caps: per accelerator-hour, or per unit of work."""
    price = float(ev.prices.price[i])
    cap = r.max_price_usd_per_accelerator_hour
    if cap is not None and price > float(cap) + 1e-9:
        return f"price_cap: ${price:.2f}/accelerator-hour is above the request's ${cap}"
    thr = float(broker.index.thr(r.workload_class)[i])
    unit = f"${price / thr:.2f}" if thr > 0 else "no throughput"
    return (
        f"price_cap: {unit} per reference-accelerator-hour of work (${price:.2f} ÷ {thr:g}) is "
        f"above the request's ${r.price_cap_usd_per_reference_hour}"
    )


def _candidate(
    broker: Broker,
    i: int,
    ev: _Eval,
    r: Request,
    rank: int | None,
    chosen: bool,
    feasible: bool,
    reasons: list[str],
) -> Candidate:
    idx = broker.index
    finite = bool(np.isfinite(ev.finish_s[i]))
    price = ev.prices.price_dec[i]
    return Candidate(
        rank=rank,
        chosen=chosen,
        provider=idx.provider_ids[int(idx.prov_idx[i])],
        site=idx.site_ids[i],
        pool=idx.pool_ids[i],
        accelerator=idx.acc_ids[int(idx.acc_idx[i])],
        count=int(ev.needed[i]) if finite else r.accelerators.count,
        feasible=feasible,
        reasons=reasons,
        start=from_ts(ev.start_s) if finite else None,
        finish=from_ts(float(ev.finish_s[i])) if finite else None,
        cost_usd=broker._cost(i, ev) if finite and price is not None else None,
        price_usd_per_accelerator_hour=price_usd(price) if price is not None else None,
        energy_mwh=round(float(idx.energy_mw[i] * ev.needed[i] * ev.duration_h[i]), 6)
        if finite
        else None,
    )


def _reason_counts(choice: Choice, free: IArray, type_ok: BArray, thr_ok: BArray) -> dict[str, int]:
    ev = choice.ev

    def n_false(mask: BArray | None) -> int:
        return 0 if mask is None else int((~mask).sum())

    return {
        "accelerator_type": n_false(type_ok & thr_ok),
        "exclusivity": n_false(ev.excl_ok),
        "not_online": n_false(ev.online),
        "outage": 0 if ev.outage is None else int(ev.outage.sum()),
        "capacity": int((free < ev.needed).sum()),
        "deadline": n_false(ev.deadline_ok),
        "price_cap": n_false(ev.price_ok),
    }


# --------------------------------------------------------------------------- capacity requests


def _usd_price(value: object) -> str:
    return f"${float(str(value)):,.2f}"


def _capacity_ask(d: CapacityDecision, measure: str) -> str:
    req = d.request
    ask = req.accelerators
    types = "any type" if ask is None or ask.types == "any" else "/".join(ask.types)
    if measure == "power":
        return f"{req.power_mw:,g} MW of facility power ({types})"
    assert ask is not None
    unit = "reference accelerators" if measure == "reference" else "accelerators"
    return f"{ask.count:,} {unit} ({types})"


def explain_capacity(d: CapacityDecision, measure: str) -> str:
    """One plain paragraph for a capacity decision: what was asked, what exclusivity and the
    ROFR did (offered, answered, released), where each part went, what stayed unplaced, and
    what the reservations commit."""
    req = d.request
    term = d.term or req.term_from(d.at)
    parts = [
        f"Capacity request {req.id}: {req.requester} asks for {_capacity_ask(d, measure)} to "
        f"serve {', '.join(req.workload_classes)} from {term.start.isoformat()} to "
        f"{term.end.isoformat()}, decided on {d.at.isoformat()}."
    ]
    if d.without:
        parts.append(f"Switched off for this decision: {', '.join(d.without)}.")
    if d.exclusivity and d.exclusive_to:
        parts.append(
            f"Exclusivity ({', '.join(d.exclusivity)}) allows only "
            f"{', '.join(d.exclusive_to)} to host it."
        )
    ro = d.rofr
    if ro is not None:
        head = f"Clause {ro.clause} gives {ro.holder} the right of first refusal on it"
        if ro.can_meet == "none":
            parts.append(
                f"{head}, but {ro.holder} cannot meet any of it (unmet: "
                f"{', '.join(ro.unmet_requirements) or 'unknown'}), so it was released to the "
                "other providers at once."
            )
        else:
            offers = []
            for o in ro.offers:
                unit = (
                    ""
                    if o.price_usd_per_reference_hour is None
                    else f", {_usd_price(o.price_usd_per_reference_hour)} per reference-hour"
                )
                if o.answer == "accept":
                    said = "accepted" + (
                        f" on {o.answered_on.isoformat()}"
                        if o.answered_on is not None and o.answered_on != d.at
                        else ""
                    )
                elif o.expired:
                    said = f"no answer within {ro.response_window_h:g} h: expired and released"
                else:
                    when = o.answered_on.isoformat() if o.answered_on else ""
                    said = f"declined ({when}) and released"
                offers.append(
                    f"{o.accelerators:,} × {o.accelerator} at {o.site} ({o.provider}) for "
                    f"{_usd_price(o.price_usd_per_accelerator_hour)}/accelerator-hour{unit}: {said}"
                )
            how = "all" if ro.can_meet == "all" else "part"
            parts.append(
                f"{head}; its capacity for the term can meet {how} of it, so that part was "
                f"offered to {ro.holder} first — " + "; ".join(offers) + "."
            )
            if ro.can_meet == "part":
                parts.append("The rest was released to the other providers at once (capacity).")
    placed_elsewhere = [r for r in d.rows if r.placed and r.rofr != "accepted"]
    if placed_elsewhere:
        obj = {"cost": "cheapest per unit of work", "time": "fastest type"}.get(
            d.objective, f"best under {d.objective}"
        )
        went = "; ".join(
            f"{r.accelerators:,} × {r.accelerator} at {r.site} ({r.provider}) for "
            f"{_usd_price(r.price_usd_per_accelerator_hour)}/accelerator-hour from "
            f"{r.term_start.isoformat()}" + ("" if r.rofr in ("not_in_scope",) else f" [{r.rofr}]")
            for r in placed_elsewhere
        )
        parts.append(f"The objective ({obj}) placed: {went}.")
    unplaced = [r for r in d.rows if not r.placed]
    for r in unplaced:
        amount = (
            f"{r.power_mw:,.1f} MW"
            if measure == "power"
            else f"{r.reference_accelerators:,.0f} reference accelerators"
            if measure == "reference"
            else f"{r.accelerators:,} accelerators"
        )
        parts.append(f"Not placed: {amount} — {r.reason}.")
    held = [r for r in d.rows if r.placed]
    if held:
        n = sum(r.accelerators for r in held)
        ref = sum(r.reference_accelerators for r in held)
        mw = sum(r.power_mw for r in held)
        parts.append(
            f"Reserved {n:,} accelerators ({ref:,.0f} reference accelerators of "
            f"{d.reference_class or 'the reference class'}, {mw:,.1f} MW) in {len(held)} "
            "reservation(s), "
            f"committing ${d.cost_usd:,.2f} over the term (take-or-pay)."
        )
    parts.append(f"Decided by: {d.decided_by}.")
    return " ".join(parts)
