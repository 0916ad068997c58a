"""Why a plan is infeasible: the model re-solved with penalised slack on demand, supply,
rental caps, power and budget, and every slack that had to be used said as a
:class:`~stargate.plan.result.Conflict` in plain words and plain units.
"""

from __future__ import annotations

from stargate.plan.data import PlanData
from stargate.plan.result import Conflict, PlanStatus
from stargate.plan.solver import solution, solve
from stargate.plan.units import accelerators_from_k, busd_from_musd, hours_from_mh, usd_from_musd

__all__ = ["explain_infeasible"]


def explain_infeasible(
    d: PlanData, gap: float, time_limit_s: float | None, log: list[str]
) -> list[Conflict]:
    """Re-solve with penalised slack on demand, supply, rental caps, power and budget, and
    name every slack that had to be used."""
    from stargate.plan.model import build

    m = build(d, slack=True).model
    status, _ = solve(m, gap, time_limit_s, log)
    if status not in (PlanStatus.optimal, PlanStatus.feasible):
        return [
            Conflict("unknown", "", None, 0.0, "", "infeasible even with demand, supply, "
                     "rental caps, power and budget relaxed: check phase dates and clauses")
        ]  # fmt: skip
    per = [p.label for p in d.periods]
    out: list[Conflict] = []
    tol = 1e-6
    sd = solution(m, "s_demand")
    if sd is not None:
        for c, cid in enumerate(d.classes):
            for p in range(len(per)):
                if sd[c, p] > tol:
                    frac = sd[c, p] / d.demand_mh[c, p] if d.demand_mh[c, p] > 0 else 1.0
                    why = _why_short(d, c, p)
                    short_h = hours_from_mh(float(sd[c, p]))
                    out.append(
                        Conflict("demand", cid, per[p], short_h,
                                 "reference-accelerator-hours",
                                 f"demand: {cid} in {per[p]} cannot be met: short by "
                                 f"{short_h:,.0f} reference-accelerator-hours "
                                 f"({frac:.0%} of demand){why}")
                    )  # fmt: skip
    sp = solution(m, "s_power")
    if sp is not None:
        for s, site in enumerate(d.owned):
            for p in range(len(per)):
                if sp[s, p] > tol:
                    out.append(
                        Conflict("power", site, per[p], float(sp[s, p]), "MW",
                                 f"power: site {site} in {per[p]} needs {sp[s, p]:,.1f} MW more "
                                 f"than its phases provide by then")
                    )  # fmt: skip
    for mid, by, cap_musd in d.milestones:
        sb = solution(m, f"s_budget_{mid}")
        if sb is not None and float(sb.sum()) > tol:
            short_usd = usd_from_musd(float(sb.sum()))
            out.append(
                Conflict("budget", mid, None, short_usd, "USD",
                         f"budget: milestone {mid} (cumulative capex by {by.isoformat()}, "
                         f"${busd_from_musd(cap_musd):,.1f}B) is short by ${short_usd:,.0f}")
            )  # fmt: skip
    ss = solution(m, "s_supply")
    if ss is not None:
        for t, tid in enumerate(d.types):
            for p in range(len(per)):
                if ss[t, p] > tol:
                    short_n = accelerators_from_k(float(ss[t, p]))
                    cap_n = accelerators_from_k(float(d.supply_k[t, p]))
                    out.append(
                        Conflict("supply", tid, per[p], short_n, "accelerators",
                                 f"supply: {tid} in {per[p]} needs {short_n:,.0f} "
                                 f"accelerators more than the supply cap ({cap_n:,.0f})")
                    )  # fmt: skip
    sc = solution(m, "s_rental_cap")
    if sc is not None:
        for k, site in enumerate(d.clouds):
            for t, tid in enumerate(d.types):
                for p in range(len(per)):
                    if sc[k, t, p] > tol:
                        short_h = hours_from_mh(float(sc[k, t, p]))
                        out.append(
                            Conflict("rental_cap", site, per[p], short_h,
                                     "accelerator-hours",
                                     f"rental capacity: cloud site {site} lists too few {tid} "
                                     f"for {per[p]}: short by {short_h:,.0f} "
                                     "accelerator-hours")
                        )  # fmt: skip
    return out


def _why_short(d: PlanData, c: int, p: int) -> str:
    """A reason a class's demand cannot be met at all in a period, when there is a plain one."""
    runs = d.throughput[:, c] > 0
    if not (runs & d.type_usable[:, p]).any():
        names = [t for t, ok in zip(d.types, runs, strict=True) if ok]
        return (
            f"; no accelerator that can run it ({', '.join(names) or 'none'}) is available "
            f"by {d.periods[p].end.isoformat()}"
        )
    for (cid, q), clause in d.exclusivity_by.items():
        if q == p and cid == d.classes[c]:
            return f"; exclusivity clause {clause} limits it to one provider"
    return ""
