"""What the simulator replays: jobs, inference demand, and fleets for experiments.

These are the plain containers that trace loaders (:mod:`stargate.sim.traces`) and the
synthetic generator (:mod:`stargate.sim.synthetic`) produce and the engine consumes. Columns are
numpy arrays of equal length, so a million jobs cost tens of megabytes, not a million objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int64]

#: Workload class given to trace jobs that do not say theirs.
DEFAULT_TRAINING_CLASS = "research-training"


@dataclass
class JobTable:
    """Jobs to replay, sorted by arrival (ties keep file order).

    * ``arrival_s``: seconds from the start of the trace (the simulation's start).
    * ``duration_s``: run time, in seconds, on the scenario's reference accelerator (for a trace,
      the run time it recorded); on another type it scales by that type's relative throughput.
    * ``gpus``: accelerators the job needs as a gang; a value below 1 is a share of one GPU
      (Alibaba's ``gpu_milli / 1000``).
    * ``allowed``: per job, the accelerator types it may run on (a tuple), or None for any.
    * ``workload_class``: per job, a workload class id.
    * ``name``: per job, an id from the source (a pod name), or None to use ``job-<index>``.
    * ``skipped``: rows of the source left out, by reason (e.g. ``cpu_only``,
      ``never_scheduled``, ``bad_row``), so nothing is lost silently.
    """

    arrival_s: FArray
    duration_s: FArray
    gpus: FArray
    allowed: list[tuple[str, ...] | None]
    workload_class: list[str]
    source: str
    name: list[str] | None = None
    skipped: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.arrival_s)
        for label, col in (
            ("duration_s", self.duration_s),
            ("gpus", self.gpus),
            ("allowed", self.allowed),
            ("workload_class", self.workload_class),
        ):
            if len(col) != n:
                raise ValueError(f"JobTable column '{label}' has {len(col)} rows, expected {n}")
        if self.name is not None and len(self.name) != n:
            raise ValueError(f"JobTable column 'name' has {len(self.name)} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.arrival_s)

    def job_name(self, i: int) -> str:
        return self.name[i] if self.name is not None else f"job-{i}"


@dataclass
class InferenceDemand:
    """Inference demand in tokens per second, one value per minute from the start.

    ``prompt_tokens_per_s`` and ``output_tokens_per_s`` are the averages over each minute;
    ``requests_per_min`` counts requests. ``workload_class`` is the class it is served as.
    """

    prompt_tokens_per_s: FArray
    output_tokens_per_s: FArray
    requests_per_min: IArray
    workload_class: str
    source: str
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def tokens_per_s(self) -> FArray:
        return self.prompt_tokens_per_s + self.output_tokens_per_s

    def __len__(self) -> int:
        return len(self.requests_per_min)


@dataclass(frozen=True)
class FleetPool:
    """A pool of a fleet for experiments: ``nodes`` nodes of ``per_node`` accelerators each
    (heterogeneous nodes go in separate pools)."""

    id: str
    accelerator: str
    nodes: int
    per_node: int

    @property
    def count(self) -> int:
        return self.nodes * self.per_node


@dataclass
class FleetSpec:
    """A fleet that replaces the scenario's: a trace's node list or ``pool:N``.

    ``any_type``: the fleet satisfies every type constraint (``pool:N``); otherwise a job's
    ``allowed`` types must include the pool's ``accelerator``.
    """

    name: str
    pools: list[FleetPool]
    any_type: bool = False
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(p.count for p in self.pools)
