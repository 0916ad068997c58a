"""The fleet index: a scenario's pools as static numpy arrays (type, provider, count, online
day, price, energy, outages), built once and shared by every decision, with the masks the
engine asks for cached (accelerator types, providers, ROFR holders, price caps).

Pools are kept in (provider, site, pool) id order: the position is the tie-break.

Prices come from the one price rule, :func:`stargate.domain.costs.hourly_cost`, on the index's
tier (``on_demand`` for jobs placed without a reservation) and *for a requester*: a party with a
contract price on a pool's price row pays that price there. The index's own arrays
(:attr:`FleetIndex.price`, ``price_dec``, ``price_inf``) are for the index's ``requester``
(None: list prices); :meth:`FleetIndex.priced` gives the arrays of any other requester, built
once per requester and only where a contract price differs (whether a pool has a price at all
does not depend on the requester: a contract price lives on a price row).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from stargate.broker.clock import day_ts as _day_ts
from stargate.domain.costs import Pricing, hourly_cost, price_row
from stargate.domain.model import DEFAULT_REQUIREMENTS, RightOfFirstRefusal, Scenario, Site

FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int64]
BArray = npt.NDArray[np.bool_]


def _never_online(site: Site, phase_id: str | None) -> bool:
    ph = site.phase(phase_id) if phase_id is not None else None
    return ph is not None and ph.never_online()


@dataclass(frozen=True, slots=True)
class PriceArrays:
    """Per-pool prices for one requester: float (nan where unpriced), float with inf where
    unpriced (for ranking), and the Decimal prices (None where unpriced)."""

    requester: str | None
    price: FArray
    price_inf: FArray
    price_dec: list[Decimal | None]


class FleetIndex:
    """Static per-pool arrays of a scenario, built once and shared by decisions.

    ``requester``: whose prices the index's own arrays hold (None: list prices, the default);
    :meth:`priced` gives any requester's."""

    def __init__(
        self, scenario: Scenario, pricing: Pricing = "on_demand", requester: str | None = None
    ) -> None:
        self.scenario = scenario
        self.pricing: Pricing = pricing
        self.requester = requester
        self._contract_parties: set[str] = set()
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
                if _never_online(site, pool.phase):
                    continue  # its phase was cancelled before it came online
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
                row = price_row(prov, site, acc.id)
                if row is not None:
                    self._contract_parties.update(c.party for c in row.contract_prices)
                hc = hourly_cost(scenario, prov, site, acc, pricing, requester=requester)
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
        self._priced_holders: dict[tuple[int, str | None, str | None], BArray] = {}
        self._caps: dict[tuple[str | None, Decimal], BArray] = {}
        self._ref_caps: dict[tuple[str | None, str, Decimal], BArray] = {}
        self._consts: dict[int, IArray] = {}
        self.price_inf = np.where(self.has_price, self.price, np.inf)
        self.prices = PriceArrays(requester, self.price, self.price_inf, self.price_dec)
        self._priced: dict[str | None, PriceArrays] = {requester: self.prices}
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
        """Whether a ROFR clause lists every requirement that binds a job request (the
        common, fast case): the four defaults (``site`` never binds a job request, which
        names no sites)."""
        hit = self._all_reqs.get(rofr.id)
        if hit is None:
            hit = set(rofr.requirements) >= set(DEFAULT_REQUIREMENTS)
            self._all_reqs[rofr.id] = hit
        return hit

    def holder_priced(
        self,
        rofr: RightOfFirstRefusal,
        class_id: str | None = None,
        prices: PriceArrays | None = None,
    ) -> BArray:
        """The holder's pools priced within the clause's caps (all of them without a cap): the
        cap per accelerator-hour, and the cap per reference-accelerator-hour of work (price ÷
        the pool type's throughput for ``class_id``), at ``prices`` (default: the index's)."""
        prices = prices or self.prices
        ref_cap = rofr.price_cap_usd_per_reference_hour
        # the clause version objects live as long as the scenario (amended ones are cached)
        key = (id(rofr), class_id if ref_cap is not None else None, prices.requester)
        mask = self._priced_holders.get(key)
        if mask is None:
            mask = self.holder_mask(rofr) & self.within_caps(
                rofr.price_cap_usd_per_accelerator_hour, ref_cap, class_id, prices
            )
            self._priced_holders[key] = mask
        return mask

    def within_caps(
        self,
        cap: Decimal | None,
        ref_cap: Decimal | None,
        class_id: str | None,
        prices: PriceArrays | None = None,
    ) -> BArray:
        """Pools priced at most ``cap`` per accelerator-hour and at most ``ref_cap`` per
        reference-accelerator-hour of ``class_id`` (either may be None: no such cap)."""
        mask = self.all_true
        if cap is not None:
            mask = mask & self.price_at_most(cap, prices)
        if ref_cap is not None:
            assert class_id is not None, "a cap per unit of work needs the work's class"
            mask = mask & self.price_per_reference_at_most(ref_cap, class_id, prices)
        return mask

    def price_at_most(self, cap: Decimal, prices: PriceArrays | None = None) -> BArray:
        """Pools priced at most ``cap`` per accelerator-hour."""
        prices = prices or self.prices
        key = (prices.requester, cap)
        mask = self._caps.get(key)
        if mask is None:
            mask = prices.price_inf <= float(cap) + 1e-9
            self._caps[key] = mask
        return mask

    def price_per_reference_at_most(
        self, cap: Decimal, class_id: str, prices: PriceArrays | None = None
    ) -> BArray:
        """Pools whose price per unit of work (price ÷ throughput for ``class_id``) is at most
        ``cap`` USD per reference-accelerator-hour; a type that cannot run the class fails."""
        prices = prices or self.prices
        key = (prices.requester, class_id, cap)
        mask = self._ref_caps.get(key)
        if mask is None:
            thr = self._thr_by_class[class_id]
            mask = (thr > 0) & (prices.price_inf <= float(cap) * thr + 1e-9)
            self._ref_caps[key] = mask
        return mask

    def priced(self, requester: str | None) -> PriceArrays:
        """The per-pool prices ``requester`` pays (contract prices where its price rows carry
        them, else the list prices of the index's tier); built once per requester."""
        hit = self._priced.get(requester)
        if hit is None:
            if requester is not None and requester not in self._contract_parties:
                hit = self.priced(None)  # no contract price anywhere: the list prices
            else:
                hit = self._build_prices(requester)
            self._priced[requester] = hit
        return hit

    def _build_prices(self, requester: str | None) -> PriceArrays:
        sc = self.scenario
        providers = {p.id: p for p in sc.providers}
        sites = {s.id: s for s in sc.sites}
        accs = {a.id: a for a in sc.accelerators}
        price = np.full(self.size, np.nan)
        dec: list[Decimal | None] = []
        for i in range(self.size):
            site = sites[self.site_ids[i]]
            hc = hourly_cost(
                sc,
                providers[site.provider],
                site,
                accs[self.acc_ids[int(self.acc_idx[i])]],
                self.pricing,
                requester=requester,
            )
            if hc is None:
                dec.append(None)
            else:
                dec.append(hc.total_usd)
                price[i] = float(hc.total_usd)
        return PriceArrays(requester, price, np.where(np.isnan(price), np.inf, price), dec)

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
