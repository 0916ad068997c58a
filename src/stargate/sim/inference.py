"""Inference: per-minute token demand against provisioned serving capacity.

For each demand (one workload class), the broker places inference requests for each calendar
year of the demand, sized at ``headroom`` × the year's mean demand in reference accelerators
(so exclusivity and the ROFR apply to where it is served); where no one pool can serve a year,
it is served from several (:func:`_place`). Each minute, capacity = accelerators ×
the type's relative throughput × the reference accelerator's tokens/s
(``settings.reference_tokens_per_s``). Reported:

* ``slo_attainment``: the share of minutes in which capacity covered demand;
* ``latency_violation_minutes``: minutes in which utilisation (demand ÷ capacity) exceeded the
  class's latency tier — 0.8 for classes with ``latency_slo_ms`` ≤ 1000, 0.9 for ≤ 2000, 1.0
  otherwise (a simple queueing rule: waiting grows without bound as utilisation nears 1);
* ``accelerators_for_99pct``: accelerators of the serving type that cover demand in 99% of
  minutes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from stargate.domain.limits import MAX_ACCELERATORS
from stargate.errors import InputError, Problem
from stargate.sim.workload import FleetSpec, InferenceDemand

if TYPE_CHECKING:
    from stargate.domain.model import Scenario

HEADROOM = 1.3
DEFAULT_TOKENS_PER_S = 2400.0


def _tier(latency_slo_ms: float | None) -> float:
    if latency_slo_ms is None:
        return 1.0
    return 0.8 if latency_slo_ms <= 1000 else 0.9 if latency_slo_ms <= 2000 else 1.0


def serve(
    demands: list[InferenceDemand],
    sc: Scenario | None,
    *,
    fleet: FleetSpec | None,
    broker: Any,
    t0: datetime | None,
    headroom: float = HEADROOM,
) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    #: the broker's free accelerators per pool, per calendar year: the classes served in a
    #: year share that year's fleet, and each year starts from the whole fleet (the broker's
    #: free counts have no time of their own)
    free_by_year: dict[int, Any] = {}
    #: (year, provider) → USD of serving capacity the demand kept busy: each placement's cost
    #: × the share of its year's serving capacity that was used
    used_usd: dict[tuple[int, str], float] = {}
    ref_tps = sc.settings.reference_tokens_per_s if sc is not None else DEFAULT_TOKENS_PER_S
    for d in demands:
        tps = d.tokens_per_s
        minutes = len(d)
        mean = float(tps.mean()) if minutes else 0.0
        p99 = float(np.percentile(tps, 99)) if minutes else 0.0
        peak = max(p99, headroom * mean)
        if not math.isfinite(peak) or peak / ref_tps > MAX_ACCELERATORS:
            raise InputError(
                Problem(
                    f"inference demand of {peak:.3g} tokens/s would need more "
                    f"accelerators than Stargate represents (at most {MAX_ACCELERATORS:,})",
                    path=d.source,
                    expected=f"at most {MAX_ACCELERATORS * ref_tps:.3g} tokens/s at "
                    f"{ref_tps:g} tokens/s per reference accelerator",
                    hint="lower the demand's scale",
                )
            )
        ref_count = max(1, math.ceil(headroom * mean / ref_tps))
        thr = 1.0
        placed: dict[str, Any] = {
            "placed": True,
            "provider": None,
            "pool": None,
            "accelerator": None,
        }
        latency_ms = None
        accelerators = ref_count
        capacity: Any = None
        ref_ratio: Any = 1.0
        by_year: list[dict[str, Any]] = []
        if sc is not None and broker is not None and t0 is not None:
            cls = next((c for c in sc.workload_classes if c.id == d.workload_class), None)
            latency_ms = cls.latency_slo_ms if cls else None
            capacity = np.zeros(minutes)
            # reference-class accelerators per accelerator of serving capacity, by minute:
            # to count what inference keeps busy in the units held capacity is counted in
            ref_ratio = np.ones(minutes)
            biggest = -1
            for a, b in _year_segments(t0, max(1, minutes)):
                seg = tps[a:b]
                seg_count = max(1, math.ceil(headroom * float(seg.mean()) / ref_tps))
                start = t0 + timedelta(minutes=a)
                broker.free[:] = free_by_year.get(start.year, broker.index.count)
                dec, seg_thr, seg_acc, seg_ref, costs = _place(
                    sc, broker, d, start, b - a, seg_count
                )
                free_by_year[start.year] = broker.free.copy()
                capacity[a:b] = seg_acc * ref_tps * seg_thr
                cap_sum = float(capacity[a:b].sum())
                if cap_sum > 0:
                    busy = float(np.minimum(seg, capacity[a:b]).sum()) / cap_sum
                    for provider, usd in costs:
                        key = (start.year, provider)
                        used_usd[key] = used_usd.get(key, 0.0) + usd * busy
                ref_ratio[a:b] = seg_ref / seg_thr if seg_thr > 0 else 1.0
                by_year.append(
                    {
                        "start": start.isoformat(),
                        "mean_tokens_per_s": round(float(seg.mean()), 3) if b > a else 0.0,
                        "provisioned_accelerators": seg_acc,
                        "provider": dec["provider"],
                        "accelerator": dec["accelerator"],
                        "decided_by": dec.get("decided_by"),
                    }
                )
                if seg_acc > biggest:
                    biggest, placed, thr, accelerators = seg_acc, dec, seg_thr, seg_acc
        elif fleet is not None:
            placed = {
                "placed": True,
                "provider": fleet.name,
                "pool": fleet.pools[0].id,
                "accelerator": fleet.pools[0].accelerator,
            }
        per_acc = ref_tps * thr
        if capacity is None:
            capacity = accelerators * per_acc
        with np.errstate(divide="ignore", invalid="ignore"):
            util = np.where(capacity > 0, tps / capacity, np.inf)
        covered = tps <= capacity + 1e-9
        served_h = (
            round(float((np.minimum(tps, capacity) * ref_ratio).sum()) / ref_tps / 60.0, 3)
            if by_year or (sc is not None and broker is not None)
            else None
        )
        by_month = _by_month(t0, tps, capacity) if by_year else []
        out.append(
            {
                "workload_class": d.workload_class,
                "source": d.source,
                "minutes": minutes,
                "mean_tokens_per_s": round(mean, 3),
                "p99_tokens_per_s": round(p99, 3),
                "tokens_per_s_per_accelerator": round(per_acc, 3),
                "provisioned_accelerators": accelerators,
                "serving": placed,
                "slo_attainment": round(float(covered.mean()), 6) if minutes else None,
                "latency_tier_utilization": _tier(latency_ms),
                "latency_violation_minutes": int((util > _tier(latency_ms)).sum()),
                "accelerators_for_99pct": math.ceil(p99 / per_acc) if per_acc > 0 else None,
                "skipped": dict(sorted(d.skipped.items())),
                **({"by_year": by_year} if len(by_year) > 1 else {}),
                **({"by_month": by_month} if len(by_month) > 1 else {}),
                **(
                    {"served_reference_accelerator_hours": served_h} if served_h is not None else {}
                ),
            }
        )
    if sc is not None and broker is not None:
        return {"classes": out, "used_usd": used_usd}
    return {"classes": out}


def _by_month(t0: datetime | None, tps: Any, capacity: Any) -> list[dict[str, Any]]:
    """Per calendar month of the demand: mean demand and mean served tokens/s."""
    if t0 is None or len(tps) == 0:
        return []
    served = np.minimum(tps, capacity)
    out: list[dict[str, Any]] = []
    a = 0
    n = len(tps)
    while a < n:
        day = t0 + timedelta(minutes=a)
        nxt = datetime(day.year + (day.month == 12), day.month % 12 + 1, 1)
        b = min(n, a + max(1, math.ceil((nxt - day).total_seconds() / 60)))
        out.append(
            {
                "month": f"{day.year:04d}-{day.month:02d}",
                "mean_tokens_per_s": round(float(tps[a:b].mean()), 3),
                "served_tokens_per_s": round(float(served[a:b].mean()), 3),
            }
        )
        a = b
    return out


def _year_segments(t0: datetime, minutes: int) -> list[tuple[int, int]]:
    """Minute ranges ``[a, b)`` of the calendar years a demand of ``minutes`` from ``t0``
    spans: serving capacity is requested year by year, so that it grows with the demand and
    each year's request meets the clauses in force that year."""
    out: list[tuple[int, int]] = []
    a = 0
    while a < minutes:
        day = t0 + timedelta(minutes=a)
        nxt = datetime(day.year + 1, 1, 1)
        b = min(minutes, a + max(1, math.ceil((nxt - day).total_seconds() / 60)))
        out.append((a, b))
        a = b
    return out


#: At most this many placements serve one class in one year (see :func:`_place`).
MAX_PARTS = 32


def _place(
    sc: Scenario, broker: Any, d: InferenceDemand, start: datetime, minutes: int, count: int
) -> tuple[dict[str, Any], float, int, float, list[tuple[str, float]]]:
    """Serving capacity for ``count`` reference accelerators through the broker: (the
    placement of its largest part, the mean throughput of the serving types for the class,
    accelerators provisioned, their mean throughput for the scenario's reference class, and
    (provider, cost in USD) per part placed).

    Inference is served from many clusters, so one class's serving capacity need not fit in
    one pool: when no pool takes the whole request, the broker is asked for halves, then
    quarters, … (no part below 1/:data:`MAX_PARTS` of ``count``), each part placed on what the
    earlier parts left free, until ``count`` is covered or nothing more is placed. Each part is
    decided by the clauses in force (exclusivity, the ROFR), like a whole request."""
    from stargate.broker.request import Request

    requester = next((p.id for p in sc.parties if "operator" in p.roles), None)
    ref_class = sc.reference_class_id()
    smallest = max(1, math.ceil(count / MAX_PARTS))
    left = float(count)
    parts: list[tuple[dict[str, Any], float, int, float]] = []
    costs: list[tuple[str, float]] = []
    first: dict[str, Any] | None = None
    ask = count
    while left >= 1 and len(parts) < MAX_PARTS:
        ask = min(ask, math.ceil(left))
        req = Request.model_validate(
            {
                "id": f"inference-{d.workload_class}",
                "requester": requester,
                "class": d.workload_class,
                "kind": "inference",
                "accelerators": {"count": ask},
                "period": {"start": start, "end": start + timedelta(minutes=max(1, minutes))},
            }
        )
        dec = broker.decide(req, start)
        placed = {
            "placed": dec.placed,
            "provider": dec.provider,
            "pool": dec.pool,
            "accelerator": dec.accelerator,
            "decided_by": dec.decided_by,
        }
        if first is None:
            first = placed
        if dec.placed and dec.accelerator is not None and int(dec.count or 0) > 0:
            acc = next(a for a in sc.accelerators if a.id == dec.accelerator)
            thr = acc.throughput_for(d.workload_class) or 1.0
            n = int(dec.count or 0)
            parts.append((placed, thr, n, acc.throughput_for(ref_class) or 1.0))
            costs.append((str(dec.provider), float(dec.cost_usd or 0)))
            left -= n * thr
            continue
        if ask <= smallest:
            break
        ask = max(smallest, ask // 2)
    if not parts:
        assert first is not None
        return first, 1.0, 0, 1.0, []
    total = sum(p[2] for p in parts)
    mean_thr = sum(p[1] * p[2] for p in parts) / total
    mean_ref = sum(p[3] * p[2] for p in parts) / total
    biggest = max(parts, key=lambda p: p[2])[0]
    return biggest, mean_thr, total, mean_ref, costs
