"""Revenue shares: what each ``revenue_share`` clause in force moves from payer to payee, per
year and per stretch of days with one version of the clause, and the net between two parties.

The rules (docs/money.md "Revenue shares"):

* a year's revenue of a stream accrues evenly over the year's days (revenue rows are annual);
* the clause as it reads on each day decides (:meth:`ClauseBase.version_at`: its effective
  period, agreements' changes, ``ends_on_agi`` once AGI is verified); a year is split into
  runs of days with one version, and each run says which amendment and agreement decided it;
* ``cap_usd`` is a running cap on everything paid under the clause (from the first year with
  revenue rows on); the day it is reached is reported; a ``cap_usd: null`` written by an
  agreement means *capped, amount undisclosed*: the figure is then an upper bound;
* ``revenue_stream`` names a stream of the revenue rows (``chatgpt``), or the lab's whole
  revenue (``LAB`` or ``LAB-revenue``, e.g. ``openai-revenue``); the revenue rows are the
  lab's, so a stream another party pays on (``azure-openai-service``) has no figures: its
  transfers are *unquantified* (null, with the reason), never a silent zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stargate.contracts import resolve_without
from stargate.domain.model import Amendment, ClauseBase, Contract, RevenueShare, Scenario
from stargate.errors import InputError, Problem, did_you_mean
from stargate.money.days import EXACT, RunningCents, cents, segments, year_days
from stargate.money.where import ClausePaths

CapKind = Literal["none", "set", "undisclosed"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ShareSegment(_Out):
    """One run of days of a year over which one version of the clause held (or none did)."""

    start: date
    end: date = Field(description="last day, included")
    days: int
    in_force: bool
    reason: str | None = Field(description="why the clause was not in force, else null")
    version: str | None = Field(
        description="'as signed', or the id of the amendment whose text held"
    )
    agreement_id: str | None = Field(
        description="the agreement that last changed the clause (or added it), else null"
    )
    percent: Decimal | None
    revenue_usd: Decimal | None = Field(description="the stream's revenue of these days")
    transfer_usd: Decimal | None = Field(description="null: unquantified (see note)")
    cap: CapKind | None = Field(description="none, set (cap_usd) or undisclosed")
    cap_usd: Decimal | None
    cap_reached_on: date | None = Field(description="the day the running cap was reached")
    note: str | None = None


class ShareYear(_Out):
    """What one revenue_share clause moved in one year."""

    clause_id: str
    contract_id: str
    year: int
    payer: str
    payee: str
    revenue_stream: str
    streams: list[str] | None = Field(
        description="the revenue rows' streams it reads; null: the scenario has none for it"
    )
    transfer_usd: Decimal | None = Field(description="the year's total; null when unquantified")
    quantified: bool
    upper_bound: bool = Field(description="true when an undisclosed cap may lower the figure")
    segments: list[ShareSegment]


class NetYear(_Out):
    """The net of the transfers between two parties in a year."""

    year: int
    party_a: str
    party_b: str
    a_to_b_usd: Decimal
    b_to_a_usd: Decimal
    net_usd: Decimal = Field(description="|a_to_b − b_to_a|")
    net_payer: str | None = Field(description="who pays the net; null when it is zero")
    complete: bool = Field(description="false when a transfer between them is unquantified")
    unquantified: list[str] = Field(description="ids of the clauses whose transfer is unknown")
    bound: Literal["exact", "upper", "lower", "unknown"] = Field(
        description="what net_usd is: exact, or (unquantified or upper-bound transfers) the "
        "most (upper) or the least (lower) the net payer pays, or unknown"
    )


class RevenueShares(_Out):
    scenario_id: str
    lab: str
    years: list[int]
    without: list[str]
    transfers: list[ShareYear]
    net: list[NetYear]

    def transfer(self, clause_id: str, year: int) -> ShareYear:
        for t in self.transfers:
            if t.clause_id == clause_id and t.year == year:
                return t
        raise KeyError(f"no transfer row for clause '{clause_id}' in {year}")


# --------------------------------------------------------------------------- streams


@dataclass(frozen=True, slots=True)
class _Stream:
    """What a clause's ``revenue_stream`` reads: the revenue rows' streams, or None with why."""

    streams: tuple[str, ...] | None
    why: str | None = None


def _resolve_stream(
    sc: Scenario, clause: RevenueShare, where: ClausePaths, problems: list[Problem]
) -> _Stream:
    name = clause.revenue_stream
    lab = sc.lab_id()
    known = sorted({r.stream for r in sc.revenue})
    parties = {p.id for p in sc.parties}
    if name in known:
        return _Stream((name,))
    if name in (lab, f"{lab}-revenue"):
        return _Stream(tuple(known))
    owner = name[: -len("-revenue")] if name.endswith("-revenue") else None
    if owner is not None and owner in parties:
        return _Stream(None, f"the scenario's revenue rows are {lab}'s; none for '{owner}'")
    if owner is not None:
        problems.append(
            where.problem(
                clause.id,
                "revenue_stream",
                f"revenue stream '{name}' names an unknown party '{owner}'",
                expected=f"a party's revenue (PARTY-revenue), e.g. '{lab}-revenue'",
                hint=did_you_mean(owner, parties),
            )
        )
        return _Stream(None, "unknown party")
    if clause.payer == lab:
        problems.append(
            where.problem(
                clause.id,
                "revenue_stream",
                f"unknown revenue stream '{name}': {lab} pays on its own revenue, and the "
                "scenario's revenue rows name no such stream",
                expected=f"one of {', '.join([*known, f'{lab}-revenue'])}",
                hint=did_you_mean(name, [*known, f"{lab}-revenue"], list_valid=False),
            )
        )
        return _Stream(None, "unknown stream")
    return _Stream(
        None,
        f"'{name}' is {clause.payer}'s revenue; the scenario's revenue rows are {lab}'s only",
    )


def _check_rows(sc: Scenario, problems: list[Problem]) -> None:
    seen: dict[tuple[str, int], int] = {}
    for i, r in enumerate(sc.revenue):
        first = seen.setdefault((r.stream, r.year), i)
        if first != i:
            problems.append(
                Problem(
                    f"a second revenue row for stream '{r.stream}' in {r.year} (the first is "
                    f"revenue[{first}]): it would be counted twice",
                    path=f"revenue[{i}]",
                    hint="merge the rows into one",
                )
            )


# --------------------------------------------------------------------------- the clause, day by day


@dataclass(frozen=True, slots=True)
class _Day:
    """What decides a day: the version in force (None: none) and why not."""

    in_force: bool
    amendment: str | None
    reason: str | None


class _Who:
    """Amendment id → agreement id, and clause id → the agreement that added it."""

    def __init__(self, contracts: Iterable[Contract]) -> None:
        self.changed_by: dict[str, str] = {}
        self.added_by: dict[str, str] = {}
        for c in contracts:
            for ag in c.agreements:
                for ch in ag.changes:
                    self.changed_by[ag.change_id(ch)] = ag.id
                for cl in ag.adds:
                    self.added_by[cl.id] = ag.id

    def agreement(self, clause: ClauseBase, amendment: str | None) -> str | None:
        if amendment is not None:
            return self.changed_by.get(amendment)
        return self.added_by.get(clause.id)


def _day(cl: ClauseBase, day: date, *, off: frozenset[str], who: _Who) -> _Day:
    if cl.id in off:
        return _Day(False, None, "switched off (--without)")
    version = cl.version_at(day)
    am = cl.active_amendment(day)
    if version is not None:
        return _Day(True, am.id if am is not None else None, None)
    if day < cl.effective.start:
        return _Day(False, None, f"not yet in force (from {cl.effective.start.isoformat()})")
    agi_end = cl._agi_end
    if agi_end is not None and day >= agi_end:
        return _Day(False, None, f"ended: AGI verified on {agi_end.isoformat()} ({cl.ends_on_agi})")
    if am is not None and am.action == "terminate":
        by = who.changed_by.get(am.id, am.id)
        return _Day(False, am.id, f"terminated by {by} from {am.effective.start.isoformat()}")
    text = cl.amended(am) if am is not None else cl
    end = text.end_date()
    if end is not None and day > end:
        return _Day(False, None, f"expired after {end.isoformat()}")
    return _Day(False, None, "not in force")


def _amendment(cl: ClauseBase, amendment_id: str | None) -> Amendment | None:
    for am in cl.amendments:
        if am.id == amendment_id:
            return am
    return None


def _cap_kind(text: RevenueShare, am: Amendment | None) -> CapKind:
    if text.cap_usd is not None:
        return "set"
    if am is not None and "cap_usd" in am.changes and am.changes["cap_usd"] is None:
        return "undisclosed"
    return "none"


# --------------------------------------------------------------------------- the computation


def revenue_shares(
    scenario: Scenario,
    years: Iterable[int] | None = None,
    *,
    without: Iterable[str] = (),
) -> RevenueShares:
    """The transfers of every revenue_share clause, per year in ``years`` (default: the years
    of the scenario's revenue rows), and the net per pair of parties per year.

    ``without``: agreements, amendments or clauses to switch off, as ``--without`` (see
    :func:`stargate.contracts.resolve_without`). Bad input (an unknown ``--without`` name, a
    revenue stream for an unknown party, an unknown stream, a revenue row given twice) is an
    :class:`InputError` naming the scenario field."""
    sels = list(without)
    resolved = resolve_without(scenario, sels)
    sc = resolved.scenario
    off = resolved.clause_ids
    problems: list[Problem] = []
    _check_rows(sc, problems)
    where = ClausePaths(scenario)
    who = _Who(sc.contracts)
    wanted = sorted(set(years)) if years is not None else sorted({r.year for r in sc.revenue})
    # The running cap counts from the first year with revenue rows, whatever years are shown.
    first_rows = min((r.year for r in sc.revenue), default=None)
    start_year = min([*wanted, *([first_rows] if first_rows is not None else [])], default=0)
    span = list(range(start_year, max(wanted) + 1)) if wanted else []
    revenue: dict[tuple[str, int], Decimal] = {}
    for r in sc.revenue:
        revenue[(r.stream, r.year)] = Decimal(r.usd)

    rows: list[ShareYear] = []
    for contract, cl in sc.clauses():
        if not isinstance(cl, RevenueShare):
            continue
        paid = RunningCents()
        paid_unknown = False
        cap_hit = False
        for year in span:
            first, last = date(year, 1, 1), date(year, 12, 31)
            n_year = year_days(year)
            segs: list[ShareSegment] = []
            stream_used: tuple[str, ...] | None = None
            for s, e, d in segments(first, last, partial(_day, cl, off=off, who=who)):
                n = (e - s).days + 1
                agreement = who.agreement(cl, d.amendment)
                if not d.in_force:
                    segs.append(
                        ShareSegment(
                            start=s, end=e, days=n, in_force=False, reason=d.reason,
                            version=None, agreement_id=agreement, percent=None,
                            revenue_usd=None, transfer_usd=Decimal("0.00"), cap=None,
                            cap_usd=None, cap_reached_on=None,
                        )
                    )  # fmt: skip
                    continue
                am = _amendment(cl, d.amendment)
                text = cl.amended(am) if am is not None and am.action == "modify" else cl
                assert isinstance(text, RevenueShare)
                stream = _resolve_stream(sc, text, where, problems)
                cap = _cap_kind(text, am)
                common = {
                    "start": s, "end": e, "days": n, "in_force": True, "reason": None,
                    "version": d.amendment or "as signed", "agreement_id": agreement,
                    "percent": text.percent, "cap": cap,
                    "cap_usd": None if text.cap_usd is None else Decimal(text.cap_usd),
                }  # fmt: skip
                amounts = (
                    [revenue[(st, year)] for st in stream.streams if (st, year) in revenue]
                    if stream.streams is not None
                    else []
                )
                if stream.streams is None or not amounts:
                    why = stream.why or (
                        f"no revenue row for {', '.join(stream.streams or ())} in {year}"
                    )
                    paid_unknown = True
                    segs.append(
                        ShareSegment(
                            **common, revenue_usd=None, transfer_usd=None, cap_reached_on=None,
                            note=f"unquantified: {why}",
                        )
                    )  # fmt: skip
                    continue
                stream_used = tuple(sorted(stream.streams))
                year_usd = sum(amounts, Decimal(0))
                seg_revenue = EXACT.divide(EXACT.multiply(year_usd, n), n_year)
                owed = EXACT.divide(EXACT.multiply(seg_revenue, text.percent), 100)
                reached: date | None = None
                note: str | None = None
                if text.cap_usd is not None:
                    room = max(Decimal(0), Decimal(text.cap_usd) - paid.exact)
                    if owed >= room and not cap_hit:
                        per_day = EXACT.divide(owed, n)
                        k = max(1, math.ceil(room / per_day)) if per_day > 0 else 1
                        reached = s + timedelta(days=min(k, n) - 1)
                        cap_hit = True
                    owed = min(owed, room)
                    if paid_unknown:
                        note = "upper bound: earlier transfers under this clause are unquantified"
                if cap == "undisclosed":
                    note = "upper bound: capped at an undisclosed amount"
                segs.append(
                    ShareSegment(
                        **common, revenue_usd=cents(seg_revenue), transfer_usd=paid.add(owed),
                        cap_reached_on=reached, note=note,
                    )
                )  # fmt: skip
            if year not in wanted:
                continue
            quantified = all(g.transfer_usd is not None for g in segs)
            total = sum((g.transfer_usd or Decimal(0) for g in segs), Decimal("0.00"))
            rows.append(
                ShareYear(
                    clause_id=cl.id,
                    contract_id=contract.id,
                    year=year,
                    payer=cl.payer,
                    payee=cl.payee,
                    revenue_stream=cl.revenue_stream,
                    streams=list(stream_used) if stream_used is not None else None,
                    transfer_usd=total if quantified else None,
                    quantified=quantified,
                    upper_bound=any(
                        g.cap == "undisclosed" or (g.note or "").startswith("upper bound")
                        for g in segs
                    ),
                    segments=segs,
                )
            )
    if problems:
        raise InputError(_unique(problems))
    return RevenueShares(
        scenario_id=scenario.id,
        lab=sc.lab_id(),
        years=wanted,
        without=resolved.names,
        transfers=rows,
        net=_net(rows, wanted),
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def _net(rows: list[ShareYear], years: list[int]) -> list[NetYear]:
    pairs = sorted({tuple(sorted((r.payer, r.payee))) for r in rows})
    out: list[NetYear] = []
    for year in years:
        for a, b in pairs:
            these = [r for r in rows if r.year == year and {r.payer, r.payee} == {a, b}]
            live = [r for r in these if any(g.in_force for g in r.segments)]
            if not live:
                continue
            ab = sum((r.transfer_usd or 0 for r in these if r.payer == a), Decimal("0.00"))
            ba = sum((r.transfer_usd or 0 for r in these if r.payer == b), Decimal("0.00"))
            unknown = sorted(r.clause_id for r in these if not r.quantified)
            net = ab - ba
            payer = a if net > 0 else b if net < 0 else None
            less = more = False  # could the net payer owe less, or more, than net_usd?
            for r in these:
                if not r.quantified or r.upper_bound:
                    by_payer = r.payer == payer
                    if not r.quantified:
                        more, less = more or by_payer, less or not by_payer
                    else:
                        less, more = less or by_payer, more or not by_payer
            bound: Literal["exact", "upper", "lower", "unknown"] = (
                "unknown"
                if (less and more) or (payer is None and (less or more))
                else "upper"
                if less
                else "lower"
                if more
                else "exact"
            )
            out.append(
                NetYear(
                    year=year,
                    party_a=a,
                    party_b=b,
                    a_to_b_usd=ab,
                    b_to_a_usd=ba,
                    net_usd=abs(net),
                    net_payer=payer,
                    complete=not unknown,
                    unquantified=unknown,
                    bound=bound,
                )
            )
    return out
