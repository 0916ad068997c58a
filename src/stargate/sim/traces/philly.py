"""Microsoft Philly 2017 job run times (``philly_runtime.csv``), and those run times as jobs
with Poisson arrivals (``philly-2017``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stargate.domain.limits import MAX_DURATION_H
from stargate.errors import InputError, Problem
from stargate.sim.traces.cells import number_cell
from stargate.sim.traces.csvreader import BadCell, Reader
from stargate.sim.traces.paths import default_path, find_local
from stargate.sim.traces.spec import PHILLY_DEFAULT_RATE_PER_H, PHILLY_PARAMS
from stargate.sim.traces.units import SECONDS_PER_HOUR
from stargate.sim.workload import (
    DEFAULT_TRAINING_CLASS,
    MAX_JOB_S,
    FArray,
    JobTable,
    hours_text,
)


def load_philly_runtimes(
    path: str | Path | None = None,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    skipped: dict[str, int] | None = None,
    data_dir: str | Path | None = None,
) -> FArray:
    """``philly-2017``: the job run times of Microsoft's Philly cluster (``philly_runtime.csv``,
    one column ``runtime`` in seconds), in file order, to fit or sample durations from. A run
    time that is not a number ≥ 0 is a bad row (counted in ``skipped`` if given)."""
    p = (
        Path(path)
        if path is not None
        else default_path("philly-2017", "philly_runtime.csv", data_dir)
    )
    reader = Reader(
        p,
        ("runtime",),
        what="a Philly run-time list",
        skip_bad_rows=skip_bad_rows,
        warnings=warnings,
    )
    k = reader.index["runtime"]
    values: list[float] = []
    for row in reader.rows():
        try:
            values.append(number_cell(row, k, "runtime", "a run time in seconds"))
        except BadCell as bad:
            reader.bad(reader.cell_problem(bad))
    reader.finish(skipped if skipped is not None else {})
    return np.asarray(values, dtype=np.float64)


def load_philly_jobs(
    path: str | Path | None = None,
    *,
    rate_per_h: float = PHILLY_DEFAULT_RATE_PER_H,
    seed: int = 0,
    limit: int | None = None,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    data_dir: str | Path | None = None,
) -> JobTable:
    """``philly-2017`` as jobs: the recorded run times in a seeded random order (the file is
    sorted by run time), each job on 1 GPU of any type, arriving as a Poisson process of
    ``rate_per_h`` jobs per hour (exponential gaps, the first job one gap after 0). The file has
    no arrival times, GPU counts or types, so these are modelling choices: set the rate to load
    the fleet as you want. ``limit`` keeps the first ``limit`` jobs (a random sample without
    replacement); the rest are counted in ``skipped["limit"]``. Class ``research-training``.
    """
    prm = PHILLY_PARAMS
    rate_per_h = prm["rate_per_h"].convert("philly-2017", "rate_per_h", rate_per_h)
    seed = prm["seed"].convert("philly-2017", "seed", seed)
    if limit is not None:
        limit = prm["limit"].convert("philly-2017", "limit", limit)
    skipped: dict[str, int] = {}
    runtimes = load_philly_runtimes(
        path, skip_bad_rows=skip_bad_rows, warnings=warnings, skipped=skipped, data_dir=data_dir
    )
    rng = np.random.default_rng(seed)
    durations = runtimes[rng.permutation(len(runtimes))]
    if limit is not None and limit < len(durations):
        skipped["limit"] = len(durations) - limit
        durations = durations[:limit]
    n = len(durations)
    with np.errstate(over="ignore"):
        arrivals = np.cumsum(rng.exponential(float(SECONDS_PER_HOUR) / rate_per_h, n))
    if n and not arrivals[-1] <= MAX_JOB_S:
        raise InputError(
            Problem(
                f"{n:,} jobs at {rate_per_h:g} an hour would arrive over about "
                f"{hours_text(n / rate_per_h)} h, more than Stargate represents "
                f"(at most {MAX_DURATION_H:,} h, 100 years)",
                path="philly-2017?rate_per_h",
                hint=f"raise rate_per_h to at least {n / MAX_DURATION_H:.3g}, or keep fewer "
                "jobs with ?limit=",
            )
        )
    source = str(path) if path is not None else str(find_local("philly-2017", data_dir=data_dir))
    return JobTable(
        arrival_s=arrivals,
        duration_s=durations,
        gpus=np.ones(n),
        allowed=[None] * n,
        workload_class=[DEFAULT_TRAINING_CLASS] * n,
        source=source,
        name=None,
        skipped=skipped,
    )
