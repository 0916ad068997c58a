"""Pools as the simulator sees them, and scheduling inside one pool.

A :class:`PoolTable` holds per-pool arrays (capacity, online time, price, throughput per
class), built from a scenario (through the broker's fleet index, so positions agree) or from a
:class:`~stargate.sim.workload.FleetSpec`.

A :class:`PoolScheduler` queues the jobs routed to one pool and starts them under a
scheduling policy, a strategy object registered by name in :data:`POLICIES`:

* ``fifo``: strict order; the head of the queue blocks everyone behind it;
* ``greedy``: queue order, but every job that fits starts, with no reservation for the head
  (Kubernetes' default scheduler; Alibaba's published PAI simulator);
* ``sjf``: shortest run time first, every job that fits starts;
* ``easy``: EASY backfilling: the head gets a reservation at the earliest time enough
  accelerators free up (the *shadow time*); a later job may start now if it fits and either
  ends by the shadow time or uses only accelerators the head will not need.

A policy decides how its queue is ordered (:meth:`SchedulingPolicy.push` and ``pop``) and what
starts (:meth:`SchedulingPolicy.start`); the scheduler never looks at a policy's name. A new
policy is a subclass registered with ``@POLICIES.register("name")``.

Capacity is tracked either as one count (``pool`` granularity: fast, for fleets of millions)
or node by node (``node`` granularity: a job that fits in one node must fit in one node,
larger ones take whole nodes, a fraction of a GPU shares one GPU with others).
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import numpy.typing as npt

from stargate.errors import InputError, Problem, did_you_mean
from stargate.registry import Registry

EPS = 1e-9

#: How capacity is tracked: one count per pool, or node by node (a closed set).
Granularity = Literal["pool", "node"]
GRANULARITIES: tuple[Granularity, ...] = get_args(Granularity)


def granularity_of(value: str) -> Granularity:
    """``value`` as a :data:`Granularity`, or an InputError naming the ``granularity``
    parameter."""
    if value in GRANULARITIES:
        return value
    raise InputError(
        Problem(
            f"unknown granularity '{value}'",
            path="granularity",
            expected=" | ".join(GRANULARITIES),
            hint=did_you_mean(str(value), GRANULARITIES, list_valid=False),
        )
    )


@dataclass
class PoolTable:
    ids: list[str]
    accelerator: list[str]
    provider: list[str]
    site: list[str]
    count: npt.NDArray[np.float64]
    per_node: list[int]
    online_s: npt.NDArray[np.float64]  # seconds from the simulation start (may be < 0)
    price_h: npt.NDArray[np.float64]  # USD per accelerator-hour (nan: no price)
    energy_mw: npt.NDArray[np.float64]  # facility MW per accelerator
    thr: dict[str, npt.NDArray[np.float64]]  # class -> per-pool relative throughput
    outages: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    site_reliability: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: seconds from the start at which a pool leaves the fleet for good (a reservation's
    #: term ends); None: no pool ever does
    end_s: npt.NDArray[np.float64] | None = None

    @property
    def size(self) -> int:
        return len(self.ids)


class _Aggregate:
    """Capacity as one number."""

    __slots__ = ("cap", "used")

    def __init__(self, cap: float) -> None:
        self.cap = cap
        self.used = 0.0

    def fits(self, need: float) -> bool:
        return self.used + need <= self.cap + EPS

    def allocate(self, job: int, need: float) -> None:
        self.used += need

    def release(self, job: int, need: float) -> None:
        self.used -= need
        if self.used < EPS:
            self.used = 0.0

    def clear(self) -> None:
        self.used = 0.0


class _Nodes:
    """Capacity node by node, GPU by GPU, in thousandths of a GPU (as Alibaba's trace)."""

    __slots__ = ("alloc", "cap", "free", "per_node", "used")

    def __init__(self, nodes: int, per_node: int) -> None:
        self.per_node = per_node
        self.free = np.full((nodes, per_node), 1000, dtype=np.int32)
        self.alloc: dict[int, list[tuple[int, int, int]]] = {}
        self.cap = float(nodes * per_node)
        self.used = 0.0

    @staticmethod
    def _milli(need: float) -> int:
        return max(1, round(need * 1000))

    def _place(self, need: float) -> list[tuple[int, int, int]] | None:
        free = self.free
        if need < 1.0 - EPS:  # a share of one GPU: best fit among GPUs with room
            m = self._milli(need)
            ok = free >= m
            if not ok.any():
                return None
            slack = np.where(ok, free - m, 1 << 30)
            flat = int(np.argmin(slack))
            n, g = divmod(flat, self.per_node)
            return [(n, g, m)]
        whole = free == 1000
        k = math.ceil(need - EPS)
        if k <= self.per_node:  # inside one node: the node with the fewest spare whole GPUs
            counts = whole.sum(axis=1)
            ok = counts >= k
            if not ok.any():
                return None
            n = int(np.argmin(np.where(ok, counts, 1 << 30)))
            gpus = np.flatnonzero(whole[n])[:k]
            return [(n, int(g), 1000) for g in gpus]
        nodes_needed = math.ceil(k / self.per_node)  # whole nodes
        full = np.flatnonzero(whole.all(axis=1))
        if full.size < nodes_needed:
            return None
        out: list[tuple[int, int, int]] = []
        left = k
        for n in full[:nodes_needed]:
            take = min(self.per_node, left)
            out.extend((int(n), g, 1000) for g in range(take))
            left -= take
        return out

    def fits(self, need: float) -> bool:
        return self._place(need) is not None

    def allocate(self, job: int, need: float) -> None:
        placed = self._place(need)
        assert placed is not None
        for n, g, m in placed:
            self.free[n, g] -= m
        self.alloc[job] = placed
        self.used += need

    def release(self, job: int, need: float) -> None:
        for n, g, m in self.alloc.pop(job, []):
            self.free[n, g] += m
        self.used -= need
        if self.used < EPS:
            self.used = 0.0

    def clear(self) -> None:
        self.free[:] = 1000
        self.alloc.clear()
        self.used = 0.0


#: How many queued jobs of one size EASY examines per backfill pass (as Slurm's
#: ``bf_max_job_test``), so that backfilling stays cheap with long queues.
EASY_SCAN_DEPTH = 256

Vec = npt.NDArray[np.float64]


class SchedulingPolicy:
    """How one pool orders its queue and what it starts: a strategy, stateless, shared by
    every pool of a run.

    Queued jobs sit in buckets by size (accelerators needed); a bucket is ordered by the policy
    (:meth:`push`, :meth:`pop`): by default a deque of ``(seq, job)`` in arrival order, where
    ``seq`` is negative for a job put back at the front."""

    #: Whether the scheduler keeps the running jobs' ends in order (for a shadow time).
    tracks_ends: ClassVar[bool] = False

    def push(
        self,
        buckets: dict[float, Any],
        need: float,
        job: int,
        run_s: float,
        seq: int,
        front: bool,
    ) -> None:
        b = buckets.get(need)
        if b is None:
            b = buckets[need] = deque()
        if front:
            b.appendleft((seq, job))
        else:
            b.append((seq, job))

    def pop(self, bucket: Any) -> tuple[Any, ...]:
        item: tuple[Any, ...] = bucket.popleft()
        return item

    def start(
        self, s: PoolScheduler, now: float, need: Vec, run_s: Vec, started: list[int]
    ) -> None:
        """Start on ``s`` what the policy allows at ``now`` (appending to ``started``)."""
        raise NotImplementedError


#: The scheduling policies by name (the ``policy`` parameter of a run).
POLICIES: Registry[type[SchedulingPolicy]] = Registry("policy", parameter="policy")


@POLICIES.register("fifo")
class Fifo(SchedulingPolicy):
    """Strict arrival order: the head of the queue blocks everyone behind it."""

    def start(
        self, s: PoolScheduler, now: float, need: Vec, run_s: Vec, started: list[int]
    ) -> None:
        s.start_heads(now, need, run_s, started)


@POLICIES.register("greedy")
class Greedy(SchedulingPolicy):
    """Arrival order, and every job that fits starts (no reservation for the head)."""

    def start(
        self, s: PoolScheduler, now: float, need: Vec, run_s: Vec, started: list[int]
    ) -> None:
        s.start_any_fitting(now, need, run_s, started)


@POLICIES.register("sjf")
class ShortestJobFirst(Greedy):
    """Shortest run time first, every job that fits starts: buckets are heaps by run time (a
    job put back at the front goes first)."""

    def push(
        self,
        buckets: dict[float, Any],
        need: float,
        job: int,
        run_s: float,
        seq: int,
        front: bool,
    ) -> None:
        b = buckets.get(need)
        if b is None:
            b = buckets[need] = []
        heapq.heappush(b, (-math.inf if front else run_s, seq, job))

    def pop(self, bucket: Any) -> tuple[Any, ...]:
        item: tuple[Any, ...] = heapq.heappop(bucket)
        return item


@POLICIES.register("easy")
class EasyBackfill(SchedulingPolicy):
    """EASY backfilling: heads in arrival order, then later jobs that do not delay the head's
    reservation (they end by the shadow time, or use only accelerators it will not need)."""

    tracks_ends = True

    def start(
        self, s: PoolScheduler, now: float, need: Vec, run_s: Vec, started: list[int]
    ) -> None:
        s.start_heads(now, need, run_s, started)
        if s.qlen:
            self._backfill(s, now, need, run_s, started)

    @staticmethod
    def _backfill(s: PoolScheduler, now: float, need: Vec, run_s: Vec, started: list[int]) -> None:
        head = s.head()
        assert head is not None
        head_need, head_job = head
        free = s.space.cap - s.space.used
        shadow = math.inf
        extra = 0.0
        avail = free
        for end, _, n in s.running_ends:
            avail += n
            if avail + EPS >= head_need:
                shadow = end
                extra = avail - head_need
                break
        while s.space.used + EPS < s.space.cap:
            best: tuple[int, float, int, bool] | None = None  # (seq, need, index, uses_extra)
            limit = s.space.cap - s.space.used
            for n, b in s.buckets.items():
                if n > limit + EPS or not s.space.fits(n):
                    continue
                for k, (seq, job) in enumerate(b):
                    if k >= EASY_SCAN_DEPTH or (best is not None and seq > best[0]):
                        break
                    if job == head_job:
                        continue
                    ends_in_time = now + run_s[job] <= shadow + EPS
                    if ends_in_time or n <= extra + EPS:
                        best = (seq, n, k, not ends_in_time)
                        break
            if best is None:
                return
            seq, n, k, uses_extra = best
            b = s.buckets[n]
            _, job = b[k]
            del b[k]
            if not b:
                del s.buckets[n]
            s.qlen -= 1
            if uses_extra:
                extra -= n
            s.start(job, now, need, run_s, started)


class PoolScheduler:
    """The queue and the running jobs of one pool, under a :class:`SchedulingPolicy`.

    Queued jobs are kept in buckets by size (accelerators needed), ordered by the policy. The
    next job to start is the best head among the buckets whose size fits, so a pass costs
    O(sizes), not O(queue), and a full pool is skipped at once. Jobs of one size fit or not
    together, node by node too, so a bucket whose size does not fit is skipped whole.
    """

    __slots__ = (
        "_seq",
        "buckets",
        "cap_total",
        "node_mode",
        "online",
        "policy",
        "pool",
        "qlen",
        "running",
        "running_ends",
        "space",
        "tracks_ends",
    )

    def __init__(
        self,
        pool: int,
        policy: SchedulingPolicy,
        cap: float,
        nodes: int,
        per_node: int,
        node_mode: bool,
    ) -> None:
        self.pool = pool
        self.policy = policy
        self.tracks_ends = policy.tracks_ends
        self.cap_total = cap
        self.node_mode = node_mode
        self.space: _Aggregate | _Nodes = _Nodes(nodes, per_node) if node_mode else _Aggregate(cap)
        self.online = False
        self.buckets: dict[float, Any] = {}
        self.qlen = 0
        self.running: dict[int, tuple[float, float]] = {}  # job -> (end_s, need)
        self.running_ends: list[tuple[float, int, float]] = []  # sorted (end_s, job, need)
        self._seq = 0

    @property
    def used(self) -> float:
        return self.space.used

    @property
    def queue(self) -> list[int]:
        """The queued jobs, in the order the policy would consider them."""
        items: list[tuple[Any, int]] = []
        for b in self.buckets.values():
            for it in b:
                items.append((it[:-1], it[-1]))
        items.sort()
        return [job for _, job in items]

    def enqueue(self, job: int, need: float, run_s: float, front: bool = False) -> None:
        self._seq += 1
        self.policy.push(self.buckets, need, job, run_s, -self._seq if front else self._seq, front)
        self.qlen += 1

    def pop(self, need: float) -> int:
        """Take the next job of size ``need`` off the queue, in the policy's order."""
        b = self.buckets[need]
        item = self.policy.pop(b)
        if not b:
            del self.buckets[need]
        self.qlen -= 1
        return int(item[-1])

    def next_fitting(self, limit: float) -> float | None:
        """The size whose head goes next among sizes that fit now (None: nothing fits)."""
        best: tuple[Any, ...] | None = None
        best_need: float | None = None
        for need, b in self.buckets.items():
            if need > limit + EPS:
                continue
            head = b[0]
            key = head[:-1]
            if (best is None or key < best) and self.space.fits(need):
                best, best_need = key, need
        return best_need

    def head(self) -> tuple[float, int] | None:
        """The queue's first job in arrival order: (need, job)."""
        best: tuple[int, int] | None = None
        best_need = 0.0
        for need, b in self.buckets.items():
            seq, job = b[0]
            if best is None or (seq, job) < best:
                best, best_need = (seq, job), need
        return None if best is None else (best_need, best[1])

    def start_jobs(self, now: float, need: Vec, run_s: Vec) -> list[int]:
        """Start what the policy allows now; returns the jobs started (capacity taken)."""
        started: list[int] = []
        if not self.online or not self.qlen:
            return started
        self.policy.start(self, now, need, run_s, started)
        return started

    def start_heads(self, now: float, need: Vec, run_s: Vec, started: list[int]) -> None:
        """Start jobs in arrival order until the head of the queue does not fit."""
        while self.qlen:
            head = self.head()
            assert head is not None
            if not self.space.fits(head[0]):
                break
            self.start(self.pop(head[0]), now, need, run_s, started)

    def start_any_fitting(self, now: float, need: Vec, run_s: Vec, started: list[int]) -> None:
        """While any queued job fits, start the first (in the policy's order) that does."""
        space = self.space
        while self.qlen and space.used + EPS < space.cap:
            n = self.next_fitting(space.cap - space.used)
            if n is None:
                break
            self.start(self.pop(n), now, need, run_s, started)

    def start(self, job: int, now: float, need: Vec, run_s: Vec, started: list[int]) -> None:
        """Start ``job`` now (taken off the queue already)."""
        n = float(need[job])
        end = now + float(run_s[job])
        self.space.allocate(job, n)
        self.running[job] = (end, n)
        if self.tracks_ends:
            bisect.insort(self.running_ends, (end, job, n))
        started.append(job)

    def finish(self, job: int) -> None:
        end, n = self.running.pop(job)
        if self.tracks_ends:
            i = bisect.bisect_left(self.running_ends, (end, job, n))
            del self.running_ends[i]
        self.space.release(job, n)

    def drain(self) -> list[int]:
        """Take every queued job off the queue (returned in the policy's order)."""
        jobs = self.queue
        self.buckets.clear()
        self.qlen = 0
        return jobs

    def kill_all(self) -> list[int]:
        """Take the pool out of service: every running job is killed (and returned)."""
        killed = sorted(self.running)
        self.running.clear()
        self.running_ends.clear()
        self.space.clear()
        self.online = False
        return killed
