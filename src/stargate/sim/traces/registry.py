"""The workload and fleet sources by name, each a :class:`Loader` in a
:class:`~stargate.registry.Registry`, and the functions that load a source spec through them:
:func:`load_workload`, :func:`load_fleet`, :func:`trace_path`, :func:`check_params`.

Unknown names are InputErrors naming the engine parameter (``workloads`` or ``fleet``); the CLI
names its own flags (:func:`stargate.errors.for_option`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stargate.errors import InputError, Problem, did_you_mean
from stargate.registry import Registry
from stargate.sim.traces.alibaba import load_alibaba_jobs
from stargate.sim.traces.azure import load_azure_demand
from stargate.sim.traces.nodes import load_alibaba_nodes, load_spot_nodes, pool_fleet
from stargate.sim.traces.paths import default_path
from stargate.sim.traces.philly import load_philly_jobs
from stargate.sim.traces.spec import (
    ALIBABA_JOB_PARAMS,
    AZURE_PARAMS,
    PHILLY_DEFAULT_RATE_PER_H,
    PHILLY_PARAMS,
    parse_source,
)
from stargate.sim.workload import FleetSpec, InferenceDemand, JobTable, Param, convert_params

WorkloadItem = JobTable | InferenceDemand


@dataclass
class LoadOptions:
    """What every loader is given besides its path and parameters."""

    skip_bad_rows: bool = False
    warnings: list[Problem] | None = None
    context: Mapping[str, Any] | None = None
    data_dir: str | Path | None = None


@dataclass(frozen=True)
class Loader:
    """A registry entry: what the source is, its parameters, and the function that loads it
    from ``(path or None, converted parameters, options)``."""

    name: str
    summary: str
    params: Mapping[str, Param]
    load: Callable[[str | None, dict[str, Any], LoadOptions], Any]
    trace: str | None = None  # catalog name, for default files
    default_file: str | None = None


class _Sources(Registry[Loader]):
    """A registry of sources whose unknown-name error lists the valid names in its hint when
    no name is close (as the loaders' errors always have)."""

    def unknown(self, name: str) -> InputError:
        problem = super().unknown(name).problems[0]
        return InputError(replace(problem, hint=did_you_mean(name, self.names())))


#: Workload sources by canonical name.
WORKLOADS: Registry[Loader] = _Sources("workload source", parameter="workloads")
#: Fleet sources by canonical name (``pool`` takes its size where others take a path).
FLEETS: Registry[Loader] = _Sources("fleet source", parameter="fleet")


def _file_arg(path: str | None, loader: Loader) -> Path | None:
    """The file to read: the given path (a folder means the default file in it) or None."""
    if path is None:
        return None
    p = Path(path).expanduser()
    if p.is_dir() and loader.default_file:
        return p / loader.default_file
    return p


def _synthetic(path: str | None, params: dict[str, Any], opts: LoadOptions) -> Any:
    import importlib

    try:
        synthetic = importlib.import_module("stargate.sim.synthetic")
    except ModuleNotFoundError as exc:
        if exc.name != "stargate.sim.synthetic":
            raise
        raise InputError(
            Problem("the synthetic workload generator is not available", path="synthetic")
        ) from None
    import inspect

    kwargs = dict(params)
    accepts = inspect.signature(synthetic.generate).parameters
    if "context" in accepts and opts.context is not None:
        kwargs["context"] = opts.context
    return synthetic.generate(**kwargs)


def _forecast(path: str | None, params: dict[str, Any], opts: LoadOptions) -> Any:
    """The ``forecast`` source: jobs and inference demand from the scenario's demand forecast
    (:func:`stargate.sim.synthetic.generate_forecast`); the simulator gives the scenario and
    the run's window in ``context``."""
    from stargate.sim.synthetic import generate_forecast

    ctx = opts.context or {}
    rows = ctx.get("forecast_rows")
    if path is not None or not rows or ctx.get("t0") is None:
        raise InputError(
            Problem(
                "the forecast source reads the demand forecast of a scenario run"
                + (" and takes no path" if path is not None else ""),
                path="forecast",
                expected="a scenario with a workload source of kind forecast, on its own fleet",
            )
        )
    return generate_forecast(rows, ctx["t0"], ctx["end_s"], **params)


def _pool(arg: str | None) -> FleetSpec:
    if arg is None:
        raise InputError(
            Problem("fleet 'pool' needs a size", path="pool", expected="pool:N, e.g. pool:1024")
        )
    return pool_fleet(arg)


WORKLOADS.add(
    "alibaba-gpu-2023",
    Loader(
        "alibaba-gpu-2023",
        "Alibaba GPU cluster 2023 pod list → jobs (arrival, run time, GPUs, allowed models)",
        ALIBABA_JOB_PARAMS,
        lambda path, prm, o: load_alibaba_jobs(
            path,
            limit=prm.get("limit"),
            skip_bad_rows=o.skip_bad_rows,
            warnings=o.warnings,
            data_dir=o.data_dir,
        ),
        trace="alibaba-gpu-2023",
        default_file="openb_pod_list_default.csv",
    ),
)
WORKLOADS.add(
    "azure-llm-2023",
    Loader(
        "azure-llm-2023",
        "Azure LLM inference 2023 (conversation) → tokens per second, per minute",
        AZURE_PARAMS,
        lambda path, prm, o: load_azure_demand(
            path,
            scale=prm.get("scale", 1.0),
            skip_bad_rows=o.skip_bad_rows,
            warnings=o.warnings,
            data_dir=o.data_dir,
        ),
        trace="azure-llm-2023",
        default_file="AzureLLMInferenceTrace_conv.csv",
    ),
)
WORKLOADS.add(
    "philly-2017",
    Loader(
        "philly-2017",
        "Philly 2017 run times → 1-GPU jobs with Poisson arrivals",
        PHILLY_PARAMS,
        lambda path, prm, o: load_philly_jobs(
            path,
            rate_per_h=prm.get("rate_per_h", PHILLY_DEFAULT_RATE_PER_H),
            seed=prm.get("seed", 0),
            limit=prm.get("limit"),
            skip_bad_rows=o.skip_bad_rows,
            warnings=o.warnings,
            data_dir=o.data_dir,
        ),
        trace="philly-2017",
        default_file="philly_runtime.csv",
    ),
)
_SYNTHETIC = WORKLOADS.add(
    "synthetic",
    Loader(
        "synthetic",
        "generated jobs (stargate.sim.synthetic); parameters go to its generate()",
        {},
        _synthetic,
    ),
)
WORKLOADS.add(
    "forecast",
    Loader(
        "forecast",
        "jobs and inference demand from the scenario's demand forecast (docs/synthetic.md)",
        {},  # its generator's: source_params("forecast")
        _forecast,
    ),
)
FLEETS.add(
    "alibaba-gpu-2023",
    Loader(
        "alibaba-gpu-2023",
        "Alibaba GPU cluster 2023 node list → pools by (model, GPUs per node)",
        {},
        lambda path, prm, o: load_alibaba_nodes(
            path, skip_bad_rows=o.skip_bad_rows, warnings=o.warnings, data_dir=o.data_dir
        ),
        trace="alibaba-gpu-2023",
        default_file="openb_node_list_gpu_node.csv",
    ),
)
FLEETS.add(
    "alibaba-spot-gpu-2026",
    Loader(
        "alibaba-spot-gpu-2026",
        "Alibaba spot GPU fleet 2026 node list → pools by (model, GPUs per node)",
        {},
        lambda path, prm, o: load_spot_nodes(
            path, skip_bad_rows=o.skip_bad_rows, warnings=o.warnings, data_dir=o.data_dir
        ),
        trace="alibaba-spot-gpu-2026",
        default_file="node_info_df.csv",
    ),
)
FLEETS.add(
    "pool",
    Loader("pool", "pool:N — N accelerators of any type in one pool", {}, lambda a, p, o: _pool(a)),
)


def source_params(name: str) -> Mapping[str, Param]:
    """The parameter table of a workload or fleet source (``synthetic``: its generator's)."""
    if name == "synthetic":
        from stargate.sim.synthetic import JOB_PARAM_TABLE

        return JOB_PARAM_TABLE
    if name == "forecast":
        from stargate.sim.synthetic import FORECAST_PARAM_TABLE

        return FORECAST_PARAM_TABLE
    registry = FLEETS if name in FLEETS and name not in WORKLOADS else WORKLOADS
    return registry.get(name).params


def check_params(name: str, params: Mapping[str, object]) -> dict[str, Any]:
    """``params`` (text from a spec, or numbers from a scenario's workload-source ``params``)
    checked against the source's table: the converted values, or InputError naming the
    parameter, its range and meaning. Every source is checked by this one function."""
    return convert_params(name, params, source_params(name))


def trace_path(spec: str, *, fleet: bool = False, data_dir: str | Path | None = None) -> Path:
    """The file a source spec reads: its PATH, or the trace's default file in a local copy
    (InputError saying where it looked when there is none)."""
    src = parse_source(spec)
    loader = (FLEETS if fleet else WORKLOADS).get(src.name)
    if loader.trace is None or loader.default_file is None:
        raise InputError(Problem(f"source '{src.name}' does not read a file", path=src.name))
    given = _file_arg(src.path, loader)
    return given if given is not None else default_path(loader.trace, loader.default_file, data_dir)


def load_workload(
    spec: str,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    context: Mapping[str, Any] | None = None,
    data_dir: str | Path | None = None,
) -> Any:
    """Load a workload from a source spec: a :class:`JobTable` (``alibaba-gpu-2023``,
    ``philly-2017``, ``synthetic``) or an :class:`InferenceDemand` (``azure-llm-2023``).

    ``warnings`` (a list, optional) receives the first problems of skipped bad rows;
    ``context`` (e.g. the fleet) is passed to the synthetic generator when it takes one;
    ``data_dir`` is searched first for a trace's default file when the spec gives no path.
    """
    src = parse_source(spec)
    loader = WORKLOADS.get(src.name)
    if loader is _SYNTHETIC:
        if src.path is not None:
            raise InputError(
                Problem(
                    "the synthetic source takes no path",
                    path=spec,
                    expected="synthetic?key=value&...",
                )
            )
        check_params("synthetic", src.params)  # names and ranges; generate() converts
        params: dict[str, Any] = dict(src.params)
    else:
        params = convert_params(src.name, src.params, source_params(src.name))
    opts = LoadOptions(
        skip_bad_rows=skip_bad_rows, warnings=warnings, context=context, data_dir=data_dir
    )
    path = _file_arg(src.path, loader)
    return loader.load(str(path) if path is not None else None, params, opts)


def load_fleet(
    spec: str,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    data_dir: str | Path | None = None,
) -> FleetSpec:
    """Load a fleet from a source spec: ``pool:N``, ``alibaba-gpu-2023[:PATH]`` (node list) or
    ``alibaba-spot-gpu-2026[:PATH]``."""
    src = parse_source(spec)
    loader = FLEETS.get(src.name)
    params = convert_params(src.name, src.params, loader.params)
    opts = LoadOptions(skip_bad_rows=skip_bad_rows, warnings=warnings, data_dir=data_dir)
    arg = src.path
    if loader.trace is not None:  # a file (a folder means its default file)
        path = _file_arg(src.path, loader)
        arg = str(path) if path is not None else None
    fleet: FleetSpec = loader.load(arg, params, opts)
    return fleet
