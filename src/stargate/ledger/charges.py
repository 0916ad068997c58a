"""What a simulated run costs, as ledger entries: ``reservation``, monthly ``charge`` and
``commitment_drawdown`` entries (``stargate simulate --db``), and ``decision`` entries of the
broker (``stargate place --db``). docs/ledger.md "Charges" gives the rules; in short:

* one ``reservation`` entry per placed procurement row (the reservation it made: id, term,
  accelerators, contract price, ROFR verdict, the term's value), world time its decision day;
* one ``charge`` entry per calendar month, provider, site and accelerator type the lab holds
  capacity in, world time the month's first day in the run. Its ``parts`` are the
  reservations and own pools behind it. Money, all decimal strings of USD to the cent:
  ``committed_usd`` (take-or-pay: all that is held, used or not), ``used_usd``, ``idle_usd`` =
  committed − used, ``list_cost_usd`` (the price rule's on-demand price × the hours held),
  ``contracted_cost_usd`` (the contract price × the hours held: the committed amount),
  ``effective_cost_usd`` (what the month costs after commitments, amortised: the committed
  amount, since a reservation is paid whether used or not) and ``billed_cost_usd`` (what the
  month's invoice carries: the committed amount, billed monthly). ``amount_usd`` is the billed
  cost;
* a ``commitment_drawdown`` entry per committed-spend clause and year that drew on it
  (:func:`stargate.money.commitments.commitments`), and, where a commitment's period ended in
  the run short of its amount, a ``charge`` of ``charge_type`` ``commitment_shortfall`` (the
  take-or-pay true-up, billed on the period's last day).

The sums are exact: per (year, provider, site) the months' ``committed_usd`` add up to the
summary's ``spend_by_year[].committed_by_site_usd``, and per (year, provider) the months'
``used_usd`` to its ``used_usd``, to the cent. Rounding each month on its own would not (a cent
here and there): each year's amount is split over its months and parts by largest remainder
(:func:`allocate_cents`), in proportion to the exact amounts.

A run is recorded under its own run id, ``sim-`` + 16 hex digits of a hash of its provenance
(scenario hash, Stargate version, seed, clauses off) and settings, so simulated runs never mix
with a live service's record (run id null) and recording the same run twice appends nothing
the second time (the run id is the idempotency key).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from stargate.errors import InternalError
from stargate.ledger.entry import EntryIn

if TYPE_CHECKING:
    from stargate.domain.model import Scenario
    from stargate.ledger.core import Ledger

CENT = Decimal("0.01")
#: Accelerator-hours are written to six decimal places (a unit price × this quantity is then
#: within half a cent of the cost in every month Stargate simulates).
HOURS_QUANTUM = Decimal("0.000001")
#: The actor of the entries a simulated run writes, when the scenario names no lab.
SIM_ACTOR = "stargate.sim"


def usd(value: Decimal) -> str:
    """A decimal string of USD to the cent (half up)."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _cents(value: Decimal) -> int:
    return int((value / CENT).to_integral_value(rounding=ROUND_HALF_UP))


def _from_cents(n: int) -> Decimal:
    return (Decimal(n) * CENT).quantize(CENT)


def allocate_cents(
    total: int, weights: Sequence[Decimal], caps: Sequence[int] | None = None
) -> list[int]:
    """Split ``total`` cents over items in proportion to ``weights`` (largest remainder, ties
    to the earlier item), none above its cap: the parts add up to ``total`` exactly.

    Items at their cap are fixed and the rest is split again over the others. With all
    weights zero the split is in proportion to the caps (else equal). ``total`` above the sum
    of the caps is an internal error (the caller's amounts do not fit)."""
    n = len(weights)
    out = [0] * n
    if total == 0 or n == 0:
        if total != 0:
            raise InternalError(f"{total} cents to split over no items")
        return out
    if caps is not None and total > sum(caps):
        raise InternalError(f"{total} cents do not fit under caps summing to {sum(caps)}")
    active = [i for i in range(n) if caps is None or caps[i] > 0]
    left = total
    while left > 0:
        w = {i: max(weights[i], Decimal(0)) for i in active}
        if sum(w.values()) <= 0:
            w = {i: Decimal(caps[i]) if caps is not None else Decimal(1) for i in active}
        whole = sum(w.values())
        share = {i: Decimal(left) * w[i] / whole for i in active}
        base = {i: int(share[i]) for i in active}  # shares are ≥ 0: int() is the floor
        rest = left - sum(base.values())
        for i in sorted(active, key=lambda i: (-(share[i] - base[i]), i))[:rest]:
            base[i] += 1
        over = [i for i in active if caps is not None and out[i] + base[i] > caps[i]]
        if not over:
            for i in active:
                out[i] += base[i]
            return out
        assert caps is not None
        for i in over:  # fix the items that would pass their cap, split the rest again
            left -= caps[i] - out[i]
            out[i] = caps[i]
        active = [i for i in active if i not in over]
        if not active and left > 0:
            raise InternalError("cents left over with every item at its cap")
    return out


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar months of ``first``..``last`` cut to it: (first day, last day) each."""
    out = []
    d = first
    while d <= last:
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        out.append((d, min(nxt - timedelta(days=1), last)))
        d = nxt
    return out


def _month_end_exclusive(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def decimal_of(value: Any) -> Decimal:
    """A number of the engines as a Decimal (a float by its shortest repr: no binary noise)."""
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)


@dataclass(slots=True)
class _Part:
    """One held item's share of one month: a reservation or an own pool."""

    month: tuple[date, date]
    held: HeldItem
    start: date
    end: date
    hours: int  # accelerator-hours held
    exact_usd: Decimal
    raw_used: Decimal = Decimal(0)
    committed_c: int = 0
    used_c: int = 0


@dataclass(frozen=True)
class RunRecord:
    """The entries a run writes, and under which run id."""

    run_id: str
    provenance: dict[str, Any]
    entries: list[EntryIn]

    def count(self, kind: str) -> int:
        return sum(1 for e in self.entries if e.kind == kind)


def run_id_for(prefix: str, provenance: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
    """``prefix-`` + 16 hex digits of SHA-256 over the provenance and settings (canonical
    JSON): the same run, the same id."""
    text = json.dumps(
        {"provenance": provenance, "settings": settings},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return f"{prefix}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


@dataclass(frozen=True, slots=True)
class HeldItem:
    """Capacity the lab held in the run, as the ledger needs it: a reservation or an own pool,
    its contract price (what an hour costs the lab) and the price rule's list (on-demand)
    price of an hour of it (None: the contract price)."""

    id: str
    kind: str  # "reservation" | "own"
    provider: str
    site: str
    accelerator: str
    accelerators: int
    start: date
    end: date | None
    price_usd_per_accelerator_hour: Decimal
    list_price_usd_per_accelerator_hour: Decimal | None = None
    workload_classes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReservationMade:
    """A placed procurement row: the reservation it made."""

    reservation_id: str
    request_id: str
    request_source: str
    decided_on: date
    provider: str | None
    site: str | None
    accelerator: str | None
    accelerators: int
    term_start: date
    term_end: date
    price_usd_per_accelerator_hour: Decimal | None
    rofr: str
    rofr_offer_id: str | None
    decided_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class Drawdown:
    """What a committed-spend clause took of a year's spend with its seller."""

    clause_id: str
    contract_id: str
    buyer: str
    seller: str
    providers: tuple[str, ...]
    year: int
    commitment_usd: Decimal
    spend_with_seller_usd: Decimal
    in_period_usd: Decimal
    drawn_usd: Decimal
    period_start: date
    period_end: date | None


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A commitment whose period ended in the run short of its amount: the true-up owed."""

    clause_id: str
    contract_id: str
    buyer: str
    seller: str
    providers: tuple[str, ...]
    commitment_usd: Decimal
    drawn_usd: Decimal
    shortfall_usd: Decimal
    period_end: date


@dataclass
class ChargeInputs:
    """Everything :func:`run_entries` reads of a run, in plain data (the ledger imports no
    engine; :mod:`stargate.recording` makes this from a ``SimResult``).

    ``committed_by_site_usd`` and ``used_usd`` are the summary's ``spend_by_year`` figures the
    months must add up to; ``busy_usd`` is what jobs kept busy per (day, provider, site,
    accelerator) at the capacity's price, ``served_usd`` what inference used per (year,
    provider); ``busy_usd_by_held`` the same per (day, held id) where the simulator ran the
    item as a pool of its own (a reservation), which is exact; ``inference_classes`` the
    classes of kind inference (inference's used spend goes to the items that may serve them).
    """

    run_id: str
    provenance: dict[str, Any]
    scenario_id: str
    lab: str
    first: date
    last: date
    held: list[HeldItem]
    committed_by_site_usd: dict[tuple[int, str, str], Decimal]
    used_usd: dict[tuple[int, str], Decimal]
    busy_usd: dict[tuple[date, str, str, str], Decimal] = field(default_factory=dict)
    busy_usd_by_held: dict[tuple[date, str], Decimal] = field(default_factory=dict)
    served_usd: dict[tuple[int, str], Decimal] = field(default_factory=dict)
    inference_classes: frozenset[str] = frozenset()
    owners: dict[str, str | None] = field(default_factory=dict)
    reservations: list[ReservationMade] = field(default_factory=list)
    drawdowns: list[Drawdown] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    #: other entries of the run, in plain data: (kind, world day, actor, body) — revenue-share
    #: transfers per clause and year, and contract events (signed, agreements) in the run
    events: list[tuple[str, date, str, dict[str, Any]]] = field(default_factory=list)


def reservation_ids(rows: Iterable[Any]) -> dict[int, str]:
    """Row index → the id of the reservation a placed procurement row made (``REQUEST-k``:
    the broker numbers a request's reservations in the order of its placed rows)."""
    seen: dict[str, int] = {}
    out: dict[int, str] = {}
    for i, row in enumerate(rows):
        if row.placed:
            seen[row.request_id] = seen.get(row.request_id, 0) + 1
            out[i] = f"{row.request_id}-{seen[row.request_id]}"
    return out


def run_entries(inp: ChargeInputs) -> RunRecord:
    """The ledger entries of a run (see the module docstring)."""
    run_id, provenance, lab = inp.run_id, inp.provenance, inp.lab
    actor = lab or SIM_ACTOR
    common = {"run": {"scenario": inp.scenario_id, "first_day": inp.first, "last_day": inp.last}}
    entries: list[EntryIn] = []

    def add(kind: str, when: datetime, body: dict[str, Any], who: str = actor) -> None:
        entries.append(EntryIn(kind, who, when, body, run_id=run_id, provenance=provenance))

    # -- reservations: one per placed procurement row
    offer_of: dict[str, str | None] = {}
    for r in inp.reservations:
        offer_of[r.reservation_id] = r.rofr_offer_id
        price = r.price_usd_per_accelerator_hour
        days = (r.term_end - r.term_start).days + 1
        add(
            "reservation",
            _midnight(r.decided_on),
            {
                "reservation_id": r.reservation_id,
                "request_id": r.request_id,
                "request_source": r.request_source,
                "buyer": lab,
                "provider": r.provider,
                "site": r.site,
                "accelerator": r.accelerator,
                "accelerators": r.accelerators,
                "term_start": r.term_start,
                "term_end": r.term_end,
                "contract_price_usd_per_accelerator_hour": price,
                "term_value_usd": None
                if price is None
                else usd(price * r.accelerators * days * 24),
                "rofr": r.rofr,
                "rofr_offer_id": r.rofr_offer_id,
                "decided_by": r.decided_by,
                "reason": r.reason,
                "amount_usd": None,
                **common,
            },
        )

    # -- monthly charges: the parts (held item × month), committed exact
    months = _months(inp.first, inp.last)
    parts: list[_Part] = []
    for h in sorted(inp.held, key=lambda h: (h.provider, h.site, h.accelerator, h.id)):
        price = h.price_usd_per_accelerator_hour
        for m in months:
            a = max(h.start, m[0])
            b = m[1] if h.end is None else min(h.end, m[1])
            if b < a:
                continue
            hours = ((b - a).days + 1) * 24 * h.accelerators
            parts.append(_Part(m, h, a, b, hours, price * hours))
    # committed: each (year, provider, site) of the summary split over its parts
    by_site: dict[tuple[int, str, str], list[_Part]] = {}
    for p in parts:
        by_site.setdefault((p.month[0].year, p.held.provider, p.held.site), []).append(p)
    for key, group in by_site.items():
        target = inp.committed_by_site_usd.get(key)
        if target is None:
            raise InternalError(f"no committed spend in the summary for {key}")
        cents = allocate_cents(_cents(target), [p.exact_usd for p in group])
        for p, c in zip(group, cents, strict=True):
            p.committed_c = c
    stray = [k for k, v in inp.committed_by_site_usd.items() if k not in by_site and v != 0]
    if stray:
        raise InternalError(f"committed spend without capacity held: {sorted(stray)}")
    # used: jobs' per (month, provider, site, type), spread over the group's parts by what
    # each holds; inference's per (year, provider) over that provider-year's parts
    pools: dict[tuple[date, str, str, str], list[_Part]] = {}
    own: dict[tuple[date, str], _Part] = {}
    for p in parts:
        month = p.month[0].replace(day=1)
        pools.setdefault((month, p.held.provider, p.held.site, p.held.accelerator), []).append(p)
        own[(month, p.held.id)] = p
    busy: dict[tuple[date, str, str, str], Decimal] = {}
    for (day, provider, site, acc), v in inp.busy_usd.items():
        k = (day.replace(day=1), provider, site, acc)
        busy[k] = busy.get(k, Decimal(0)) + v
    for key4, raw in busy.items():
        _spread(pools.get(key4, []), raw)
    for (day, held_id), v in inp.busy_usd_by_held.items():
        part = own.get((day.replace(day=1), held_id))
        if part is not None:
            part.raw_used += v
        else:  # not held that month (cannot happen: a pool runs only in its term)
            raise InternalError(f"busy on {held_id} on {day} when it was not held")
    by_year: dict[tuple[int, str], list[_Part]] = {}
    for p in parts:
        by_year.setdefault((p.month[0].year, p.held.provider), []).append(p)
    for key2, served in inp.served_usd.items():
        group = by_year.get(key2, [])
        serving = [
            p
            for p in group
            if not p.held.workload_classes or set(p.held.workload_classes) & inp.inference_classes
        ]
        _spread(serving or group, served)
    for key2, group in by_year.items():
        target = inp.used_usd.get(key2, Decimal(0))
        cents = allocate_cents(
            _cents(target), [p.raw_used for p in group], [p.committed_c for p in group]
        )
        for p, c in zip(group, cents, strict=True):
            p.used_c = c
    # one entry per (month, provider, site, type, workload class)
    groups: dict[tuple[date, str, str, str, str], list[_Part]] = {}
    for p in parts:
        wc = p.held.workload_classes
        key5 = (
            p.month[0].replace(day=1),
            p.held.provider,
            p.held.site,
            p.held.accelerator,
            wc[0] if len(wc) == 1 else "",
        )
        groups.setdefault(key5, []).append(p)
    for key5, group in sorted(groups.items()):
        add(
            "charge", _midnight(group[0].month[0]), _charge_body(key5, group, inp, offer_of, common)
        )

    # -- committed spend: draw-downs per clause and year, shortfalls as true-up charges
    for d in inp.drawdowns:
        add(
            "commitment_drawdown",
            _midnight(max(date(d.year, 1, 1), d.period_start, inp.first)),
            {
                "clause_id": d.clause_id,
                "contract_id": d.contract_id,
                "buyer": d.buyer,
                "seller": d.seller,
                "providers": list(d.providers),
                "year": d.year,
                "commitment_usd": usd(d.commitment_usd),
                "spend_with_seller_usd": usd(d.spend_with_seller_usd),
                "in_period_usd": usd(d.in_period_usd),
                "drawn_usd": usd(d.drawn_usd),
                "amount_usd": usd(d.drawn_usd),
                "period_start": d.period_start,
                "period_end": d.period_end,
                **common,
            },
            who=d.buyer,
        )
    for f in inp.shortfalls:
        end = f.period_end
        amount = usd(f.shortfall_usd)
        add(
            "charge",
            _midnight(end),
            {
                "charge_type": "commitment_shortfall",
                "clause_id": f.clause_id,
                "contract_id": f.contract_id,
                "period_start": end,
                "period_end_exclusive": end + timedelta(days=1),
                "billing_period_start": end.replace(day=1),
                "billing_period_end_exclusive": _month_end_exclusive(end),
                "buyer": f.buyer,
                "seller": f.seller,
                "provider": f.providers[0] if len(f.providers) == 1 else None,
                "providers": list(f.providers),
                "commitment_usd": usd(f.commitment_usd),
                "drawn_usd": usd(f.drawn_usd),
                "list_cost_usd": amount,
                "contracted_cost_usd": amount,
                "effective_cost_usd": amount,
                "billed_cost_usd": amount,
                "amount_usd": amount,
                **common,
            },
            who=f.buyer,
        )
    # -- revenue-share transfers and contract events
    for kind, day, who, body in inp.events:
        add(kind, _midnight(day), {**body, **common}, who=who)
    return RunRecord(run_id, provenance, entries)


def _spread(group: Sequence[_Part], amount: Decimal) -> None:
    """Add ``amount`` of raw used spend to ``group``'s parts in proportion to what each
    holds (nothing to spread it on: dropped, as the summary's used is capped by what is
    held)."""
    whole = sum((p.exact_usd for p in group), Decimal(0))
    if not group or whole <= 0:
        return
    for p in group:
        p.raw_used += amount * p.exact_usd / whole


def _charge_body(
    key5: tuple[date, str, str, str, str],
    group: Sequence[_Part],
    inp: ChargeInputs,
    offer_of: Mapping[str, str | None],
    common: Mapping[str, Any],
) -> dict[str, Any]:
    month_start, provider, site, acc, workload_class = key5
    m = group[0].month
    body_parts = []
    committed_c = used_c = list_c_total = 0
    hours_c = 0
    hours_u = Decimal(0)
    for p in group:
        h = p.held
        price = h.price_usd_per_accelerator_hour
        lp = h.list_price_usd_per_accelerator_hour
        lp = price if lp is None else lp
        used_hours = (
            (_from_cents(p.used_c) / price).quantize(HOURS_QUANTUM) if price else Decimal(0)
        )
        list_c = _cents(lp * p.hours)
        committed_c += p.committed_c
        used_c += p.used_c
        list_c_total += list_c
        hours_c += p.hours
        hours_u += used_hours
        body_parts.append(
            {
                "held_id": h.id,
                "held_kind": h.kind,
                "reservation_id": h.id if h.kind == "reservation" else None,
                "rofr_offer_id": offer_of.get(h.id),
                "workload_classes": sorted(h.workload_classes),
                "accelerators": h.accelerators,
                "term_start": h.start,
                "term_end": h.end,
                "period_start": p.start,
                "period_end_exclusive": p.end + timedelta(days=1),
                "accelerator_hours_committed": p.hours,
                "accelerator_hours_used": str(used_hours),
                "contract_price_usd_per_accelerator_hour": price,
                "list_price_usd_per_accelerator_hour": lp,
                "committed_usd": usd(_from_cents(p.committed_c)),
                "used_usd": usd(_from_cents(p.used_c)),
                "idle_usd": usd(_from_cents(p.committed_c - p.used_c)),
                "list_cost_usd": usd(_from_cents(list_c)),
            }
        )
    committed = usd(_from_cents(committed_c))
    return {
        "charge_type": "capacity",
        "period_start": m[0],
        "period_end_exclusive": m[1] + timedelta(days=1),
        "billing_period_start": month_start,
        "billing_period_end_exclusive": _month_end_exclusive(month_start),
        "buyer": inp.lab,
        "provider": provider,
        "seller": inp.owners.get(provider),
        "site": site,
        "accelerator": acc,
        "workload_class": workload_class or None,
        "accelerator_hours_committed": hours_c,
        "accelerator_hours_used": str(hours_u),
        "committed_usd": committed,
        "used_usd": usd(_from_cents(used_c)),
        "idle_usd": usd(_from_cents(committed_c - used_c)),
        "list_cost_usd": usd(_from_cents(list_c_total)),
        "contracted_cost_usd": committed,
        "effective_cost_usd": committed,
        "billed_cost_usd": committed,
        "amount_usd": committed,
        "parts": body_parts,
        **common,
    }


@dataclass(frozen=True)
class Recorded:
    """What recording did: the run id, how many entries were appended (0: already there)."""

    run_id: str
    appended: int
    already: bool
    by_kind: dict[str, int]

    def message(self, url: str) -> str:
        if self.already:
            return f"run {self.run_id} is already in the ledger at {url}: nothing appended"
        kinds = ", ".join(f"{n:,} {k}" for k, n in sorted(self.by_kind.items()))
        return f"recorded run {self.run_id} in the ledger at {url}: {kinds}"


def record(ledger: Ledger, run: RunRecord) -> Recorded:
    """Append ``run``'s entries in one transaction (one batched insert: the run is recorded
    whole or not at all, so a failure never leaves part of a run that would then count as
    recorded), unless the ledger holds entries of its run id already (then nothing: the same
    run recorded twice)."""
    by_kind: dict[str, int] = {}
    for e in run.entries:
        by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
    if has_run(ledger, run.run_id):
        return Recorded(run.run_id, 0, True, by_kind)
    n = len(ledger.append(run.entries))
    return Recorded(run.run_id, n, False, by_kind)


# --------------------------------------------------------------------------- decisions


def _money_safe(value: Any, money: bool = False) -> Any:
    """A decision's JSON with every float under a money key (``*_usd``, ``*_usd_*``) as the
    Decimal of its shortest repr (the ledger refuses money as a float)."""
    if isinstance(value, dict):
        return {
            k: _money_safe(v, money or k.endswith("_usd") or "_usd_" in k) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_money_safe(v, money) for v in value]
    if isinstance(value, float) and money:
        return decimal_of(value)
    return value


def _money_safe_top(body: dict[str, Any]) -> dict[str, Any]:
    """:func:`_money_safe`, with amounts (keys ending in ``_usd``) to the cent at any depth."""
    out = _money_safe(body)

    def cents(v: Any, key: str = "") -> Any:
        if isinstance(v, dict):
            return {k: cents(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return [cents(x, key) for x in v]
        if isinstance(v, Decimal) and key.endswith("_usd"):
            return v.quantize(CENT, rounding=ROUND_HALF_UP)
        return v

    result: dict[str, Any] = cents(out)
    return result


def decision_entries(
    decisions: Iterable[Any],
    scenario: Scenario,
    moment: datetime,
    *,
    seed: int,
    without: Sequence[str],
    settings: Mapping[str, Any],
) -> tuple[str, dict[str, Any], Iterable[EntryIn]]:
    """``decision`` entries of the broker's decisions (each its ``to_dict()``: the candidates,
    why each was rejected, the clause that decided), with the run id and provenance of the
    placement (``place-`` + a hash of the scenario, version, seed, clauses off, the request
    file and the moment). The entries are made as the decisions come."""
    from stargate.domain.provenance import for_scenario

    provenance = for_scenario(scenario, seed=seed, clauses_off=list(without)).model_dump(
        mode="json"
    )
    run_id = run_id_for("place", provenance, {"at": moment.isoformat(), **settings})
    lab = scenario.lab_id()

    def gen() -> Iterable[EntryIn]:
        for d in decisions:
            body = _money_safe_top(d.to_dict())
            body["amount_usd"] = None  # a decision bills nothing (its cost_usd is an estimate)
            actor = str(body.get("requester") or lab)
            yield EntryIn("decision", actor, moment, body, run_id=run_id, provenance=provenance)

    return run_id, provenance, gen()


def record_stream(ledger: Ledger, entries: Iterable[EntryIn]) -> int:
    """Append a stream of entries in one transaction (made as they come, appended whole at
    the end); the number appended."""
    return len(ledger.append(list(entries)))


def has_run(ledger: Ledger, run_id: str) -> bool:
    """Whether the ledger holds any entry of ``run_id``."""
    return next(iter(ledger.entries(run_id=run_id, limit=1)), None) is not None


__all__ = [
    "ChargeInputs",
    "Drawdown",
    "HeldItem",
    "Recorded",
    "ReservationMade",
    "RunRecord",
    "Shortfall",
    "allocate_cents",
    "decimal_of",
    "decision_entries",
    "has_run",
    "record",
    "record_stream",
    "reservation_ids",
    "run_entries",
    "run_id_for",
    "usd",
]
