"""Committed spend in the plan: take-or-pay minimum purchases from a seller (issue #12, 4).

A ``committed_spend`` clause in force obliges the lab to buy ``amount_usd`` from the seller
over the clause's period or pay the difference anyway. The planner honours it as a minimum
purchase (:func:`add_commitments`, docs/planner.md "Committed spend"):

=============  ===================  ==================================================
``draw``       commit, period       $M of the plan's spend with the seller's providers
                                    in the period that draws the commitment down
``shortfall``  commit               $M owed at the end (take-or-pay), ≥ 0
=============  ===================  ==================================================

* ``draw_cap``: draw[c, t] ≤ spend(seller, t) × drawable days of c in t / days of t;
* ``draw_shared``: Σ_c draw[c, t] ≤ spend(seller, t) over the commitments of one seller;
* ``commit``: Σ_t draw[c, t] + shortfall[c] = the amount due within the horizon (so no
  more is drawn than is due);
* the objective pays each dollar of shortfall at its settlement day (the period's end, or
  the horizon's last day when the period runs past it), discounted like every other flow.

The seller's spend is what the lab pays the providers the seller owns (``provider.owner``),
used or not: hours rented from its pools, capacity bought from its capacity model rows,
reservations the record holds with it — undiscounted dollars in the period, as an invoice
counts them. Owned sites are capex, energy and opex paid to no seller: they draw nothing.

The amount due within the horizon is pro-rated by drawable days: a period that starts
before the horizon or ends after it has the share of its in-force days inside the horizon
due there; the planner has no record of what was spent before its first day, so the share
of the days before is taken as drawn then (the commitment's ``notes`` say so). The days a
commitment can be drawn on come from :func:`stargate.money.commitment_terms`, the same days
``stargate money report`` draws on.

This module imports no solver; :func:`add_commitments` is handed the linopy model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from stargate.domain.model import Scenario
from stargate.money import commitment_terms
from stargate.plan.units import USD_PER_MUSD, mh_from_k_hours, musd_from_usd

if TYPE_CHECKING:
    from stargate.plan.data import PlanData, PlanPeriod

__all__ = [
    "CommitmentRow",
    "PlanCommitment",
    "add_commitments",
    "commitment_rows",
    "read_commitments",
    "seller_spend_usd",
]

CENT = Decimal("0.01")


def _cents(v: Decimal) -> Decimal:
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


def usd_of_musd(v: float) -> Decimal:
    """A solver's $M as USD to the cent (values within a cent of 0 are 0)."""
    out = _cents(Decimal(repr(float(v))) * Decimal(USD_PER_MUSD))
    return Decimal("0.00") if abs(out) < CENT else out


@dataclass(frozen=True, slots=True)
class PlanCommitment:
    """A commitment as the plan sees it: who sells, what is due within the horizon, and on
    how many days of each plan period it can be drawn."""

    clause_id: str
    contract_id: str
    seller: str
    providers: tuple[str, ...]
    amount_usd: Decimal  # the clause's whole amount
    period_start: date
    period_end: date | None
    due_usd: Decimal  # the part of the amount due within the horizon (pro-rated)
    before_usd: Decimal  # the part of the days before the horizon (taken as drawn)
    after_usd: Decimal  # the part of the days after the horizon (not the plan's)
    drawable_days: tuple[int, ...]  # per plan period
    settle: date  # the day a shortfall is paid, within the horizon
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def due_musd(self) -> float:
        return musd_from_usd(float(self.due_usd))


def _days(terms: Iterable[Any]) -> dict[str, int]:
    return {t.clause_id: sum(t.days_by_year.values()) for t in terms}


def read_commitments(
    scenario: Scenario, periods: Sequence[PlanPeriod], without: Iterable[str]
) -> list[PlanCommitment]:
    """The lab's committed_spend clauses drawable on some day of the horizon, with the amount
    due within it. ``scenario`` is already resolved; ``without`` are clause ids to switch
    off in it."""
    off = sorted(without)
    first, last = periods[0].start, periods[-1].end
    inside = commitment_terms(scenario, first, last, without=off)
    if not inside:
        return []
    lo = min(min(t.period_start for t in inside), first)
    hi = max(max((t.period_end or last) for t in inside), last)
    # horizons are whole years: the days per year of one call over the whole window give
    # the days within, before and after the horizon, and those of yearly periods
    whole = {t.clause_id: t.days_by_year for t in commitment_terms(scenario, lo, hi, without=off)}
    yearly = all(p.start.year == p.end.year and (p.start.month, p.start.day) == (1, 1)
                 and (p.end.month, p.end.day) == (12, 31) for p in periods)  # fmt: skip
    per_period = (
        None
        if yearly
        else [_days(commitment_terms(scenario, p.start, p.end, without=off)) for p in periods]
    )
    out: list[PlanCommitment] = []
    for t in inside:
        notes: list[str] = []
        by_year = whole.get(t.clause_id, t.days_by_year)
        if per_period is None:
            days = tuple(by_year.get(p.year, 0) for p in periods)
        else:
            days = tuple(pp.get(t.clause_id, 0) for pp in per_period)
        in_h = sum(days)
        n_before = sum(n for y, n in by_year.items() if y < first.year)
        n_after = sum(n for y, n in by_year.items() if y > last.year)
        total = in_h + n_before + n_after
        amount = t.amount_usd
        due = _cents(amount * in_h / total)
        before_usd = _cents(amount * n_before / total)
        after_usd = amount - due - before_usd
        if t.period_end is None:
            notes.append(
                "the period is open-ended: taken to end on the horizon's last day "
                f"{last.isoformat()}, so the whole amount not taken as drawn before is due "
                "within the horizon"
            )
        if n_before or n_after:
            notes.append(
                f"the period {t.period_start.isoformat()}.."
                f"{t.period_end.isoformat() if t.period_end else 'open'} is only partly "
                f"within the horizon: ${due:,.2f} of ${amount:,.2f} is due within it, "
                f"pro-rated by drawable days ({in_h:,} of {total:,})"
            )
        if n_before:
            notes.append(
                f"${before_usd:,.2f} for the {n_before:,} days before the horizon's first day "
                "is taken as drawn then: the planner has no record of spend before its horizon"
            )
        if not t.providers:
            notes.append(f"{t.seller} owns no provider of the scenario: nothing can draw it")
        end = t.period_end
        settle = last if end is None or end > last else end
        out.append(
            PlanCommitment(
                clause_id=t.clause_id,
                contract_id=t.contract_id,
                seller=t.seller,
                providers=tuple(t.providers),
                amount_usd=amount,
                period_start=t.period_start,
                period_end=end,
                due_usd=due,
                before_usd=before_usd,
                after_usd=after_usd,
                drawable_days=days,
                settle=settle,
                notes=tuple(notes),
            )
        )
    return out


# --------------------------------------------------------------------------- the model


def sellers(d: PlanData) -> list[str]:
    return list(dict.fromkeys(c.seller for c in d.commitments))


def _membership(d: PlanData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[cloud, seller], [offer, seller], [held, seller]: 1 where the seller owns the
    provider of the cloud site, the capacity model row, the reservation."""
    ss = sellers(d)
    owns: dict[str, set[str]] = {s: set() for s in ss}
    for c in d.commitments:
        owns[c.seller].update(c.providers)

    def m(providers: list[str]) -> np.ndarray:
        return np.array([[float(p in owns[s]) for s in ss] for p in providers]).reshape(
            len(providers), len(ss)
        )

    return (
        m([d.provider_of[k] for k in d.clouds]),
        m([o.provider for o in d.offers]),
        m([h.provider for h in d.held]),
    )


def draw_fraction(d: PlanData) -> np.ndarray:
    """[commit, period] the share of each period's days the commitment can be drawn on."""
    days = np.array([[float(x) for x in c.drawable_days] for c in d.commitments])
    per = np.array([float((p.end - p.start).days + 1) for p in d.periods])
    out: np.ndarray = days / per[None, :]
    return out


def settle_discount(d: PlanData) -> np.ndarray:
    """[commit] the present value of a dollar paid on each commitment's settlement day."""
    return np.array(
        [
            (1.0 + d.discount_rate) ** -d.years_at(c.settle + timedelta(days=1))
            for c in d.commitments
        ]
    )


def held_spend_musd(d: PlanData) -> np.ndarray:
    """[seller, period] $M the record's reservations pay each seller (take-or-pay)."""
    _, _, mh = _membership(d)
    if not d.held:
        return np.zeros((len(sellers(d)), len(d.periods)))
    price = np.array([h.price_usd for h in d.held])
    out: np.ndarray = np.einsum("hp,hs->sp", d.held_mh * price[:, None], mh)
    return out


def add_commitments(m: Any, d: PlanData, co: dict[str, list[str]], v: dict[str, Any]) -> Any:
    """Add the draw and shortfall variables and constraints to the linopy model ``m``; the
    objective's term (the shortfall paid at settlement, present value, $M)."""
    from stargate.plan.model import labelled

    ss = sellers(d)
    mk, mo, _ = _membership(d)
    seller_of = np.array([[float(c.seller == s) for s in ss] for c in d.commitments])
    draw = m.add_variables(
        lower=0, coords=[("commit", co["commit"]), ("period", co["period"])], name="draw"
    )
    short = m.add_variables(lower=0, coords=[("commit", co["commit"])], name="shortfall")
    spend: list[Any] = []  # [seller, period] $M, variable part
    if "r" in v and mk.any():
        price = np.nan_to_num(d.rent_usd_per_hour, nan=0.0)
        per_cloud = (v["r"] * labelled(price, ["cloud", "type"], co)).sum(["class", "type"])
        spend.append((per_cloud * labelled(mk, ["cloud", "seller"], co)).sum("cloud"))
    if "hold" in v and mo.any():
        price_o = labelled([o.price_usd for o in d.offers], ["offer"], co)
        mh_k = labelled(mh_from_k_hours(d.period_hours), ["period"], co)
        per_offer = v["hold"] * mh_k * price_o
        spend.append((per_offer * labelled(mo, ["offer", "seller"], co)).sum("offer"))
    const = labelled(held_spend_musd(d), ["seller", "period"], co)
    frac = labelled(draw_fraction(d), ["commit", "period"], co)
    sel = labelled(seller_of, ["commit", "seller"], co)
    const_c = (const * sel).sum("seller") * frac
    if spend:
        total = spend[0]
        for term in spend[1:]:
            total = total + term
        m.add_constraints(draw - (total * sel).sum("seller") * frac <= const_c, name="draw_cap")
        shared = (draw * sel).sum("commit") - total
        m.add_constraints(shared <= const, name="draw_shared")
    else:
        m.add_constraints(draw <= const_c, name="draw_cap")
        m.add_constraints((draw * sel).sum("commit") <= const, name="draw_shared")
    due = labelled([c.due_musd for c in d.commitments], ["commit"], co)
    # an equality: what is drawn never exceeds what is due (the rest of the spend is beyond
    # the commitment), and the shortfall is exactly what is left
    m.add_constraints(draw.sum("period") + short == due, name="commit")
    return (short * labelled(settle_discount(d), ["commit"], co)).sum()


def seller_spend_usd(d: PlanData, sol: dict[str, np.ndarray | None]) -> np.ndarray:
    """[seller, period] $M the plan's solution pays each seller of a commitment."""
    mk, mo, _ = _membership(d)
    out = held_spend_musd(d)
    r = sol.get("r")
    if r is not None and mk.size:
        price = np.nan_to_num(d.rent_usd_per_hour, nan=0.0)
        per_cloud = np.einsum("cktp,kt->kp", np.clip(r, 0.0, None), price)
        out = out + np.einsum("kp,ks->sp", per_cloud, mk)
    hold = sol.get("hold")
    if hold is not None and mo.size:
        price_o = np.array([o.price_usd for o in d.offers])
        musd = np.clip(hold, 0, None) * mh_from_k_hours(d.period_hours)[None, :] * price_o[:, None]
        out = out + np.einsum("op,os->sp", musd, mo)
    return out


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, slots=True)
class CommitmentRow:
    """One commitment in the plan's result (``commitments`` in ``plan --json``)."""

    clause: str
    contract: str
    seller: str
    providers: list[str]
    amount_usd: Decimal
    period_start: date
    period_end: date | None
    due_usd: Decimal
    drawn_usd: Decimal
    shortfall_usd: Decimal
    #: Objective dollars per dollar more of commitment, counted in dollars paid on the
    #: settlement day: 1 when the commitment is short (a dollar more is a dollar more owed),
    #: 0 when the plan's spend covers it with room, between when it is just met (the plan
    #: buys from the seller for it). None without shadow prices.
    shadow_price: float | None
    #: The same in present value (discounted to the horizon's first day).
    shadow_price_pv: float | None
    settle: date
    draws: list[dict[str, object]]
    notes: list[str]

    def to_dict(self) -> dict[str, object]:
        return {
            "clause": self.clause,
            "contract": self.contract,
            "seller": self.seller,
            "providers": list(self.providers),
            "amount_usd": str(self.amount_usd),
            "period_start": self.period_start.isoformat(),
            "period_end": None if self.period_end is None else self.period_end.isoformat(),
            "due_usd": str(self.due_usd),
            "drawn_usd": str(self.drawn_usd),
            "shortfall_usd": str(self.shortfall_usd),
            "shadow_price": self.shadow_price,
            "shadow_price_pv": self.shadow_price_pv,
            "settle": self.settle.isoformat(),
            "draws": [dict(r) for r in self.draws],
            "notes": list(self.notes),
        }


def commitment_rows(
    d: PlanData, sol: dict[str, np.ndarray | None], duals: np.ndarray | None
) -> list[CommitmentRow]:
    """The commitments' draw-down, shortfall and shadow price from the plan's solution and
    the duals of ``commit`` (present value, $M per $M) of the LP re-solve (None: none)."""
    if not d.commitments:
        return []
    draw = sol.get("draw")
    n_c, n_p = len(d.commitments), len(d.periods)
    draw_a = np.zeros((n_c, n_p)) if draw is None else np.clip(draw, 0, None)
    spend = seller_spend_usd(d, sol)
    ss = sellers(d)
    disc = settle_discount(d)
    rows: list[CommitmentRow] = []
    for i, c in enumerate(d.commitments):
        drawn_parts = [usd_of_musd(x) for x in draw_a[i]]
        drawn = sum(drawn_parts, Decimal("0.00"))
        shortfall = max(Decimal("0.00"), c.due_usd - drawn)
        # the solver's ``shortfall`` and due − drawn agree within its tolerance; the second
        # is exact to the cent, so drawn + shortfall = due in the output
        draws = [
            {
                "period": d.periods[p].label,
                "drawable_days": c.drawable_days[p],
                "spend_with_seller_usd": str(usd_of_musd(spend[ss.index(c.seller), p])),
                "drawn_usd": str(drawn_parts[p]),
            }
            for p in range(n_p)
            if c.drawable_days[p] > 0
        ]
        price_pv = price = None
        if duals is not None:
            pv = abs(float(duals[i]))
            price_pv = _snap(pv)
            price = _snap(min(1.0, pv / disc[i]))
        rows.append(
            CommitmentRow(
                clause=c.clause_id,
                contract=c.contract_id,
                seller=c.seller,
                providers=list(c.providers),
                amount_usd=c.amount_usd,
                period_start=c.period_start,
                period_end=c.period_end,
                due_usd=c.due_usd,
                drawn_usd=drawn,
                shortfall_usd=shortfall,
                shadow_price=price,
                shadow_price_pv=price_pv,
                settle=c.settle,
                draws=draws,
                notes=list(c.notes),
            )
        )
    return rows


def _snap(v: float) -> float:
    """A dual rounded to 6 places, solver noise near 0 and 1 removed."""
    out = round(v, 6)
    return 0.0 if out == 0 else out + 0.0
