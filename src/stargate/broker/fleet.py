"""The fleet index: a scenario's pools as static numpy arrays (type, provider, count, online
day, price, energy, outages), built once and shared by every decision, with the masks the
engine asks for cached (accelerator types, providers, ROFR holders, price caps).

Pools are kept in (provider, site, pool) id order: the position is the tie-break.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from stargate.broker.clock import day_ts as _day_ts
from stargate.domain.costs import Pricing, hourly_cost
from stargate.domain.model import Requirement, RightOfFirstRefusal, Scenario

FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int64]
BArray = npt.NDArray[np.bool_]


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
