"""The planner's overrides (``stargate plan --overrides FILE``, or keyword arguments of
:func:`stargate.plan.plan`), checked in one place.

An overrides file is YAML or JSON with three optional fields::

    supply_per_year: {h100: 400000}   # accelerators of a type installable per year
    budget_usd: 5.0e10                # a cap on the horizon's capex, on top of the milestones
    exclude_sites: [milam]            # sites the plan may not use

:func:`read_overrides` reads the file through :func:`stargate.files.read_input` (regular files
only, size checked before reading) and :func:`stargate.scenario.yamlsrc.read_yaml`, and reports
*every* problem at once, each with the file, line, column and field. :func:`check_overrides`
holds the checks themselves; :func:`stargate.plan.data.prepare` runs the same checks on the
keyword arguments of :func:`~stargate.plan.plan`, so the command line and the Python API refuse
the same values with the same words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stargate.domain.limits import MAX_ACCELERATORS, MAX_USD
from stargate.domain.model import ProviderKind, Scenario
from stargate.errors import InputError, Problem, did_you_mean
from stargate.scenario.yamlsrc import PathKey, SourceMap, format_path

#: The fields an overrides file may have.
FIELDS = ("supply_per_year", "budget_usd", "exclude_sites")
#: The largest overrides file read: 1 MiB (three small fields; anything bigger is a mistake).
MAX_OVERRIDES_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Overrides:
    """Checked overrides: every value finite, inside the limits, naming things that exist."""

    supply_per_year: dict[str, float] = field(default_factory=dict)
    budget_usd: float | None = None
    exclude_sites: tuple[str, ...] = ()

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario without the excluded sites."""
        if not self.exclude_sites:
            return scenario
        gone = set(self.exclude_sites)
        return scenario.model_copy(
            update={"sites": [s for s in scenario.sites if s.id not in gone]}
        )

    def plan_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`stargate.plan.plan` these overrides set."""
        out: dict[str, Any] = {}
        if self.supply_per_year:
            out["supply_per_year"] = dict(self.supply_per_year)
        if self.budget_usd is not None:
            out["budget_usd"] = self.budget_usd
        return out


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()} (YAML reads yes/no/on/off as booleans)"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = (
        repr(value)
        if isinstance(value, str)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )
    return text if len(text) <= 40 else text[:37] + "..."


#: A number in exponent form without a dot (``5e10``): JSON and YAML 1.2 read it as a number,
#: PyYAML (YAML 1.1) as text; an overrides file may be JSON, so it is taken as the number.
_EXPONENT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a number (never a boolean, never other text), else
    None."""
    if isinstance(value, str) and _EXPONENT.fullmatch(value.strip()):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond a float's range
        return math.inf


class _Checker:
    def __init__(self, label: str | None, smap: SourceMap | None) -> None:
        self.label = label
        self.smap = smap
        self.problems: list[Problem] = []

    def add(self, message: str, path: PathKey, **more: str | None) -> None:
        loc = self.smap.locate(path) if self.smap is not None else None
        self.problems.append(
            Problem(
                message,
                path=format_path(path),
                file=loc.file if loc else self.label,
                line=loc.line if loc else None,
                column=loc.column if loc else None,
                **more,  # type: ignore[arg-type]
            )
        )


def check_overrides(
    data: Any,
    scenario: Scenario,
    *,
    label: str | None = None,
    smap: SourceMap | None = None,
) -> tuple[Overrides | None, list[Problem]]:
    """Every problem of overrides ``data`` (a mapping, as read from a file or built from keyword
    arguments), located through ``smap`` when given; the checked :class:`Overrides` when there
    is none."""
    ck = _Checker(label, smap)
    if not isinstance(data, Mapping):
        ck.add(
            "an overrides file must be a mapping",
            (),
            expected=", ".join(FIELDS),
            found=_describe(data),
        )
        return None, ck.problems
    for key in data:
        if key not in FIELDS:
            ck.add(
                f"unknown field '{key}'",
                (str(key),),
                expected="one of: " + ", ".join(FIELDS),
                hint=did_you_mean(str(key), FIELDS, list_valid=False),
            )
    supply = _supply(ck, data.get("supply_per_year"), scenario)
    budget = _budget(ck, data.get("budget_usd"))
    excluded = _excluded(ck, data.get("exclude_sites"), scenario)
    if ck.problems:
        return None, sorted(ck.problems, key=lambda p: (p.line or 0, p.column or 0))
    return Overrides(supply, budget, excluded), []


def _supply(ck: _Checker, raw: Any, scenario: Scenario) -> dict[str, float]:
    out: dict[str, float] = {}
    if raw is None:
        return out
    path: PathKey = ("supply_per_year",)
    if not isinstance(raw, Mapping):
        ck.add(
            "supply_per_year must be a mapping of accelerator type to accelerators per year",
            path,
            expected="e.g. {h100: 400000}",
            found=_describe(raw),
        )
        return out
    types = [a.id for a in scenario.accelerators]
    for tid, value in raw.items():
        here = (*path, str(tid))
        if tid not in types:
            ck.add(f"unknown accelerator '{tid}'", here, hint=did_you_mean(str(tid), types))
            continue
        n = _number(value)
        expected = f"a number of accelerators per year from 0 to {MAX_ACCELERATORS:,}"
        if n is None:
            ck.add("supply must be a number", here, expected=expected, found=_describe(value))
        elif not math.isfinite(n):
            ck.add(
                "supply must be a finite number", here, expected=expected, found=_describe(value)
            )
        elif n < 0:
            ck.add("supply must not be negative", here, expected=expected, found=_describe(value))
        elif n > MAX_ACCELERATORS:
            ck.add(
                "supply is more than Stargate represents",
                here,
                expected=expected,
                found=_describe(value),
            )
        else:
            out[str(tid)] = n
    return out


def _budget(ck: _Checker, raw: Any) -> float | None:
    if raw is None:
        return None
    path: PathKey = ("budget_usd",)
    n = _number(raw)
    expected = f"a number of US dollars greater than 0 and at most {float(MAX_USD):g}"
    if n is None:
        ck.add("budget_usd must be a number", path, expected=expected, found=_describe(raw))
    elif not math.isfinite(n):
        ck.add("budget_usd must be a finite number", path, expected=expected, found=_describe(raw))
    elif n <= 0:
        ck.add("budget_usd must be greater than 0", path, expected=expected, found=_describe(raw))
    elif n > MAX_USD:
        ck.add(
            "budget_usd is more than Stargate represents",
            path,
            expected=expected,
            found=_describe(raw),
        )
    else:
        return n
    return None


def _excluded(ck: _Checker, raw: Any, scenario: Scenario) -> tuple[str, ...]:
    if raw is None:
        return ()
    path: PathKey = ("exclude_sites",)
    if not isinstance(raw, list | tuple):
        ck.add(
            "exclude_sites must be a list of site ids",
            path,
            expected="e.g. [milam, saline]",
            found=_describe(raw),
        )
        return ()
    sites = [s.id for s in scenario.sites]
    out: list[str] = []
    before = len(ck.problems)
    for i, sid in enumerate(raw):
        if not isinstance(sid, str):
            ck.add("a site id must be text", (*path, i), found=_describe(sid))
        elif sid not in sites:
            ck.add(f"unknown site '{sid}'", (*path, i), hint=did_you_mean(sid, sites))
        elif sid not in out:
            out.append(sid)
    if len(ck.problems) == before and out:
        kinds = {p.id: p.kind for p in scenario.providers}
        usable = [
            s.id
            for s in scenario.sites
            if s.id not in out and (kinds.get(s.provider) == ProviderKind.cloud or s.costs)
        ]
        if not usable:
            ck.add(
                "these exclusions leave no site the plan can use",
                path,
                expected="at least one cloud site or site with a cost basis ('costs') kept",
                found=f"{len(out)} of {len(sites)} sites excluded",
            )
    return tuple(out)


def read_overrides(path: str, scenario: Scenario) -> Overrides:
    """The checked overrides in the YAML or JSON file ``path``; :class:`InputError` with every
    problem, each located (file, line, column, field), otherwise."""
    from stargate.files import read_input
    from stargate.scenario.yamlsrc import read_text, read_yaml

    raw = read_input(
        path,
        "an overrides file (YAML or JSON)",
        max_bytes=MAX_OVERRIDES_BYTES,
    )
    text, problems = read_text(path, raw)
    if text is None:
        raise InputError(problems)
    data, smap, problems = read_yaml(text, path)
    if problems:
        raise InputError(problems)
    ov, problems = check_overrides(data, scenario, label=path, smap=smap)
    if ov is None:
        raise InputError(problems)
    return ov
