"""Source specs, ``NAME[:PATH][?key=value&key=value]``, and the parameter tables of the trace
loaders (converted and checked by :func:`stargate.sim.workload.convert_params`)."""

from __future__ import annotations

import re
from typing import NamedTuple

from stargate.domain.limits import MAX_ITEMS
from stargate.errors import InputError, Problem
from stargate.sim.workload import MAX_SEED, Param

#: The largest ``scale`` of ``azure-llm-2023``.
MAX_AZURE_SCALE = 1e6
#: The highest arrival rate of ``philly-2017``, jobs per hour.
MAX_RATE_PER_H = 1e9
#: Default arrival rate of ``philly-2017`` jobs (the run-time file has no arrival times).
PHILLY_DEFAULT_RATE_PER_H = 60.0


class SourceSpec(NamedTuple):
    """A parsed ``NAME[:PATH][?k=v&k=v]``."""

    name: str
    path: str | None
    params: dict[str, str]


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SPEC_EXPECTED = "NAME[:PATH][?key=value&key=value], e.g. alibaba-gpu-2023:pods.csv?limit=1000"


def parse_source(spec: str) -> SourceSpec:
    """Split a source spec into its name, optional path and parameters.

    ``alibaba-gpu-2023:/data/pods.csv?limit=1000`` → ``("alibaba-gpu-2023", "/data/pods.csv",
    {"limit": "1000"})``; ``azure-llm-2023?scale=10`` → ``("azure-llm-2023", None, {"scale":
    "10"})``; ``pool:512`` → ``("pool", "512", {})``. Parameter values stay strings (each loader
    converts its own). A malformed spec raises InputError.
    """

    def bad(why: str) -> InputError:
        return InputError(Problem(f"malformed source '{spec}': {why}", expected=_SPEC_EXPECTED))

    text = spec.strip()
    if not text:
        raise bad("it is empty")
    head, qmark, query = text.partition("?")
    name, colon, path = head.partition(":")
    if not name:
        raise bad("no name before ':'")
    if not _NAME.fullmatch(name):
        raise bad(f"'{name}' is not a source name")
    if colon and not path:
        raise bad("no path after ':'")
    params: dict[str, str] = {}
    if qmark:
        if not query:
            raise bad("no parameters after '?'")
        for item in query.split("&"):
            key, eq, value = item.partition("=")
            key = key.strip()
            if not item or not eq:
                raise bad(f"parameter '{item}' has no '=value'")
            if not key:
                raise bad(f"parameter '{item}' has no name")
            if key in params:
                raise bad(f"parameter '{key}' is given twice")
            params[key] = value.strip()
    return SourceSpec(name, path if colon else None, params)


#: ``alibaba-gpu-2023`` (jobs): its parameters.
ALIBABA_JOB_PARAMS: dict[str, Param] = {
    "limit": Param(int, "keep the earliest jobs, count the rest", 1, MAX_ITEMS, default="all")
}
#: ``azure-llm-2023``: its parameters.
AZURE_PARAMS: dict[str, Param] = {
    "scale": Param(float, "multiplies the demand", 0, MAX_AZURE_SCALE, low_open=True, default="1")
}
#: ``philly-2017`` (jobs): its parameters.
PHILLY_PARAMS: dict[str, Param] = {
    "rate_per_h": Param(
        float,
        "jobs arriving per hour (Poisson)",
        0,
        MAX_RATE_PER_H,
        low_open=True,
        default=f"{PHILLY_DEFAULT_RATE_PER_H:g}",
    ),
    "seed": Param(int, "seed of the arrivals and the order", 0, MAX_SEED, default="0"),
    "limit": Param(int, "keep a random sample of jobs", 1, MAX_ITEMS, default="all"),
}
