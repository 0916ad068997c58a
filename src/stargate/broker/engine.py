"""The broker: place one request at a moment, given the free capacity of every pool.

How a decision is made (see docs/concepts.md for the clause semantics):

1. Every pool of the scenario is a candidate. Each is checked, vectorised over all pools at
   once with numpy: accelerator type (allowed and throughput > 0 for the class), online at the
   start, not in a scripted outage, free capacity, deadline, the request's price cap, a price.
2. **Exclusivity** (hard): if a clause in force makes the class exclusive to a provider, every
   pool elsewhere is rejected, whatever happens next.
3. **Right of first refusal**: if a clause in force puts the request in scope, the holder's
   pools are checked against the requirements the clause lists (capacity, accelerator_type,
   deadline, price — the price against the clause's cap). If some holder pool meets all of them,
   the request is *offered* to the holder, whose responder answers. Accept: placed with the
   holder (starting no earlier than the answer). Decline, or no answer within the response
   window: released to the other providers, starting no earlier than the release. If no holder
   pool meets them, the request is released at once, and the decision names the requirements
   that the holder's closest pool failed.
4. **Objective** among what remains: ``cost`` (default), ``time`` (earliest finish) or
   ``mix:W`` (W × normalised cost + (1 − W) × normalised time). Ties are broken by cost or
   finish, then by (provider, site, pool) id, so equal inputs give equal decisions.

Capacity is consumed when a decision is committed (``decide_many`` consumes in order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from stargate.broker.decision import Candidate, Decision, ExclusivityInfo, RofrInfo, StartMove
from stargate.broker.request import Request
from stargate.broker.responders import AcceptWhenAble, Offer, Responder
from stargate.contracts.state import resolve_clause_selector
from stargate.domain.costs import Pricing, hourly_cost
from stargate.domain.limits import LATEST_DAY, LATEST_INSTANT
from stargate.domain.model import (
    Exclusivity,
    Requirement,
    RightOfFirstRefusal,
    Scenario,
    WorkloadKind,
)
from stargate.errors import InputError, Problem, did_you_mean

EPOCH = datetime(1970, 1, 1)
#: The detail levels of an explained decision (see :class:`Broker`).
DETAILS = ("full", "summary", "chosen")
CENT = Decimal("0.01")
FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int64]
BArray = npt.NDArray[np.bool_]


def ts(moment: datetime) -> float:
    """Seconds since the epoch of a naive UTC datetime."""
    return (moment - EPOCH).total_seconds()


def from_ts(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=round(seconds, 3))


def _day_ts(day: date) -> float:
    return ts(datetime(day.year, day.month, day.day))


# --------------------------------------------------------------------------- objective


@dataclass(frozen=True, slots=True)
class Objective:
    kind: str  # cost | time | mix
    weight: float = 1.0  # weight of cost in "mix"

    @property
    def label(self) -> str:
        return f"mix:{self.weight:g}" if self.kind == "mix" else self.kind


def parse_objective(text: str) -> Objective:
    """``cost``, ``time`` or ``mix:W`` with 0 ≤ W ≤ 1 the weight of cost."""
    name, _, arg = text.strip().partition(":")
    if name in ("cost", "time") and not arg:
        return Objective(name)
    if name == "mix":
        try:
            w = float(arg)
        except ValueError:
            w = -1.0
        if 0.0 <= w <= 1.0:
            return Objective("mix", w)
        raise InputError(
            Problem(
                f"objective '{text}': the weight must be a number in [0, 1]",
                path="--objective",
                expected="mix:0.5",
            )
        )
    raise InputError(
        Problem(
            f"unknown objective '{text}'",
            path="--objective",
            expected="cost, time or mix:W",
            hint=did_you_mean(name, ["cost", "time", "mix"], list_valid=False),
        )
    )


# --------------------------------------------------------------------------- fleet index


class FleetIndex:
    """Static per-pool arrays of a scenario, built once and shared by decisions."""

    def __init__(self, scenario: Scenario, pricing: Pricing = "on_demand") -> None:
        self.scenario = scenario
        providers = {p.id: p for p in scenario.providers}
        accs = {a.id: a for a in scenario.accelerators}
        self.provider_ids = [p.id for p in scenario.providers]
        prov_pos = {pid: i for i, pid in enumerate(self.provider_ids)}
        self.acc_ids = [a.id for a in scenario.accelerators]
        acc_pos = {aid: i for i, aid in enumerate(self.acc_ids)}
        self.class_ids = [c.id for c in scenario.workload_classes]
        pool_ids: list[str] = []
        site_ids: list[str] = []
        prov_idx: list[int] = []
        acc_idx: list[int] = []
        counts: list[int] = []
        online: list[float] = []
        price: list[float] = []
        self.price_dec: list[Decimal | None] = []
        energy: list[float] = []
        self.outages: dict[int, list[tuple[float, float]]] = {}
        self.owners = {p.id: p.owner for p in scenario.providers}
        for site in scenario.sites:
            prov = providers[site.provider]
            for pool in site.pools:
                i = len(pool_ids)
                acc = accs[pool.accelerator]
                pool_ids.append(pool.id)
                site_ids.append(site.id)
                prov_idx.append(prov_pos[prov.id])
                acc_idx.append(acc_pos[acc.id])
                counts.append(pool.count)
                day = pool.available_from
                if pool.phase is not None:
                    ph = site.phase(pool.phase)
                    if ph is not None and ph.online > day:
                        day = ph.online
                online.append(_day_ts(day))
                hc = hourly_cost(scenario, prov, site, acc, pricing)
                if hc is None:
                    price.append(float("nan"))
                    self.price_dec.append(None)
                else:
                    total = hc.total_usd
                    price.append(float(total))
                    self.price_dec.append(total)
                energy.append(float(hc.energy_mwh) if hc else 0.0)
                outs = [
                    (_day_ts(o.start), _day_ts(o.end) + 86400.0)
                    for o in site.outages
                    if not o.pools or pool.id in o.pools
                ]
                if outs:
                    self.outages[i] = outs
        # Pools are kept in (provider, site, pool) id order: the position is the tie-break, so
        # the first of several equally good pools is the one to take.
        order = sorted(
            range(len(pool_ids)),
            key=lambda i: (self.provider_ids[prov_idx[i]], site_ids[i], pool_ids[i]),
        )
        new_pos = {old: new for new, old in enumerate(order)}
        pool_ids = [pool_ids[i] for i in order]
        site_ids = [site_ids[i] for i in order]
        prov_idx = [prov_idx[i] for i in order]
        acc_idx = [acc_idx[i] for i in order]
        counts = [counts[i] for i in order]
        online = [online[i] for i in order]
        price = [price[i] for i in order]
        self.price_dec = [self.price_dec[i] for i in order]
        energy = [energy[i] for i in order]
        self.outages = {new_pos[i]: spans for i, spans in self.outages.items()}
        self.pool_ids = pool_ids
        self.pool_pos = {pid: i for i, pid in enumerate(pool_ids)}
        self.site_ids = site_ids
        self.prov_idx = np.asarray(prov_idx, dtype=np.int64)
        self.acc_idx = np.asarray(acc_idx, dtype=np.int64)
        self.count = np.asarray(counts, dtype=np.int64)
        self.online_ts = np.asarray(online, dtype=np.float64)
        self.price = np.asarray(price, dtype=np.float64)
        self.has_price = ~np.isnan(self.price)
        self.energy_mw = np.asarray(energy, dtype=np.float64)
        thr = np.zeros((len(self.class_ids), len(self.acc_ids)), dtype=np.float64)
        for a, acc in enumerate(scenario.accelerators):
            for c, cid in enumerate(self.class_ids):
                thr[c, a] = acc.throughput_for(cid)
        self._thr_by_class: dict[str, FArray] = {
            cid: thr[c][self.acc_idx] for c, cid in enumerate(self.class_ids)
        }
        self.tie = np.arange(len(pool_ids), dtype=np.int64)
        self._type_masks: dict[tuple[str, ...] | None, BArray] = {}
        self._provider_masks: dict[tuple[str, ...], BArray] = {}
        self._static: dict[tuple[str, tuple[str, ...] | None], BArray] = {}
        self._classes: dict[str, ClassArrays] = {}
        self._holders: dict[str, BArray] = {}
        self._caps: dict[Decimal, BArray] = {}
        self._consts: dict[int, IArray] = {}
        self.price_inf = np.where(self.has_price, self.price, np.inf)
        self.all_true = np.ones(len(pool_ids), dtype=bool)
        self._online_key = float("nan")
        self._all_reqs: dict[str, bool] = {}
        self._fconsts: dict[float, FArray] = {}
        self._needed: dict[tuple[str, int], IArray] = {}
        self._online_mask = self.all_true

    @property
    def size(self) -> int:
        return len(self.pool_ids)

    def thr(self, class_id: str) -> FArray:
        return self._thr_by_class[class_id]

    def class_arrays(self, class_id: str) -> ClassArrays:
        arrays = self._classes.get(class_id)
        if arrays is None:
            thr = self._thr_by_class[class_id]
            ok = thr > 0
            safe = np.where(ok, thr, 1.0)
            arrays = ClassArrays(
                thr=thr,
                thr_ok=ok,
                inv_thr=np.where(ok, 1.0 / safe, np.inf),
                inv_thr0=np.where(ok, 1.0 / safe, 0.0),
            )
            self._classes[class_id] = arrays
        return arrays

    def static_mask(self, class_id: str, types: Sequence[str] | None) -> BArray:
        """Pools of an allowed type that can run the class and have a price."""
        key = (class_id, None if types is None else tuple(sorted(types)))
        mask = self._static.get(key)
        if mask is None:
            mask = self.type_mask(types) & self.class_arrays(class_id).thr_ok & self.has_price
            self._static[key] = mask
        return mask

    def holder_mask(self, rofr: RightOfFirstRefusal) -> BArray:
        """Pools of the providers through which a ROFR holder meets requests."""
        mask = self._holders.get(rofr.id + "|" + rofr.holder)
        if mask is None:
            provs = rofr.holder_providers or [p for p, o in self.owners.items() if o == rofr.holder]
            mask = self.provider_mask(provs)
            self._holders[rofr.id + "|" + rofr.holder] = mask
        return mask

    def all_requirements(self, rofr: RightOfFirstRefusal) -> bool:
        """Whether a ROFR clause lists every requirement (the common, fast case)."""
        hit = self._all_reqs.get(rofr.id)
        if hit is None:
            hit = len(set(rofr.requirements)) == len(Requirement)
            self._all_reqs[rofr.id] = hit
        return hit

    def holder_priced(self, rofr: RightOfFirstRefusal) -> BArray:
        """The holder's pools priced within the clause's cap (all of them without a cap)."""
        key = (
            "priced|"
            + rofr.id
            + "|"
            + rofr.holder
            + "|"
            + str(rofr.price_cap_usd_per_accelerator_hour)
        )
        mask = self._holders.get(key)
        if mask is None:
            mask = self.holder_mask(rofr)
            if rofr.price_cap_usd_per_accelerator_hour is not None:
                mask = mask & self.price_at_most(rofr.price_cap_usd_per_accelerator_hour)
            self._holders[key] = mask
        return mask

    def price_at_most(self, cap: Decimal) -> BArray:
        mask = self._caps.get(cap)
        if mask is None:
            mask = self.price_inf <= float(cap) + 1e-9
            self._caps[cap] = mask
        return mask

    def const_int(self, value: int) -> IArray:
        arr = self._consts.get(value)
        if arr is None:
            arr = np.full(self.size, value, dtype=np.int64)
            if len(self._consts) < 256:
                self._consts[value] = arr
        return arr

    def online_at(self, start_s: float) -> BArray:
        """Pools online at ``start_s`` (the last answer is kept: decisions share moments)."""
        if self._online_key != start_s:
            self._online_mask = self.online_ts <= start_s
            self._online_key = start_s
        return self._online_mask

    def const_float(self, value: float) -> FArray:
        arr = self._fconsts.get(value)
        if arr is None:
            arr = np.full(self.size, value, dtype=np.float64)
            if len(self._fconsts) < 1024:
                self._fconsts[value] = arr
        return arr

    def inference_needed(self, class_id: str, count: int) -> IArray:
        """Accelerators needed per pool to match ``count`` reference accelerators."""
        key = (class_id, count)
        arr = self._needed.get(key)
        if arr is None:
            inv = self.class_arrays(class_id).inv_thr0
            arr = np.ceil(inv * count - 1e-9).astype(np.int64)
            if len(self._needed) < 4096:
                self._needed[key] = arr
        return arr

    def type_mask(self, types: Sequence[str] | None) -> BArray:
        key = None if types is None else tuple(sorted(types))
        mask = self._type_masks.get(key)
        if mask is None:
            if key is None:
                mask = np.ones(self.size, dtype=bool)
            else:
                wanted = np.asarray(
                    [self.acc_ids.index(t) for t in key if t in self.acc_ids], dtype=np.int64
                )
                mask = np.isin(self.acc_idx, wanted)
            self._type_masks[key] = mask
        return mask

    def provider_mask(self, provider_ids: Iterable[str]) -> BArray:
        key = tuple(sorted(provider_ids))
        mask = self._provider_masks.get(key)
        if mask is None:
            wanted = np.asarray(
                [self.provider_ids.index(p) for p in key if p in self.provider_ids], dtype=np.int64
            )
            mask = np.isin(self.prov_idx, wanted)
            self._provider_masks[key] = mask
        return mask

    def outage_mask(self, start_s: float) -> BArray | None:
        """Pools in a scripted outage at ``start_s``; None when there are none."""
        if not self.outages:
            return None
        hit = [i for i, spans in self.outages.items() if any(a <= start_s < b for a, b in spans)]
        if not hit:
            return None
        mask = np.zeros(self.size, dtype=bool)
        mask[hit] = True
        return mask


@dataclass(frozen=True, slots=True)
class ClassArrays:
    """Per-pool throughput arrays of one workload class."""

    thr: FArray
    thr_ok: BArray
    inv_thr: FArray  # 1/throughput, inf where the type cannot run the class
    inv_thr0: FArray  # 1/throughput, 0 where the type cannot run the class


# --------------------------------------------------------------------------- evaluation


class _Eval:
    """Every pool evaluated for one request at one start time. Masks left as None hold for
    every pool (no deadline, no price cap, no exclusivity, no outage). Costs and finish times
    are computed for a subset of pools (:meth:`cost_of`, :meth:`finish_of`) on the fast path,
    and for all pools only when an explanation needs them."""

    __slots__ = (
        "_cost",
        "_finish",
        "cap_ok",
        "deadline_ok",
        "duration_h",
        "excl_ok",
        "feasible",
        "needed",
        "needed_const",
        "online",
        "outage",
        "price",
        "price_ok",
        "start_s",
        "static_ok",
    )

    def __init__(
        self,
        start_s: float,
        needed: IArray,
        duration_h: FArray,
        price: FArray,
        static_ok: BArray,
        online: BArray,
        cap_ok: BArray,
        deadline_ok: BArray | None,
        price_ok: BArray | None,
        excl_ok: BArray | None,
        outage: BArray | None,
        feasible: BArray,
        finish: FArray | None,
    ) -> None:
        self.start_s = start_s
        self.needed = needed
        self.duration_h = duration_h
        self.price = price
        self.static_ok = static_ok
        self.online = online
        self.cap_ok = cap_ok
        self.deadline_ok = deadline_ok
        self.price_ok = price_ok
        self.excl_ok = excl_ok
        self.outage = outage
        self.feasible = feasible
        self._finish = finish
        self._cost: FArray | None = None
        self.needed_const = False

    def cost_of(self, pos: IArray) -> FArray:
        """Cost (float USD) of the pools at ``pos``, for ranking; with the same number of
        accelerators everywhere (training) it is left as cost per accelerator."""
        if self.needed_const:
            return self.price[pos] * self.duration_h[pos]
        return self.price[pos] * self.needed[pos] * self.duration_h[pos]

    def finish_of(self, pos: IArray) -> FArray:
        return self.duration_h[pos] * 3600.0 + self.start_s

    @property
    def cost(self) -> FArray:
        if self._cost is None:
            with np.errstate(invalid="ignore"):
                self._cost = self.price * self.needed * self.duration_h
        return self._cost

    @property
    def finish_s(self) -> FArray:
        if self._finish is None:
            self._finish = self.duration_h * 3600.0 + self.start_s
        return self._finish


@dataclass(slots=True)
class RofrOutcome:
    """What happened under a right of first refusal (the fast path's RofrInfo)."""

    clause: str
    holder: str
    holder_can_meet: bool
    unmet: Callable[[], list[str]] | list[str]  # computed on first use (not on the fast path)
    response_window_h: float
    offered: bool = False
    answer: str | None = None
    answered_s: float | None = None
    expired: bool = False

    @property
    def unmet_requirements(self) -> list[str]:
        if callable(self.unmet):
            self.unmet = self.unmet()
        return self.unmet

    def info(self, trusted: bool = False) -> RofrInfo:
        make = RofrInfo.model_construct if trusted else RofrInfo
        return make(
            applies=True,
            clause=self.clause,
            holder=self.holder,
            holder_can_meet=self.holder_can_meet,
            unmet_requirements=self.unmet_requirements,
            offered=self.offered,
            answer=self.answer,
            answered_at=None if self.answered_s is None else from_ts(self.answered_s),
            expired=self.expired,
            response_window_h=self.response_window_h,
        )


@dataclass(slots=True)
class Choice:
    """The outcome of a decision before it is explained: what the simulator needs."""

    request: Request
    at: datetime
    pool: int | None
    decided_by: str
    ev: _Eval
    eligible: BArray
    holder_mask: BArray | None = None
    holder_mode: str = ""  # "first" (holder accepted) | "declined" | ""
    rofr: RofrOutcome | None = None
    excl: Exclusivity | None = None
    requested_start_s: float = float("nan")  # the earliest start the request asked for
    moved: str = ""  # why the start moved later (empty when it did not)
    too_late: str = ""  # why waiting for capacity could not help (empty when it was not tried)

    @property
    def placed(self) -> bool:
        return self.pool is not None

    @property
    def needed(self) -> int:
        return int(self.ev.needed[self.pool]) if self.pool is not None else 0

    @property
    def start_s(self) -> float:
        return self.ev.start_s

    @property
    def finish_s(self) -> float:
        return float(self.ev.finish_s[self.pool]) if self.pool is not None else float("nan")


@dataclass(frozen=True)
class _ClauseSet:
    exclusivities: list[Exclusivity]
    rofrs: list[RightOfFirstRefusal]


def _and(mask: BArray, other: BArray | None) -> BArray:
    return mask if other is None else mask & other


class Broker:
    """Places requests on a scenario's fleet under the clauses in force.

    ``free`` maps pool ids to free accelerators (default: every pool's full count); the
    simulator and the service pass their own. ``without`` switches clauses off (ids, kinds such
    as ``rofr``, or contract ids). ``detail="full"`` lists every candidate in a decision;
    ``"summary"`` lists the best ten (for speed on fleets of thousands of pools); ``"chosen"``
    only the chosen pool (for batches of many requests: ``stargate place --detail summary``).
    ``wait_for_capacity`` (default on): when nothing that fits is available at the requested
    start, the start moves later, up to the deadline (the period's end for inference, the
    horizon's end otherwise), to the first moment a pool that fits is online and out of any
    outage; clauses are still judged on the decision day.
    :meth:`choose` is the fast path (no explanation objects) that the simulator uses.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        objective: str | Objective = "cost",
        responder: Responder | None = None,
        without: Iterable[str] = (),
        free: Mapping[str, int] | None = None,
        detail: str = "full",
        pricing: Pricing = "on_demand",
        index: FleetIndex | None = None,
        wait_for_capacity: bool = True,
    ) -> None:
        self.scenario = scenario
        self.index = index or FleetIndex(scenario, pricing)
        self.objective = (
            objective if isinstance(objective, Objective) else parse_objective(objective)
        )
        self.responder: Responder = responder or AcceptWhenAble()
        off: set[str] = set()
        for sel in without:
            off |= resolve_clause_selector(scenario, sel)
        self.without_ids = frozenset(off)
        if detail not in DETAILS:
            raise InputError(f"detail must be one of {', '.join(DETAILS)}, not '{detail}'")
        self.detail = detail
        self.wait_for_capacity = wait_for_capacity
        self.free = self.index.count.copy()
        if free is not None:
            self.set_free(free)
        self._clause_cache: dict[date, _ClauseSet] = {}
        self._match_cache: dict[
            tuple[date, str, str], tuple[Exclusivity | None, RightOfFirstRefusal | None]
        ] = {}
        self._objective_tag = f"objective:{self.objective.label}"

    # -- capacity -----------------------------------------------------------------------
    def set_free(self, free: Mapping[str, int]) -> None:
        """Set the free accelerators of some pools (the others keep theirs)."""
        for pid, n in free.items():
            pos = self.index.pool_pos.get(pid)
            if pos is None:
                raise InputError(
                    Problem(
                        f"unknown pool '{pid}' in free capacity",
                        hint=did_you_mean(pid, self.index.pool_ids),
                    )
                )
            if n < 0:
                raise InputError(Problem(f"negative free capacity for pool '{pid}'", found=str(n)))
            self.free[pos] = n

    def free_capacity(self) -> dict[str, int]:
        return {pid: int(n) for pid, n in zip(self.index.pool_ids, self.free, strict=True)}

    # -- clauses ------------------------------------------------------------------------
    def _clauses(self, day: date) -> _ClauseSet:
        cs = self._clause_cache.get(day)
        if cs is None:
            ex: list[Exclusivity] = []
            ro: list[RightOfFirstRefusal] = []
            for _, clause in self.scenario.clauses():
                if clause.id in self.without_ids:
                    continue
                v = clause.version_at(day)
                if isinstance(v, Exclusivity):
                    ex.append(v)
                elif isinstance(v, RightOfFirstRefusal):
                    ro.append(v)
            cs = _ClauseSet(ex, ro)
            self._clause_cache[day] = cs
        return cs

    def _match(
        self, day: date, requester: str, workload_class: str
    ) -> tuple[Exclusivity | None, RightOfFirstRefusal | None]:
        """The exclusivity and ROFR clauses (if any) that apply to a requester's class."""
        key = (day, requester, workload_class)
        hit = self._match_cache.get(key)
        if hit is None:
            cs = self._clauses(day)
            excl = next(
                (
                    c
                    for c in cs.exclusivities
                    if c.party == requester and workload_class in c.workload_classes
                ),
                None,
            )
            rofr = next(
                (
                    c
                    for c in cs.rofrs
                    if c.beneficiary == requester and workload_class in c.workload_classes
                ),
                None,
            )
            hit = (excl, rofr)
            if len(self._match_cache) > 100_000:
                self._match_cache.clear()
            self._match_cache[key] = hit
        return hit

    # -- evaluation ---------------------------------------------------------------------
    def _evaluate(self, r: Request, start_s: float, excl_ok: BArray | None) -> _Eval:
        idx = self.index
        cls = idx.class_arrays(r.workload_class)
        types = r.accelerators.types
        static_ok = idx.static_mask(r.workload_class, None if types == "any" else types)
        count = r.accelerators.count
        if r.kind == WorkloadKind.training:
            assert r.duration_h is not None
            needed = idx.const_int(count)
            duration = cls.inv_thr * r.duration_h
            cap_ok = self.free >= count
        else:
            assert r.period is not None
            needed = idx.inference_needed(r.workload_class, count)
            hours = max(0.0, (ts(r.period.end) - start_s) / 3600.0)
            duration = idx.const_float(hours)
            cap_ok = self.free >= needed
        online = idx.online_at(start_s)
        feasible = static_ok & online
        feasible &= cap_ok
        finish: FArray | None = None
        deadline_ok: BArray | None = None
        if r.deadline is not None:
            finish = duration * 3600.0 + start_s
            deadline_ok = finish <= ts(r.deadline) + 1e-6
            feasible &= deadline_ok
        if r.period is not None and ts(r.period.end) <= start_s:
            deadline_ok = np.zeros(idx.size, dtype=bool)
            feasible &= deadline_ok
        price_ok: BArray | None = None
        if r.max_price_usd_per_accelerator_hour is not None:
            price_ok = idx.price_at_most(r.max_price_usd_per_accelerator_hour)
            feasible &= price_ok
        if excl_ok is not None:
            feasible &= excl_ok
        outage = idx.outage_mask(start_s)
        if outage is not None:
            feasible &= ~outage
        return _Eval(
            start_s,
            needed,
            duration,
            idx.price_inf,
            static_ok,
            online,
            cap_ok,
            deadline_ok,
            price_ok,
            excl_ok,
            outage,
            feasible,
            finish,
        )

    def _latest_start_s(self, r: Request) -> tuple[float, str]:
        """The latest start a request may be moved to, and what sets it: for training with a
        deadline, the deadline (each pool's duration is checked separately); for inference,
        the end of its period; otherwise the end of the scenario's horizon."""
        if r.period is not None:
            return ts(r.period.end), f"the end of its period {r.period.end.isoformat()}"
        if r.deadline is not None:
            return ts(r.deadline), f"its deadline {r.deadline.isoformat()}"
        end = self.scenario.horizon.end
        if end is None:
            return ts(LATEST_INSTANT), f"the last day Stargate represents ({LATEST_DAY})"
        return _day_ts(end) + 86400.0, f"the end of the scenario's horizon ({end.isoformat()})"

    def _later_start(self, r: Request, ev: _Eval, start_s: float) -> tuple[float | None, str, str]:
        """The first moment after ``start_s`` at which a pool that fits the request (type,
        price, free capacity, exclusivity) is online and out of any outage, in time to meet
        the deadline (or within the period or horizon): capacity is judged on the start day.
        Returns (moment or None, why the start moved, why waiting could not help)."""
        idx = self.index
        fits = ev.static_ok & ev.cap_ok
        if ev.price_ok is not None:
            fits = fits & ev.price_ok
        if ev.excl_ok is not None:
            fits = fits & ev.excl_ok
        pos = np.flatnonzero(fits)
        if pos.size == 0:
            return None, "", ""
        earliest = np.maximum(idx.online_ts[pos], start_s)
        if idx.outages:
            for k, pool in enumerate(pos.tolist()):  # step over outages (back to back too)
                spans = idx.outages.get(pool)
                if spans:
                    t = float(earliest[k])
                    for a, b in sorted(spans):
                        if a <= t < b:
                            t = b
                    earliest[k] = t
        limit_s, limit = self._latest_start_s(r)
        if r.kind == WorkloadKind.training and r.deadline is not None:
            ok = earliest + ev.duration_h[pos] * 3600.0 <= limit_s + 1e-6
        else:
            ok = earliest < limit_s
        if not ok.any():
            first = float(earliest.min())
            return (
                None,
                "",
                f"capacity that fits is online from {from_ts(first).isoformat()}, "
                f"too late for {limit}",
            )
        k = int(np.argmin(np.where(ok, earliest, np.inf)))
        moment = float(earliest[k])
        i = int(pos[k])
        why = "outage" if moment > float(idx.online_ts[i]) and moment > start_s else "not_online"
        reason = (
            f"{why}: no pool that fits is available before {from_ts(moment).isoformat()}, "
            f"when {idx.pool_ids[i]} "
            + ("comes online" if why == "not_online" else "is out of its outage")
        )
        return moment, reason, ""

    def _best(self, ev: _Eval, mask: BArray) -> int | None:
        """The best pool in ``mask`` under the objective (fast path)."""
        pos = np.flatnonzero(mask)
        if pos.size == 0:
            return None
        return self._best_pos(ev, pos)

    def _best_pos(self, ev: _Eval, pos: IArray) -> int:
        """The best of the (non-empty) pool positions ``pos``."""
        if pos.size == 1:
            return int(pos[0])
        if self.objective.kind in ("cost", "time"):
            time_first = self.objective.kind == "time"
            first = ev.finish_of(pos) if time_first else ev.cost_of(pos)
            sel = first == first.min()
            top = pos[sel]
            if top.size > 1:
                key = ev.cost_of(top) if time_first else ev.finish_of(top)
                top = top[key == key.min()]
            return int(top[0])  # positions ascend in tie-break order
        mask = np.zeros(self.index.size, dtype=bool)
        mask[pos] = True
        return self._rank(ev, mask)[0]

    def _rank(self, ev: _Eval, mask: BArray) -> list[int]:
        """Pool positions in ``mask`` from best to worst under the objective."""
        pos = np.flatnonzero(mask)
        if pos.size == 0:
            return []
        cost = ev.cost_of(pos)
        finish = ev.finish_of(pos)
        tie = self.index.tie[pos]
        if self.objective.kind == "cost":
            order = np.lexsort((tie, finish, cost))
        elif self.objective.kind == "time":
            order = np.lexsort((tie, cost, finish))
        else:
            w = self.objective.weight
            c_min = max(float(cost.min()), 1e-9)
            dur = finish - ev.start_s
            d_min = max(float(dur.min()), 1e-9)
            score = w * (cost / c_min) + (1.0 - w) * (dur / d_min)
            order = np.lexsort((tie, finish, cost, score))
        return [int(p) for p in pos[order]]

    # -- the decision -------------------------------------------------------------------
    def _default_at(self) -> datetime:
        d = self.scenario.as_of
        return datetime(d.year, d.month, d.day)

    def choose(
        self, request: Request, at: datetime | None = None, *, commit: bool = True
    ) -> Choice:
        """Decide without building the explanation (the fast path)."""
        at = at or self._default_at()
        r = request
        idx = self.index
        at_s = ts(at)
        base_start = at_s
        if r.earliest_start is not None:
            base_start = max(base_start, ts(r.earliest_start))
        if r.period is not None:
            base_start = max(base_start, ts(r.period.start))
        excl, rofr = self._match(at.date(), r.requester, r.workload_class)

        # (1) exclusivity: a hard constraint
        excl_ok = idx.provider_mask([excl.provider]) if excl is not None else None
        requested_start = base_start
        ev = self._evaluate(r, base_start, excl_ok)
        moved = too_late = ""
        if self.wait_for_capacity and not ev.feasible.any():
            later, moved, too_late = self._later_start(r, ev, base_start)
            if later is not None:
                base_start = later
                ev = self._evaluate(r, base_start, excl_ok)
        eligible = ev.feasible
        choice = Choice(r, at, None, self._objective_tag, ev, eligible, excl=excl)
        choice.requested_start_s = requested_start
        choice.moved = moved if base_start != requested_start else ""
        choice.too_late = too_late

        # (2) right of first refusal
        if rofr is not None:
            hmask = idx.holder_mask(rofr)
            req_ok: dict[str, BArray] | None = None
            if idx.all_requirements(rofr):
                # every requirement counts: the holder's feasible pools within the clause's cap
                meets = ev.feasible & idx.holder_priced(rofr)
            else:
                req_ok = self._requirements(ev, rofr)
                meets = hmask if excl_ok is None else hmask & excl_ok
                for req in rofr.requirements:
                    meets = meets & req_ok[req]
            meets_pos = np.flatnonzero(meets)
            can_meet = meets_pos.size > 0
            unmet: Callable[[], list[str]] | list[str] = []
            if not can_meet:
                unmet = partial(self._unmet, rofr, hmask, excl_ok, req_ok, ev)
            info = RofrOutcome(rofr.id, rofr.holder, can_meet, unmet, rofr.response_window_h)
            choice.rofr = info
            if can_meet:
                ev_offer = ev
                physical_pos = meets_pos if req_ok is None else np.flatnonzero(meets & ev.feasible)
                offer_pool = self._best_pos(ev, physical_pos if physical_pos.size else meets_pos)
                offer = Offer(
                    r.id,
                    rofr.holder,
                    rofr.id,
                    idx.price_dec[offer_pool] or Decimal(0),
                    int(ev.needed[offer_pool]),
                    float(ev.duration_h[offer_pool]),
                    rofr.response_window_h,
                )
                ans = self.responder.respond(offer)
                expired = ans.answer == "none" or ans.after_h > rofr.response_window_h
                wait_h = rofr.response_window_h if expired else max(0.0, ans.after_h)
                answered_s = at_s + wait_h * 3600.0
                info.offered = True
                info.answer = "none" if expired else ans.answer
                info.answered_s = None if expired else answered_s
                info.expired = expired
                if answered_s > base_start:
                    ev = self._evaluate(r, answered_s, excl_ok)
                    choice.ev = ev
                choice.holder_mask = hmask
                if not expired and ans.answer == "accept":
                    choice.eligible = ev.feasible & meets
                    choice.holder_mode = "first"
                    choice.decided_by = rofr.id
                    if choice.ev is ev_offer and physical_pos.size:
                        choice.pool = offer_pool  # the offer stands as made
                else:
                    choice.eligible = ev.feasible & ~hmask
                    choice.holder_mode = "declined"
        if excl is not None and choice.decided_by.startswith("objective"):
            choice.decided_by = excl.id
        if choice.pool is None:
            choice.pool = self._best(choice.ev, choice.eligible)
        if choice.pool is None and excl is None and choice.holder_mode != "first":
            choice.decided_by = "infeasible"
        if commit and choice.pool is not None:
            self.free[choice.pool] -= int(choice.ev.needed[choice.pool])
        return choice

    def decide(
        self, request: Request, at: datetime | None = None, *, commit: bool = True
    ) -> Decision:
        """Decide where ``request`` goes at ``at`` (default: the scenario's as_of), and
        explain it: every candidate considered, why each was rejected, which clause decided."""
        free_before = self.free.copy() if commit else self.free
        choice = self.choose(request, at, commit=commit)
        return self.explain(choice, free_before)

    def decide_many(
        self, requests: Iterable[Request], at: datetime | None = None
    ) -> list[Decision]:
        """One decision per request, in order, each consuming capacity for the next."""
        return [self.decide(r, at) for r in requests]

    # -- helpers ------------------------------------------------------------------------
    def _requirements(self, ev: _Eval, rofr: RightOfFirstRefusal) -> dict[str, BArray]:
        """Per pool, whether it meets each requirement a ROFR clause can list."""
        idx = self.index
        price_ok = idx.has_price if ev.price_ok is None else ev.price_ok
        if rofr.price_cap_usd_per_accelerator_hour is not None:
            price_ok = price_ok & idx.price_at_most(rofr.price_cap_usd_per_accelerator_hour)
        return {
            Requirement.capacity: _and(
                ev.online & ev.cap_ok, None if ev.outage is None else ~ev.outage
            ),
            Requirement.accelerator_type: ev.static_ok,
            Requirement.deadline: idx.all_true if ev.deadline_ok is None else ev.deadline_ok,
            Requirement.price: price_ok,
        }

    def _unmet(
        self,
        rofr: RightOfFirstRefusal,
        hmask: BArray,
        excl_ok: BArray | None,
        req_ok: dict[str, BArray] | None,
        ev: _Eval,
    ) -> list[str]:
        """The requirements failed by the holder's closest pool (fewest failures)."""
        req_ok = req_ok or self._requirements(ev, rofr)
        pos = np.flatnonzero(hmask)
        if pos.size == 0:
            return ["capacity"]  # the holder has no pools at all
        if excl_ok is not None:
            if not excl_ok[pos].any():
                return ["exclusivity"]
            pos = pos[excl_ok[pos]]
        typed = pos[req_ok[Requirement.accelerator_type][pos]]
        if typed.size:  # prefer a pool of a type the request can use
            pos = typed
        reqs = list(rofr.requirements)
        fails = np.zeros(pos.size, dtype=np.int64)
        for req in reqs:
            fails += ~req_ok[req][pos]
        best = int(pos[int(np.argmin(fails))])
        return [str(req) for req in reqs if not req_ok[req][best]]

    def _cost(self, i: int, ev: _Eval) -> Decimal:
        price = self.index.price_dec[i]
        if price is None or not np.isfinite(ev.duration_h[i]):
            return Decimal(0)
        hours = Decimal(repr(float(ev.duration_h[i])))
        return (price * int(ev.needed[i]) * hours).quantize(CENT, ROUND_HALF_UP)

    # -- explanation (the slow path) ----------------------------------------------------
    def explain(self, choice: Choice, free_before: IArray | None = None) -> Decision:
        """The full Decision for a choice: ranked candidates with reasons and a paragraph."""
        from stargate.broker.explain import explain as explain_text

        idx = self.index
        r = choice.request
        ev = choice.ev
        free = self.free if free_before is None else free_before
        if self.detail == "chosen":  # a batch's summary: no candidate table, no ranking
            feasible_n = int(np.count_nonzero(choice.eligible))
            ranked = [choice.pool] if choice.pool is not None else []
            rank_of = {p: 1 for p in ranked}
        else:
            ranked = self._rank(ev, choice.eligible)
            rank_of = {p: k + 1 for k, p in enumerate(ranked)}
            feasible_n = len(rank_of)
        if self.detail == "chosen":
            rest: list[int] = []
        elif self.detail == "full":
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
            reasons = [] if feasible else self._reasons(i, choice, free, type_ok, thr_ok)
            candidates.append(
                self._candidate(i, ev, r, rank_of.get(i), i == choice.pool, feasible, reasons)
            )
        ch = candidates[0] if choice.pool is not None else None
        excl = choice.excl
        # in a batch's summary ("chosen") the values are the engine's own, already typed:
        # built without re-validation (the same objects, several times faster)
        make = Decision.model_construct if self.detail == "chosen" else Decision
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
            objective=self.objective.label,
            decided_by=choice.decided_by,
            rofr=choice.rofr.info(trusted=self.detail == "chosen")
            if choice.rofr is not None
            else RofrInfo(),
            exclusivity=ExclusivityInfo(applies=True, clause=excl.id, provider=excl.provider)
            if excl is not None
            else ExclusivityInfo(),
            candidates=candidates,
            candidates_considered=idx.size,
            candidates_feasible=feasible_n,
            at=choice.at,
            without=sorted(self.without_ids),
            explanation="",
        )
        counts = self._reason_counts(choice, free, type_ok, thr_ok)
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
        decision.explanation = explain_text(decision, r, counts)
        return decision

    def _reasons(
        self, i: int, choice: Choice, free: IArray, type_ok: BArray, thr_ok: BArray
    ) -> list[str]:
        idx = self.index
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
            out.append(
                f"exclusivity: {r.workload_class} is exclusive to {excl.provider} ({excl.id})"
            )
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
                        f"deadline: would finish {from_ts(float(ev.finish_s[i]))} "
                        f"after {r.deadline}"
                    )
                else:
                    out.append("deadline: the inference period is over")
            if idx.has_price[i] and ev.price_ok is not None and not ev.price_ok[i]:
                out.append(
                    f"price_cap: ${idx.price[i]:.2f}/accelerator-hour is above the "
                    f"request's ${r.max_price_usd_per_accelerator_hour}"
                )
        if choice.holder_mask is not None and choice.holder_mask[i] != (
            choice.holder_mode == "first"
        ):
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

    def _candidate(
        self,
        i: int,
        ev: _Eval,
        r: Request,
        rank: int | None,
        chosen: bool,
        feasible: bool,
        reasons: list[str],
    ) -> Candidate:
        idx = self.index
        finite = bool(np.isfinite(ev.finish_s[i]))
        price = idx.price_dec[i]
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
            cost_usd=self._cost(i, ev) if finite and price is not None else None,
            price_usd_per_accelerator_hour=price.quantize(Decimal("0.0001"))
            if price is not None
            else None,
            energy_mwh=round(float(idx.energy_mw[i] * ev.needed[i] * ev.duration_h[i]), 6)
            if finite
            else None,
        )

    @staticmethod
    def _reason_counts(
        choice: Choice, free: IArray, type_ok: BArray, thr_ok: BArray
    ) -> dict[str, int]:
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


def place(
    scenario: Scenario,
    requests: Request | Sequence[Request],
    at: datetime | None = None,
    **options: Any,
) -> list[Decision]:
    """Decide a list of requests in order (capacity consumed as they are placed)."""
    broker = Broker(scenario, **options)
    reqs = [requests] if isinstance(requests, Request) else list(requests)
    return broker.decide_many(reqs, at)
