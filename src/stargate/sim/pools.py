"""Pools as the simulator sees them, and scheduling inside one pool.

A :class:`PoolTable` holds per-pool arrays (capacity, online time, price, throughput per
class), built from a scenario (through the broker's fleet index, so positions agree) or from a
:class:`~stargate.sim.workload.FleetSpec`.

A :class:`PoolScheduler` queues the jobs routed to one pool and starts them under a policy:

* ``fifo``: strict order; the head of the queue blocks everyone behind it;
* ``greedy``: queue order, but every job that fits starts, with no reservation for the head
  (Kubernetes' default scheduler; Alibaba's published PAI simulator);
* ``sjf``: shortest run time first, every job that fits starts;
* ``easy``: EASY backfilling: the head gets a reservation at the earliest time enough
  accelerators free up (the *shadow time*); a later job may start now if it fits and either
  ends by the shadow time or uses only accelerators the head will not need.

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
from typing import Any

import numpy as np
import numpy.typing as npt

EPS = 1e-9
POLICIES = ("fifo", "greedy", "sjf", "easy")
GRANULARITIES = ("pool", "node")


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


class PoolScheduler:
    """The queue and the running jobs of one pool.

    Queued jobs are kept in buckets by size (accelerators needed): a deque in arrival order
    (fifo, greedy, easy) or a heap by run time (sjf). The next job to start under a policy is
    the best head among the buckets whose size fits, so a pass costs O(sizes), not O(queue),
    and a full pool is skipped at once. Jobs of one size fit or not together, node by node too,
    so a bucket whose size does not fit is skipped whole.
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
    )

    def __init__(
        self, pool: int, policy: str, cap: float, nodes: int, per_node: int, node_mode: bool
    ) -> None:
        self.pool = pool
        self.policy = policy
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
        seq = -self._seq if front else self._seq
        b = self.buckets.get(need)
        if self.policy == "sjf":
            if b is None:
                b = self.buckets[need] = []
            heapq.heappush(b, (-math.inf if front else run_s, seq, job))
        else:
            if b is None:
                b = self.buckets[need] = deque()
            if front:
                b.appendleft((seq, job))
            else:
                b.append((seq, job))
        self.qlen += 1

    def _pop(self, need: float) -> int:
        b = self.buckets[need]
        item = heapq.heappop(b) if self.policy == "sjf" else b.popleft()
        if not b:
            del self.buckets[need]
        self.qlen -= 1
        return int(item[-1])

    def _next(self, limit: float) -> float | None:
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

    def _head(self) -> tuple[float, int] | None:
        """The queue's first job in arrival order: (need, job)."""
        best: tuple[int, int] | None = None
        best_need = 0.0
        for need, b in self.buckets.items():
            seq, job = b[0]
            if best is None or (seq, job) < best:
                best, best_need = (seq, job), need
        return None if best is None else (best_need, best[1])

    def start_jobs(
        self, now: float, need: npt.NDArray[np.float64], run_s: npt.NDArray[np.float64]
    ) -> list[int]:
        """Start what the policy allows now; returns the jobs started (capacity taken)."""
        started: list[int] = []
        if not self.online or not self.qlen:
            return started
        space = self.space
        if self.policy == "fifo":
            while self.qlen:
                head = self._head()
                assert head is not None
                if not space.fits(head[0]):
                    break
                self._start(self._pop(head[0]), now, need, run_s, started)
        elif self.policy in ("greedy", "sjf"):
            while self.qlen and space.used + EPS < space.cap:
                n = self._next(space.cap - space.used)
                if n is None:
                    break
                self._start(self._pop(n), now, need, run_s, started)
        else:  # easy
            while self.qlen:
                head = self._head()
                assert head is not None
                if not space.fits(head[0]):
                    break
                self._start(self._pop(head[0]), now, need, run_s, started)
            if self.qlen:
                self._backfill(now, need, run_s, started)
        return started

    def _backfill(
        self,
        now: float,
        need: npt.NDArray[np.float64],
        run_s: npt.NDArray[np.float64],
        started: list[int],
    ) -> None:
        head = self._head()
        assert head is not None
        head_need, head_job = head
        free = self.space.cap - self.space.used
        shadow = math.inf
        extra = 0.0
        avail = free
        for end, _, n in self.running_ends:
            avail += n
            if avail + EPS >= head_need:
                shadow = end
                extra = avail - head_need
                break
        while self.space.used + EPS < self.space.cap:
            best: tuple[int, float, int, bool] | None = None  # (seq, need, index, uses_extra)
            limit = self.space.cap - self.space.used
            for n, b in self.buckets.items():
                if n > limit + EPS or not self.space.fits(n):
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
            b = self.buckets[n]
            _, job = b[k]
            del b[k]
            if not b:
                del self.buckets[n]
            self.qlen -= 1
            if uses_extra:
                extra -= n
            self._start(job, now, need, run_s, started)

    def _start(
        self,
        job: int,
        now: float,
        need: npt.NDArray[np.float64],
        run_s: npt.NDArray[np.float64],
        started: list[int],
    ) -> None:
        n = float(need[job])
        end = now + float(run_s[job])
        self.space.allocate(job, n)
        self.running[job] = (end, n)
        if self.policy == "easy":  # only EASY needs the ends in order (for the shadow time)
            bisect.insort(self.running_ends, (end, job, n))
        started.append(job)

    def finish(self, job: int) -> None:
        end, n = self.running.pop(job)
        if self.policy == "easy":
            i = bisect.bisect_left(self.running_ends, (end, job, n))
            del self.running_ends[i]
        self.space.release(job, n)

    def kill_all(self) -> list[int]:
        """Take the pool out of service: every running job is killed (and returned)."""
        killed = sorted(self.running)
        self.running.clear()
        self.running_ends.clear()
        self.space.clear()
        self.online = False
        return killed
