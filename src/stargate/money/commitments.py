"""Committed spend: how the lab's spend with a seller draws down each ``committed_spend``
clause, what remains, and the shortfall the lab owes at the end of the period (take-or-pay).

The rules (docs/money.md "Commitments"):

* the spend is the simulator's ``spend_by_year[].committed_usd`` (all the lab holds, used or
  not) with the providers the seller owns (``provider.owner``), spread evenly over the days
  of the year the run covers;
* a day's spend draws the commitments in force that day whose period contains it, the one
  whose period ends first first (then the earlier start, then the id), each up to its
  amount; what is left is spend beyond the commitments. Spending on the commitment that
  expires first is the buyer's best order: no other order leaves a smaller shortfall;
* the shortfall is known only when the period ends within the run; it is then
  ``amount − drawn``. Where it ends later the report says ``open`` and gives what remains.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from stargate.contracts import resolve_without
from stargate.domain.model import CommittedSpend, Scenario
from stargate.errors import InputError, Problem
from stargate.money.days import EXACT, RunningCents, cents

Status = Literal["met", "shortfall", "open", "ended", "void", "not_drawn"]


class SpendRowLike(Protocol):
    """A row of ``SimSummary.spend_by_year`` (or anything shaped like it)."""

    @property
    def year(self) -> int: ...
    @property
    def provider(self) -> str: ...
    @property
    def committed_usd(self) -> str: ...


class RunLike(Protocol):
    @property
    def start(self) -> str: ...
    @property
    def end(self) -> str | None: ...


class SummaryLike(Protocol):
    """What :func:`commitments` reads of a simulation summary (``SimSummary``)."""

    @property
    def spend_by_year(self) -> Sequence[SpendRowLike] | None: ...
    @property
    def run(self) -> RunLike: ...


@dataclass(frozen=True, slots=True)
class Spend:
    """The lab's spend per (year, provider) over the days ``first..last``: the input of
    :func:`commitments`, from a summary (:meth:`of`) or written by hand (tests, the planner)."""

    first: date
    last: date
    usd: dict[tuple[int, str], Decimal]

    @classmethod
    def of(cls, summary: SummaryLike | Spend) -> Spend:
        if isinstance(summary, Spend):
            return summary
        rows = summary.spend_by_year
        if rows is None:
            raise InputError(
                Problem(
                    "the simulation summary has no spend_by_year (a run on a fleet for "
                    "experiments has no contracts)",
                    path="summary",
                    hint="simulate the scenario's own fleet",
                )
            )
        first = datetime.fromisoformat(summary.run.start).date()
        if summary.run.end is not None:
            end = datetime.fromisoformat(summary.run.end) - timedelta(microseconds=1)
            last = end.date()
        else:
            last = date(max((r.year for r in rows), default=first.year), 12, 31)
        usd: dict[tuple[int, str], Decimal] = {}
        for i, r in enumerate(rows):
            try:
                amount = Decimal(r.committed_usd)
            except InvalidOperation:
                raise InputError(
                    Problem(
                        f"not a decimal amount: {r.committed_usd!r}",
                        path=f"spend_by_year[{i}].committed_usd",
                        expected="a decimal string of USD",
                    )
                ) from None
            if not amount.is_finite() or amount < 0:
                raise InputError(
                    Problem(
                        f"spend must be a finite amount ≥ 0, not {r.committed_usd}",
                        path=f"spend_by_year[{i}].committed_usd",
                    )
                )
            key = (r.year, r.provider)
            usd[key] = usd.get(key, Decimal(0)) + amount
        return cls(first, last, usd)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CommitmentYear(_Out):
    year: int
    period_days: int = Field(description="days of the year in the period, in force, in the run")
    run_days: int = Field(description="days of the year the run covers")
    spend_with_seller_usd: Decimal = Field(description="the year's spend with the seller")
    in_period_usd: Decimal = Field(description="that spend pro-rated to the period's days")
    drawn_usd: Decimal = Field(description="what of it this commitment took")


class Commitment(_Out):
    clause_id: str
    contract_id: str
    name: str | None
    buyer: str
    seller: str
    providers: list[str] = Field(description="the providers the seller owns")
    amount_usd: Decimal
    period_start: date
    period_end: date | None
    agreement_id: str | None = Field(description="the agreement that added the clause")
    years: list[CommitmentYear]
    drawn_usd: Decimal
    remaining_usd: Decimal
    shortfall_usd: Decimal | None = Field(
        description="owed on top at the period's end (take-or-pay); null: not known yet"
    )
    status: Status
    notes: list[str]


class SellerYear(_Out):
    seller: str
    year: int
    spend_usd: Decimal
    drawn_usd: Decimal = Field(description="spend that drew down a commitment")
    uncommitted_usd: Decimal = Field(description="spend beyond every commitment")


class Commitments(_Out):
    scenario_id: str
    lab: str
    run_first: date
    run_last: date
    without: list[str]
    commitments: list[Commitment]
    sellers: list[SellerYear]

    def commitment(self, clause_id: str) -> Commitment:
        for c in self.commitments:
            if c.clause_id == clause_id:
                return c
        raise KeyError(f"no commitment '{clause_id}'")


@dataclass
class _Open:
    """A commitment being drawn."""

    contract_id: str
    clause: CommittedSpend
    text: CommittedSpend
    days: dict[date, bool]
    left: Decimal
    drawn: dict[int, Decimal]
    period_days: dict[int, int]


def _order(o: _Open) -> tuple[date, date, str]:
    p = o.text.period
    return (p.end or date.max, p.start, o.clause.id)


def commitments(
    scenario: Scenario,
    summary: SummaryLike | Spend,
    *,
    without: Iterable[str] = (),
) -> Commitments:
    """Each committed_spend clause's draw-down from the lab's spend in ``summary`` (a
    ``SimSummary`` of the same scenario and ``without``, or a :class:`Spend`), what remains,
    and the shortfall at the end of its period."""
    resolved = resolve_without(scenario, list(without))
    sc = resolved.scenario
    off = resolved.clause_ids
    spend = Spend.of(summary)
    lab = sc.lab_id()
    first, last = spend.first, spend.last
    added_by = {cl.id: ag.id for c in sc.contracts for ag in c.agreements for cl in ag.adds}
    owned: dict[str, list[str]] = {}
    for p in sc.providers:
        owned.setdefault(p.owner, []).append(p.id)

    opened = _open_all(sc, off, first, last)

    seller_rows: list[SellerYear] = []
    sellers = sorted({o.text.seller for o in opened if o.text.buyer == lab})
    for seller in sellers:
        mine = sorted(
            (o for o in opened if o.text.seller == seller and o.text.buyer == lab), key=_order
        )
        providers = owned.get(seller, [])
        for y in range(first.year, last.year + 1):
            lo, hi = max(first, date(y, 1, 1)), min(last, date(y, 12, 31))
            run_days = (hi - lo).days + 1
            year_usd = sum((spend.usd.get((y, p), Decimal(0)) for p in providers), Decimal(0))
            per_day = EXACT.divide(year_usd, run_days) if run_days > 0 else Decimal(0)
            drawn_year = Decimal(0)
            d = lo
            while d <= hi:
                budget = per_day
                for o in mine:
                    if not o.days.get(d, False):
                        continue
                    o.period_days[y] = o.period_days.get(y, 0) + 1
                    take = min(budget, o.left)
                    if take > 0:
                        o.left = EXACT.subtract(o.left, take)
                        o.drawn[y] = EXACT.add(o.drawn.get(y, Decimal(0)), take)
                        budget = EXACT.subtract(budget, take)
                        drawn_year = EXACT.add(drawn_year, take)
                d += timedelta(days=1)
            if year_usd or drawn_year:
                seller_rows.append(
                    SellerYear(
                        seller=seller,
                        year=y,
                        spend_usd=cents(year_usd),
                        drawn_usd=cents(drawn_year),
                        uncommitted_usd=cents(year_usd) - cents(drawn_year),
                    )
                )

    out = [_result(o, lab, first, last, spend, owned, added_by, o.clause.id in off) for o in opened]
    return Commitments(
        scenario_id=scenario.id,
        lab=lab,
        run_first=first,
        run_last=last,
        without=resolved.names,
        commitments=out,
        sellers=seller_rows,
    )


def _result(
    o: _Open,
    lab: str,
    first: date,
    last: date,
    spend: Spend,
    owned: dict[str, list[str]],
    added_by: dict[str, str],
    switched_off: bool,
) -> Commitment:
    t = o.text
    providers = owned.get(t.seller, [])
    amount = Decimal(t.amount_usd)
    notes: list[str] = []
    running = RunningCents()
    years: list[CommitmentYear] = []
    for y in range(first.year, last.year + 1):
        lo, hi = max(first, date(y, 1, 1)), min(last, date(y, 12, 31))
        run_days = (hi - lo).days + 1
        pd = o.period_days.get(y, 0)
        if pd == 0 and y not in o.drawn:
            continue
        year_usd = sum((spend.usd.get((y, p), Decimal(0)) for p in providers), Decimal(0))
        years.append(
            CommitmentYear(
                year=y,
                period_days=pd,
                run_days=run_days,
                spend_with_seller_usd=cents(year_usd),
                in_period_usd=cents(EXACT.divide(EXACT.multiply(year_usd, pd), run_days)),
                drawn_usd=running.add(o.drawn.get(y, Decimal(0))),
            )
        )
    drawn = running.rounded
    remaining = max(Decimal("0.00"), cents(amount) - drawn)
    end = t.period.end
    in_force = [d for d, ok in o.days.items() if ok]
    ended_early: date | None = None
    if in_force and max(in_force) < min(end or last, last):
        ended_early = max(in_force)
    status: Status
    shortfall: Decimal | None
    if t.buyer != lab:
        status, shortfall = "not_drawn", None
        notes.append(f"the buyer is {t.buyer}: the simulator replays {lab}'s purchases only")
    elif not in_force:
        status, shortfall = "void", None
        notes.append(
            "switched off (--without)"
            if switched_off
            else "not in force on any day of its period within the run"
        )
    elif remaining == 0:
        status, shortfall = "met", Decimal("0.00")
    elif ended_early is not None:
        status, shortfall = "ended", None
        notes.append(
            f"no longer in force after {ended_early.isoformat()}, before its period ended: "
            "what is owed for the rest is the agreement's matter, not computed"
        )
    elif end is not None and end <= last:
        status, shortfall = "shortfall", remaining
    else:
        status, shortfall = "open", None
        after = "open-ended" if end is None else f"ends {end.isoformat()}"
        notes.append(f"the period {after}, after the run's last day {last.isoformat()}")
    if t.buyer == lab and not providers:
        notes.append(f"{t.seller} owns no provider of the scenario: nothing draws it down")
    if t.period.start < first:
        notes.append(
            f"spend before the run's first day {first.isoformat()} is not counted: "
            "the shortfall is an upper bound"
        )
    return Commitment(
        clause_id=o.clause.id,
        contract_id=o.contract_id,
        name=t.name,
        buyer=t.buyer,
        seller=t.seller,
        providers=providers,
        amount_usd=cents(amount),
        period_start=t.period.start,
        period_end=end,
        agreement_id=added_by.get(o.clause.id),
        years=years,
        drawn_usd=drawn,
        remaining_usd=remaining,
        shortfall_usd=shortfall,
        status=status,
        notes=notes,
    )


def _open_all(sc: Scenario, off: frozenset[str], first: date, last: date) -> list[_Open]:
    """Every committed_spend clause, with the days of ``first..last`` on which it is in force
    and the day is in its period (the text in force on the last such day decides)."""
    opened: list[_Open] = []
    for contract, cl in sc.clauses():
        if not isinstance(cl, CommittedSpend):
            continue
        text = cl
        days: dict[date, bool] = {}
        d = first
        while d <= last:
            v = None if cl.id in off else cl.version_at(d)
            ok = isinstance(v, CommittedSpend) and v.period.contains(d)
            if ok and isinstance(v, CommittedSpend):
                text = v
            days[d] = ok
            d += timedelta(days=1)
        opened.append(_Open(contract.id, cl, text, days, Decimal(text.amount_usd), {}, {}))
    return opened


class CommitmentTerm(_Out):
    """A commitment's terms over a window, for a caller that has no spend yet (the planner):
    what must be bought from whom, by when, and on which days it can be drawn."""

    clause_id: str
    contract_id: str
    buyer: str
    seller: str
    providers: list[str] = Field(description="the providers the seller owns")
    amount_usd: Decimal
    period_start: date
    period_end: date | None
    days_by_year: dict[int, int] = Field(
        description="per year of the window, the days it is in force and in its period"
    )


def commitment_terms(
    scenario: Scenario, first: date, last: date, *, without: Iterable[str] = ()
) -> list[CommitmentTerm]:
    """The committed_spend clauses of the lab's purchases as they bear on ``first..last``:
    seller, its providers, amount, period, and the drawable days per year (the same days
    :func:`commitments` draws on). Clauses never drawable in the window are left out."""
    resolved = resolve_without(scenario, list(without))
    sc = resolved.scenario
    lab = sc.lab_id()
    owned: dict[str, list[str]] = {}
    for p in sc.providers:
        owned.setdefault(p.owner, []).append(p.id)
    out: list[CommitmentTerm] = []
    for o in sorted(_open_all(sc, resolved.clause_ids, first, last), key=_order):
        if o.text.buyer != lab:
            continue
        by_year: dict[int, int] = {}
        for d, ok in o.days.items():
            if ok:
                by_year[d.year] = by_year.get(d.year, 0) + 1
        if not by_year:
            continue
        out.append(
            CommitmentTerm(
                clause_id=o.clause.id,
                contract_id=o.contract_id,
                buyer=o.text.buyer,
                seller=o.text.seller,
                providers=owned.get(o.text.seller, []),
                amount_usd=cents(Decimal(o.text.amount_usd)),
                period_start=o.text.period.start,
                period_end=o.text.period.end,
                days_by_year=by_year,
            )
        )
    return out
