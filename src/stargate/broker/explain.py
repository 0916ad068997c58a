"""One plain paragraph that says what happened to a request and why."""

from __future__ import annotations

from stargate.broker.decision import Decision
from stargate.broker.request import Request

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
