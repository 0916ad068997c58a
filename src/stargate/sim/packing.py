"""Packing mode: how much of a fleet a pod list fills before a pod no longer fits.

This is the experiment of the Alibaba GPU trace's paper (Weng et al., "Beware of
Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent", USENIX
ATC 2023): pods arrive in file order and never leave; each is placed on a node, and the run
stops at the first pod that does not fit anywhere. What is left is measured as the share of
GPUs allocated and the **fragmentation** of the free capacity.

Placement (GPU only: the fleet has no CPU or memory, so those requests are ignored):

* a **fractional** pod (``num_gpu`` 1, ``gpu_milli`` < 1000) takes ``gpu_milli`` thousandths of
  one GPU, which it shares with other fractional pods (free capacity is tracked per GPU);
* a pod of ``k`` whole GPUs, ``k`` no more than the largest node of an allowed type, takes
  ``k`` completely free GPUs of one node;
* a pod larger than every node of an allowed type takes completely free nodes until it has
  ``k`` GPUs (the last one may keep GPUs free);
* a pod with ``gpu_spec`` may only go on nodes of a listed model (``pool:N`` fleets accept
  every pod); CPU-only pods are counted (``skipped["cpu_only"]``) and left out.

Policies (strategy objects registered in :data:`POLICIES`) choose among the places that fit:
``first-fit`` (the default) takes the first node and
GPU in fleet order (pools in the fleet's order, nodes and GPUs in order within a pool);
``best-fit`` takes the GPU with the least free capacity that still fits (fractional pods), or
the node with the fewest completely free GPUs that still has ``k`` (whole GPUs), ties going to
the first in fleet order. Both are deterministic and blind to GPU models: best-fit fills the
small nodes first, and when those are the only nodes of a model that constrained pods need
(the P100 nodes of ``openb_pod_list_gpuspec20.csv``), it stops early.

Fragmentation, after the paper's measure: for a node *n* and a pod shape *m* (GPUs per pod,
share per GPU, allowed models), the fragment F(n, m) is the free GPU capacity of *n* that a pod
of shape *m* cannot use — all of the node's free capacity if such a pod cannot be placed on the
node at all (wrong model, not enough room), else the free capacity of the node's GPUs that have
less free than the pod needs per GPU (``gpu_milli`` for a fractional pod, a whole GPU for the
others). The fleet's fragmentation is ``sum over n and m of p(m) * F(n, m)``, with ``p(m)`` the
share of the pod list's GPU pods of shape *m* (the target workload is the pod list itself).
``fragmentation_share`` divides it by all free capacity: the share of free GPUs that the
workload, as a whole, is expected not to be able to use.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from stargate.errors import InputError, Problem
from stargate.registry import Registry
from stargate.sim.traces import Pod, read_alibaba_pods
from stargate.sim.workload import FleetSpec

MILLI = 1000
_BIG = np.iinfo(np.int32).max


class PackingPolicy:
    """Where a pod goes among the places that fit: a strategy (stateless) of :func:`pack`.

    Each method gets the candidates of one kind of pod and returns its choice."""

    def share(self, free: npt.NDArray[np.int32], cand: npt.NDArray[np.bool_]) -> int:
        """A fractional pod: the flat index (node × GPUs per row + GPU) among ``cand``."""
        raise NotImplementedError

    def whole(self, full: npt.NDArray[np.int64], cand: npt.NDArray[np.bool_]) -> int:
        """A pod of whole GPUs inside one node: the node among ``cand`` (``full``: completely
        free GPUs per node)."""
        raise NotImplementedError

    def nodes(
        self, per: npt.NDArray[np.int64], nodes: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.intp]:
        """A pod larger than any node: the completely free ``nodes`` in the order to take them
        (``per``: GPUs per node)."""
        raise NotImplementedError


#: Placement policies of :func:`pack`, by name (the ``policy`` parameter).
POLICIES: Registry[type[PackingPolicy]] = Registry("packing policy", parameter="policy")


@POLICIES.register("first-fit")
class FirstFit(PackingPolicy):
    """The first node and GPU in fleet order."""

    def share(self, free: npt.NDArray[np.int32], cand: npt.NDArray[np.bool_]) -> int:
        return int(np.argmax(cand.ravel()))

    def whole(self, full: npt.NDArray[np.int64], cand: npt.NDArray[np.bool_]) -> int:
        return int(np.argmax(cand))

    def nodes(
        self, per: npt.NDArray[np.int64], nodes: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.intp]:
        return nodes


@POLICIES.register("best-fit")
class BestFit(PackingPolicy):
    """The tightest place that fits, ties to the first in fleet order."""

    def share(self, free: npt.NDArray[np.int32], cand: npt.NDArray[np.bool_]) -> int:
        # the tightest GPU that fits; argmin keeps the first on ties
        return int(np.argmin(np.where(cand, free, _BIG).ravel()))

    def whole(self, full: npt.NDArray[np.int64], cand: npt.NDArray[np.bool_]) -> int:
        # the node with the fewest completely free GPUs that still has k
        return int(np.argmin(np.where(cand, full, _BIG)))

    def nodes(
        self, per: npt.NDArray[np.int64], nodes: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.intp]:
        # widest nodes first: the fewest nodes
        return nodes[np.argsort(-per[nodes], kind="stable")]


#: The largest fleet packing takes, in GPUs: it tracks every GPU of every node, and each pod
#: looks at all of them (a fleet of this size packs a pod list of 7,000 pods in ~4 s).
MAX_PACKING_GPUS = 2**20


@dataclass
class PackingResult:
    """What :func:`pack` did: pods placed until the first that did not fit, and the state of
    the fleet then. GPU quantities are in GPUs (``gpu_milli / 1000``).

    * ``pods_total``: data rows of the pod list; ``pods_gpu``: its GPU pods (the ones packed);
      ``pods_placed``: GPU pods placed before the first that did not fit (all when it is None).
    * ``first_unplaced``: that pod (name, file line, GPUs) and ``stop_reason``:
      ``capacity`` (less free capacity of its allowed models than it asks), ``fragmentation``
      (enough free capacity in total, but not in one place it can use) or ``no-allowed-type``
      (the fleet has no node of a model it allows).
    * ``allocated_share``: allocated / total GPU capacity.
    * ``fragmented_gpus`` and ``fragmentation_share``: the fragmentation measure of the module
      docstring, in GPUs and as a share of free GPUs; ``partial_gpus``: GPUs partly allocated.
    """

    pods_file: str
    fleet: str
    policy: str
    pods_total: int
    pods_gpu: int
    pods_placed: int
    skipped: dict[str, int]
    first_unplaced: str | None
    first_unplaced_line: int | None
    first_unplaced_gpus: float | None
    stop_reason: str | None
    gpus_total: int
    allocated_gpus: float
    allocated_share: float
    free_gpus: float
    fragmented_gpus: float
    fragmentation_share: float
    partial_gpus: int
    pool_allocated_share: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Fleet:
    """Free capacity per GPU (thousandths) of every node of a fleet, as arrays."""

    def __init__(self, fleet: FleetSpec) -> None:
        cells = sum(p.nodes for p in fleet.pools) * max(
            (p.per_node for p in fleet.pools), default=0
        )
        if fleet.count > MAX_PACKING_GPUS or cells > MAX_PACKING_GPUS:
            raise InputError(
                Problem(
                    f"fleet '{fleet.name}' is too large for packing mode: {fleet.count:,} GPUs "
                    f"on {sum(p.nodes for p in fleet.pools):,} nodes",
                    path="fleet",
                    expected=f"at most {MAX_PACKING_GPUS:,} GPUs (packing tracks every GPU)",
                    hint="pack onto a smaller fleet: a pod list fills a few thousand GPUs",
                )
            )
        per: list[int] = []
        pool: list[int] = []
        kind: list[str] = []
        for i, p in enumerate(fleet.pools):
            per.extend([p.per_node] * p.nodes)
            pool.extend([i] * p.nodes)
            kind.extend([p.accelerator] * p.nodes)
        if not per:
            raise InputError(Problem(f"fleet '{fleet.name}' has no nodes", path=fleet.name))
        self.fleet = fleet
        self.per = np.asarray(per, dtype=np.int64)
        self.pool = np.asarray(pool, dtype=np.int64)
        self.kind = np.asarray(kind, dtype=object)
        n, g = len(per), int(self.per.max())
        self.gpus_per_row = g
        self.exists = np.arange(g)[None, :] < self.per[:, None]
        # free thousandths per GPU; -1 where a node has fewer GPUs than the widest node
        self.free = np.where(self.exists, MILLI, -1).astype(np.int32)
        self.full = self.per.copy()  # completely free GPUs per node
        self._masks: dict[tuple[str, ...] | None, tuple[npt.NDArray[np.bool_], int]] = {}
        self.n = n

    def mask(self, allowed: tuple[str, ...] | None) -> tuple[npt.NDArray[np.bool_], int]:
        """Nodes of an allowed model, and the largest such node's GPUs (0 if none)."""
        hit = self._masks.get(allowed)
        if hit is None:
            if allowed is None or self.fleet.any_type:
                m = np.ones(self.n, dtype=bool)
            else:
                m = np.isin(self.kind, list(allowed))
            widest = int(self.per[m].max()) if m.any() else 0
            hit = self._masks[allowed] = (m, widest)
        return hit

    def free_milli(self) -> npt.NDArray[np.int64]:
        """Free thousandths per node."""
        return np.asarray(np.where(self.exists, self.free, 0).sum(axis=1), dtype=np.int64)

    def place(self, pod: Pod, policy: PackingPolicy) -> str | None:
        """Place a pod; None when placed, else why not (see PackingResult.stop_reason)."""
        mask, widest = self.mask(pod.allowed)
        if widest == 0:
            return "no-allowed-type"
        k, d = pod.num_gpu, pod.gpu_milli
        if k == 1 and d < MILLI:
            ok = self._place_share(mask, d, policy)
        elif k <= widest:
            ok = self._place_whole(mask, k, policy)
        else:
            ok = self._place_nodes(mask, k, policy)
        if ok:
            return None
        free_allowed = int(self.free_milli()[mask].sum())
        return "fragmentation" if free_allowed >= k * d else "capacity"

    def _place_share(self, mask: npt.NDArray[np.bool_], d: int, policy: PackingPolicy) -> bool:
        cand = (self.free >= d) & mask[:, None]
        if not cand.any():
            return False
        flat = policy.share(self.free, cand)
        node, gpu = divmod(flat, self.gpus_per_row)
        if self.free[node, gpu] == MILLI:
            self.full[node] -= 1
        self.free[node, gpu] -= d
        return True

    def _place_whole(self, mask: npt.NDArray[np.bool_], k: int, policy: PackingPolicy) -> bool:
        cand = mask & (self.full >= k)
        if not cand.any():
            return False
        node = policy.whole(self.full, cand)
        gpus = np.flatnonzero(self.free[node] == MILLI)[:k]
        self.free[node, gpus] = 0
        self.full[node] -= k
        return True

    def _place_nodes(self, mask: npt.NDArray[np.bool_], k: int, policy: PackingPolicy) -> bool:
        nodes = policy.nodes(self.per, np.flatnonzero(mask & (self.full == self.per)))
        cum = np.cumsum(self.per[nodes])
        if not len(cum) or cum[-1] < k:
            return False
        used = int(np.searchsorted(cum, k)) + 1
        left = k
        for node in nodes[:used]:
            take = min(left, int(self.per[node]))
            self.free[node, :take] = 0
            self.full[node] -= take
            left -= take
        return True

    def fragmentation(self, shapes: Counter[tuple[int, int, tuple[str, ...] | None]]) -> float:
        """The fragmentation measure (thousandths of a GPU) for a workload of pod shapes."""
        total = sum(shapes.values())
        if not total:
            return 0.0
        free = np.where(self.exists, self.free, 0)
        node_free = free.sum(axis=1)
        max_free = free.max(axis=1)
        out = 0.0
        for (k, d, allowed), count in shapes.items():
            mask, widest = self.mask(allowed)
            if k == 1 and d < MILLI:
                can, need = mask & (max_free >= d), d
            elif k <= widest:
                can, need = mask & (self.full >= k), MILLI
            else:
                can, need = mask & (self.full == self.per), MILLI
            stranded = np.where(free < need, free, 0).sum(axis=1)
            out += count / total * float(np.where(can, stranded, node_free).sum())
        return out


def pack(
    pods_csv: str | Path,
    fleet: FleetSpec,
    *,
    policy: str = "first-fit",
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> PackingResult:
    """Place the GPU pods of an Alibaba pod list on ``fleet`` in file order until one does not
    fit, and measure what is left (see the module docstring for the rules and measures).

    Works on every pod list: the 5-column packing variants (``openb_pod_list_multigpu*.csv``)
    and the full ones, whose times are then ignored (and pods never scheduled are packed too).
    """
    policy = POLICIES.canonical(policy)
    strategy = POLICIES.get(policy)()
    pods = read_alibaba_pods(pods_csv, times=False, skip_bad_rows=skip_bad_rows, warnings=warnings)
    state = _Fleet(fleet)
    placed = 0
    stop: str | None = None
    first: Pod | None = None
    for pod in pods.pods:
        stop = state.place(pod, strategy)
        if stop is not None:
            first = pod
            break
        placed += 1
    shapes = Counter((q.num_gpu, q.gpu_milli, q.allowed) for q in pods.pods)
    capacity = int(state.per.sum()) * MILLI
    node_free = state.free_milli()
    free = int(node_free.sum())
    allocated = capacity - free
    frag = state.fragmentation(shapes)
    partial = int(((state.free > 0) & (state.free < MILLI)).sum())
    by_pool: dict[str, float] = {}
    for i, p in enumerate(fleet.pools):
        in_pool = state.pool == i
        cap = int(state.per[in_pool].sum()) * MILLI
        by_pool[p.id] = (cap - int(node_free[in_pool].sum())) / cap if cap else 0.0
    return PackingResult(
        pods_file=str(pods.path),
        fleet=fleet.name,
        policy=policy,
        pods_total=pods.rows,
        pods_gpu=len(pods.pods),
        pods_placed=placed,
        skipped=dict(pods.skipped),
        first_unplaced=first.name if first else None,
        first_unplaced_line=first.line if first else None,
        first_unplaced_gpus=first.gpus if first else None,
        stop_reason=stop,
        gpus_total=capacity // MILLI,
        allocated_gpus=allocated / MILLI,
        allocated_share=allocated / capacity,
        free_gpus=free / MILLI,
        fragmented_gpus=frag / MILLI,
        fragmentation_share=frag / free if free else 0.0,
        partial_gpus=partial,
        pool_allocated_share=by_pool,
    )
