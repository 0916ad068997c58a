"""What the simulator replays: jobs, inference demand, and fleets for experiments.

These are the plain containers that trace loaders (:mod:`stargate.sim.traces`) and the
synthetic generator (:mod:`stargate.sim.synthetic`) produce and the engine consumes. Columns are
numpy arrays of equal length, so a million jobs cost tens of megabytes, not a million objects.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt

from stargate.domain.limits import MAX_DURATION_H
from stargate.domain.units import HOURS_PER_DAY, MINUTES_PER_HOUR, SECONDS_PER_HOUR
from stargate.errors import InputError, Problem, did_you_mean

FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int64]

#: Workload class given to trace jobs that do not say theirs.
DEFAULT_TRAINING_CLASS = "research-training"
#: The latest arrival and the longest run a job may have, in seconds from the start of the
#: workload: :data:`~stargate.domain.limits.MAX_DURATION_H` (100 years). Every loader and the
#: generator refuse a job beyond it, so the simulated span never grows with one value.
MAX_JOB_S = MAX_DURATION_H * SECONDS_PER_HOUR
#: The most minutes of inference demand (ten years): a trace or generated demand spanning more
#: is refused, so its per-minute arrays stay under ~130 MB.
MAX_DEMAND_MINUTES = 10 * 366 * HOURS_PER_DAY * MINUTES_PER_HOUR
#: The largest seed of a random source (seeds are unsigned 64-bit numbers).
MAX_SEED = 2**64 - 1


#: A number as text: ASCII digits, an optional sign, point and exponent. Python's float() and
#: Decimal() also take ``1_000``, other scripts' digits and ``nan``; numbers in specs and trace
#: cells take only this, so what is read is what a reader of the file sees.
NUMBER_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")


def _num(x: float) -> str:
    if isinstance(x, int):
        return f"{x:,}"
    if float(x).is_integer() and abs(x) < 1e16:
        return f"{int(x):,}"
    return f"{x:g}"


def hours_text(h: float) -> str:
    """Hours for a message: ``19,954,971`` or, when huge, ``2e+303``."""
    return f"{h:,.0f}" if h < 1e12 else f"{h:.3g}"


@dataclass(frozen=True)
class Param:
    """A parameter of a workload or fleet source: its type, range and meaning. The same table
    converts the text of a spec (``philly-2017?seed=3``) and the numbers of a scenario's
    ``params``, and is shown in errors and in docs/traces.md and docs/synthetic.md.

    ``kind`` is int (a whole number: an integer, or a number that is exactly whole, such as
    ``1e3``), float (a finite number) or str. ``low``/``high`` bound the value (both included,
    unless ``low_open``: then the value must be above ``low``). Booleans, NaN and infinities are
    never numbers."""

    kind: type
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    default: str = ""

    def expected(self) -> str:
        """The range in words, e.g. ``a whole number from 1 to 10,000,000``."""
        if self.kind is str:
            return "text"
        what = "a whole number" if self.kind is int else "a number"
        lo, hi = self.low, self.high
        if lo is not None and self.low_open:
            text = f"{what} above {_num(lo)}"
            return text + (f" and at most {_num(hi)}" if hi is not None else "")
        if lo is not None and hi is not None:
            return f"{what} from {_num(lo)} to {_num(hi)}"
        if lo is not None:
            return f"{what} ≥ {_num(lo)}"
        if hi is not None:
            return f"{what} ≤ {_num(hi)}"
        return what

    def value(self, given: object) -> Any:
        """The converted value, or None when ``given`` is not of this type or range."""
        if self.kind is str:
            return given.strip() if isinstance(given, str) and given.strip() else None
        if isinstance(given, bool | np.bool_) or not isinstance(
            given, numbers.Real | Decimal | str
        ):
            return None
        if isinstance(given, str) and not NUMBER_TEXT.fullmatch(given):
            return None
        x: int | float
        if self.kind is int:
            if isinstance(given, numbers.Integral):
                x = int(given)
            else:
                try:
                    d = Decimal(given.strip() if isinstance(given, str) else float(given))
                except (InvalidOperation, ValueError):
                    return None
                # an exact whole number only; the exponent test keeps 1e999999 from expanding
                if not d.is_finite() or d != d.to_integral_value() or d.adjusted() > 40:
                    return None
                x = int(d)
        else:
            try:
                x = float(given.strip()) if isinstance(given, str) else float(given)
            except (ValueError, OverflowError, TypeError):
                return None
            if not math.isfinite(x):
                return None
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return None
        if self.high is not None and x > self.high:
            return None
        return x

    def convert(self, source: str, key: str, given: object) -> Any:
        x = self.value(given)
        if x is None:
            raise InputError(
                Problem(
                    f"invalid value for {source} parameter '{key}'",
                    path=f"{source}?{key}",
                    expected=f"{self.expected()} ({self.help})",
                    found=_found(given),
                )
            )
        return x


def _found(given: object) -> str:
    text = repr(given)
    return text if len(text) <= 40 else f"{text[:24]}…{text[-8:]} ({len(text)} characters)"


def convert_params(
    source: str, given: Mapping[str, object], params: Mapping[str, Param]
) -> dict[str, Any]:
    """Every given parameter checked against the source's table: an unknown name is an
    InputError with the valid names and a "did you mean"; a bad value names the range."""
    out: dict[str, Any] = {}
    unknown = [k for k in given if k not in params]
    if unknown:
        valid = ", ".join(params) or "none"
        raise InputError(
            [
                Problem(
                    f"unknown {source} parameter '{key}'",
                    path=f"{source}?{key}",
                    expected=f"one of: {valid}",
                    hint=did_you_mean(key, params, list_valid=False),
                )
                for key in unknown
            ]
        )
    for key, value in given.items():
        out[key] = params[key].convert(source, key, value)
    return out


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
