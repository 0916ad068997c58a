"""Trace loaders: public cluster and LLM-inference traces as jobs, demand and fleets.

A **source spec** names what to load: ``NAME[:PATH][?key=value&key=value]`` (see
:func:`parse_source`). ``NAME`` picks a loader from a registry; ``PATH`` is the file (default:
the trace's usual file in a data folder, see :func:`trace_dirs`); the parameters go to the
loader.

Workloads (:data:`WORKLOADS`, :func:`load_workload`):

* ``alibaba-gpu-2023`` — an Alibaba pod list → :class:`JobTable` (:func:`load_alibaba_jobs`)
* ``azure-llm-2023`` — Azure's LLM conversation trace → :class:`InferenceDemand`
  (:func:`load_azure_demand`)
* ``philly-2017`` — Philly's run times with Poisson arrivals → :class:`JobTable`
  (:func:`load_philly_jobs`)
* ``synthetic`` — :func:`stargate.sim.synthetic.generate` (written apart)

Fleets (:data:`FLEETS`, :func:`load_fleet`):

* ``alibaba-gpu-2023`` — the GPU node list → :class:`FleetSpec` (:func:`load_alibaba_nodes`)
* ``alibaba-spot-gpu-2026`` — the spot trace's node list (:func:`load_spot_nodes`)
* ``pool:N`` — N interchangeable accelerators of any type (:func:`pool_fleet`)

Bad input (a missing, empty or binary file, a missing column, a row that is malformed,
truncated or impossible) raises :class:`InputError` with a :class:`Problem` naming the file,
line and column. With ``skip_bad_rows=True`` bad rows are skipped and counted in
``skipped["bad_row"]``, and the first few problems are appended to the caller's ``warnings``
list: nothing is dropped silently. Only the columns a loader uses are checked. The formats,
mappings and licences are documented in docs/traces.md.

The modules, one concept each: :mod:`.catalog` (the public traces and their files),
:mod:`.paths` (where local copies are), :mod:`.spec` (source specs and parameter tables),
:mod:`.csvreader` (the streaming CSV reader), :mod:`.cells` (cell parsers), :mod:`.alibaba`,
:mod:`.azure`, :mod:`.philly` (one per format), :mod:`.nodes` (node lists as fleets),
:mod:`.registry` (the loaders by name), :mod:`.units` (time constants).

Start-up time matters (a whole ``stargate simulate`` run must stay near a second), so these
small files are read with the csv module and numpy; nothing heavy is imported here.
"""

from __future__ import annotations

from stargate.errors import InputError, Problem
from stargate.sim.traces.alibaba import (
    PACKING_POD_COLUMNS,
    POD_COLUMNS,
    Pod,
    PodList,
    load_alibaba_jobs,
    read_alibaba_pods,
)
from stargate.sim.traces.azure import (
    AZURE_COLUMNS,
    INFERENCE_CLASS,
    MAX_TOKENS_PER_REQUEST,
    load_azure_demand,
)
from stargate.sim.traces.catalog import TRACES, TraceFile, TraceInfo, trace_info
from stargate.sim.traces.cells import parse_count
from stargate.sim.traces.csvreader import MAX_LINE_CHARS, MAX_TRACE_BYTES, MAX_WARNINGS
from stargate.sim.traces.nodes import (
    MAX_NODE_LIST_BYTES,
    fleet_from_nodes,
    load_alibaba_nodes,
    load_spot_nodes,
    pool_fleet,
    pool_id,
)
from stargate.sim.traces.paths import (
    DATA_DIR_ENV,
    TraceStatus,
    default_trace_dir,
    find_local,
    list_traces,
    trace_dirs,
    user_data_dir,
)
from stargate.sim.traces.philly import load_philly_jobs, load_philly_runtimes
from stargate.sim.traces.registry import (
    FLEETS,
    WORKLOADS,
    Loader,
    LoadOptions,
    WorkloadItem,
    check_params,
    load_fleet,
    load_workload,
    source_params,
    trace_path,
)
from stargate.sim.traces.spec import (
    MAX_AZURE_SCALE,
    MAX_RATE_PER_H,
    PHILLY_DEFAULT_RATE_PER_H,
    SourceSpec,
    parse_source,
)
from stargate.sim.workload import FleetSpec, InferenceDemand, JobTable

__all__ = [
    "AZURE_COLUMNS",
    "DATA_DIR_ENV",
    "FLEETS",
    "INFERENCE_CLASS",
    "MAX_AZURE_SCALE",
    "MAX_LINE_CHARS",
    "MAX_NODE_LIST_BYTES",
    "MAX_RATE_PER_H",
    "MAX_TOKENS_PER_REQUEST",
    "MAX_TRACE_BYTES",
    "MAX_WARNINGS",
    "PACKING_POD_COLUMNS",
    "PHILLY_DEFAULT_RATE_PER_H",
    "POD_COLUMNS",
    "TRACES",
    "WORKLOADS",
    "FleetSpec",
    "InferenceDemand",
    "InputError",
    "JobTable",
    "LoadOptions",
    "Loader",
    "Pod",
    "PodList",
    "Problem",
    "SourceSpec",
    "TraceFile",
    "TraceInfo",
    "TraceStatus",
    "WorkloadItem",
    "check_params",
    "default_trace_dir",
    "find_local",
    "fleet_from_nodes",
    "list_traces",
    "load_alibaba_jobs",
    "load_alibaba_nodes",
    "load_azure_demand",
    "load_fleet",
    "load_philly_jobs",
    "load_philly_runtimes",
    "load_spot_nodes",
    "load_workload",
    "parse_count",
    "parse_source",
    "pool_fleet",
    "pool_id",
    "read_alibaba_pods",
    "source_params",
    "trace_dirs",
    "trace_info",
    "trace_path",
    "user_data_dir",
]
