"""Alibaba GPU cluster 2023 pod lists (``openb_pod_list_*.csv``): pods, and the pods as jobs
(``alibaba-gpu-2023``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stargate.errors import InputError, Problem
from stargate.sim.traces.cells import NO_TYPE, count_cell, seconds_cell
from stargate.sim.traces.csvreader import BadCell, Reader
from stargate.sim.traces.paths import default_path
from stargate.sim.traces.units import MILLI_PER_GPU
from stargate.sim.workload import DEFAULT_TRAINING_CLASS, JobTable

#: Columns of an Alibaba pod list that the job loader needs.
POD_COLUMNS = (
    "name",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "creation_time",
    "deletion_time",
    "scheduled_time",
)
#: Columns of the 5-column variants (multigpuXX): a packing experiment, no times.
PACKING_POD_COLUMNS = ("name", "num_gpu", "gpu_milli")
_POD_TIME_COLUMNS = ("creation_time", "deletion_time", "scheduled_time")


@dataclass
class Pod:
    """One GPU pod of an Alibaba pod list (times in seconds; None when not read or empty)."""

    line: int
    name: str
    num_gpu: int
    gpu_milli: int
    allowed: tuple[str, ...] | None
    creation_s: float | None = None
    scheduled_s: float | None = None
    deletion_s: float | None = None

    @property
    def gpus(self) -> float:
        """GPUs as a gang; below 1 a share of one GPU (``gpu_milli / 1000``)."""
        if self.num_gpu == 1 and self.gpu_milli < MILLI_PER_GPU:
            return self.gpu_milli / MILLI_PER_GPU
        return float(self.num_gpu)


@dataclass
class PodList:
    """The GPU pods of a pod list in file order, with the rows left out counted by reason."""

    path: Path
    pods: list[Pod]
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)


def _refuse_packing_variant(reader: Reader, header: list[str]) -> None:
    if set(PACKING_POD_COLUMNS) <= set(header) and not set(_POD_TIME_COLUMNS) & set(header):
        raise InputError(
            Problem(
                "this pod list has no creation, scheduled or deletion times: it describes a "
                "packing experiment (place the pods in order until one does not fit), not "
                "jobs arriving over time",
                file=reader.file,
                line=1,
                expected=f"a job trace with columns {','.join(POD_COLUMNS)}",
                found=",".join(header),
                hint="pack it onto a fleet with `--mode packing` "
                "(Python: stargate.sim.packing.pack)",
            )
        )


def read_alibaba_pods(
    path: str | Path,
    *,
    times: bool = True,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> PodList:
    """The GPU pods of an Alibaba pod list, in file order.

    ``times=True`` (a job trace) needs the creation, scheduled and deletion times, refuses the
    5-column packing variants, and leaves out pods never scheduled (``never_scheduled``);
    ``times=False`` (packing) reads ``name, num_gpu, gpu_milli`` and ``gpu_spec`` if present and
    keeps every GPU pod. CPU-only pods (``num_gpu`` 0) are left out (``cpu_only``) either way.

    A row is bad when ``num_gpu`` is not a whole number ≥ 0; ``gpu_milli`` is not within
    0–1000, is 0 for a GPU pod, or is not 1000 for a multi-GPU pod; the name is empty; a time is
    not a number ≥ 0; the scheduled time is before creation; or the deletion time is before the
    creation or the scheduled time.
    """
    p = Path(path)
    required = POD_COLUMNS if times else PACKING_POD_COLUMNS
    reader = Reader(
        p,
        required,
        what="an Alibaba pod list",
        skip_bad_rows=skip_bad_rows,
        warnings=warnings,
        header_check=_refuse_packing_variant if times else None,
    )
    ix = reader.index
    i_name, i_num, i_milli = ix["name"], ix["num_gpu"], ix["gpu_milli"]
    i_spec = ix.get("gpu_spec")
    i_c, i_d, i_s = (ix.get(c, -1) for c in _POD_TIME_COLUMNS)
    specs: dict[str, tuple[str, ...] | None] = {"": None}
    pods: list[Pod] = []
    cpu_only = never = 0
    for row in reader.rows():
        try:
            name = row[i_name].strip()
            if not name:
                raise BadCell("name", "no pod name", "a pod name", "an empty cell")
            num = count_cell(row, i_num, "num_gpu")
            milli = count_cell(row, i_milli, "gpu_milli")
            if milli > MILLI_PER_GPU:
                raise BadCell(
                    "gpu_milli",
                    "more than one GPU's worth",
                    "thousandths of one GPU, 0–1000",
                    repr(row[i_milli]),
                )
            if num >= 1 and milli == 0:
                raise BadCell(
                    "gpu_milli",
                    "a GPU pod with no share of a GPU",
                    "1–1000 when num_gpu ≥ 1",
                    repr(row[i_milli]),
                )
            if num > 1 and milli != MILLI_PER_GPU:
                raise BadCell(
                    "gpu_milli",
                    "a multi-GPU pod with a partial GPU",
                    "1000 when num_gpu > 1",
                    repr(row[i_milli]),
                )
            created = scheduled = deleted = None
            if times:
                created = seconds_cell(row, i_c, "creation_time")
                scheduled = seconds_cell(row, i_s, "scheduled_time", optional=True)
                deleted = seconds_cell(row, i_d, "deletion_time", optional=scheduled is None)
                assert created is not None
                if scheduled is not None and scheduled < created:
                    raise BadCell(
                        "scheduled_time",
                        "scheduled before it was created",
                        f"a time ≥ creation_time {created:g}",
                        repr(row[i_s]),
                    )
                if deleted is not None and deleted < created:
                    raise BadCell(
                        "deletion_time",
                        "deleted before it was created",
                        f"a time ≥ creation_time {created:g}",
                        repr(row[i_d]),
                    )
                if deleted is not None and scheduled is not None and deleted < scheduled:
                    raise BadCell(
                        "deletion_time",
                        "deleted before it was scheduled",
                        f"a time ≥ scheduled_time {scheduled:g}",
                        repr(row[i_d]),
                    )
        except BadCell as bad:
            reader.bad(reader.cell_problem(bad))
            continue
        if num == 0:
            cpu_only += 1
            continue
        if times and scheduled is None:
            never += 1
            continue
        spec = row[i_spec] if i_spec is not None else ""
        allowed = specs.get(spec, ())
        if allowed == ():
            types = [t.strip() for t in spec.split("|") if t.strip().lower() not in NO_TYPE]
            allowed = tuple(dict.fromkeys(types)) or None
            specs[spec] = allowed
        pods.append(Pod(reader.line, name, num, milli, allowed, created, scheduled, deleted))
    skipped: dict[str, int] = {}
    if cpu_only:
        skipped["cpu_only"] = cpu_only
    if never:
        skipped["never_scheduled"] = never
    reader.finish(skipped)
    return PodList(p, pods, reader.rows_read, skipped)


def load_alibaba_jobs(
    path: str | Path | None = None,
    *,
    limit: int | None = None,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    data_dir: str | Path | None = None,
) -> JobTable:
    """``alibaba-gpu-2023``: an Alibaba pod list (``openb_pod_list_*.csv``) as jobs.

    Each GPU pod that was scheduled is a job: arrival = ``creation_time``, duration =
    ``deletion_time - scheduled_time`` (seconds; queueing in the real cluster is not part of
    the run time), gpus = ``num_gpu``, or ``gpu_milli / 1000`` of one GPU when ``num_gpu`` is 1
    and ``gpu_milli`` < 1000; allowed types from ``gpu_spec`` (``'|'``-separated model names
    such as ``V100M16|V100M32``; empty or ``nan`` = any); class ``research-training``; name =
    the pod name. Jobs are sorted by arrival (ties keep file order). Left out and counted in
    ``skipped``: CPU-only pods (``cpu_only``), pods never scheduled (``never_scheduled``), bad
    rows (``bad_row``, with ``skip_bad_rows``) and, with ``limit``, the jobs after the first
    ``limit`` by arrival (``limit``).

    The 5-column variants (``openb_pod_list_multigpu*.csv``) have no times; they describe a
    packing experiment and are refused here (see :func:`stargate.sim.packing.pack`). With no
    ``path``, the file is looked for in the data folders (``data_dir`` first; see
    :func:`~stargate.sim.traces.paths.trace_dirs`).
    """
    p = (
        Path(path)
        if path is not None
        else default_path("alibaba-gpu-2023", "openb_pod_list_default.csv", data_dir)
    )
    pods = read_alibaba_pods(p, times=True, skip_bad_rows=skip_bad_rows, warnings=warnings)
    n = len(pods.pods)
    arrival = np.fromiter((q.creation_s for q in pods.pods), np.float64, n)
    # every pod read with times=True was scheduled, so has both times
    duration = np.fromiter(
        ((q.deletion_s or 0.0) - (q.scheduled_s or 0.0) for q in pods.pods), np.float64, n
    )
    gpus = np.fromiter((q.gpus for q in pods.pods), np.float64, n)
    order = np.argsort(arrival, kind="stable")
    skipped = dict(pods.skipped)
    if limit is not None and limit < n:
        skipped["limit"] = n - limit
        order = order[:limit]
    allowed = [pods.pods[i].allowed for i in order]
    names = [pods.pods[i].name for i in order]
    return JobTable(
        arrival_s=arrival[order],
        duration_s=duration[order],
        gpus=gpus[order],
        allowed=allowed,
        workload_class=[DEFAULT_TRAINING_CLASS] * len(order),
        source=str(p),
        name=names,
        skipped=skipped,
    )
