"""How to move a scenario of format version 1 to version 2, said about the file at hand.

Version 2 changed what existing fields mean (docs/concepts.md#format-versions), so a version-1
file is refused rather than read with new meanings it was not written for. The refusal is
one problem at the ``version`` line, whose hint lists the steps; each step that concerns a
part of this file is also a located warning (``stargate validate`` prints them after the
problem), so an editor can jump from one to the next. Where the rest of the file is valid as
version 2, the warnings give the figures that move (the capital charge on each owned type).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stargate.domain.model import Scenario
from stargate.errors import Problem

#: The steps, in the order the hint gives them (docs/concepts.md#format-versions).
STEPS = (
    "1. set 'version: 2'",
    "2. every listed pool and phase is now stock from its date, fixed in the planner: mark "
    "'status: planned' on those the planner may decide to build or buy",
    "3. the lab runs on the capacity it holds: list what it held on the horizon's first day "
    "under 'reservations' and the capacity contracts of the record under "
    "'capacity_requests'",
    "4. the ROFR now acts when the lab procures capacity, judged against the holder's "
    "'capacity_model' (a provider without one offers what its pools hold)",
    "5. the hourly cost of owned capacity now includes a capital charge at the discount rate "
    "(or a site's 'wacc'): set 'wacc: 0' on a site to keep version 1's straight-line cost",
)

DOC = "docs/concepts.md#format-versions"


def version_1_problem(line: int | None, column: int | None, label: str) -> Problem:
    """The problem at the ``version`` line of a version-1 file."""
    return Problem(
        "scenario format version 1 is no longer read: version 2 changed what pools, the ROFR "
        "and owned costs mean, so the file must say what it means",
        file=label,
        line=line,
        column=column,
        path="version",
        expected="version 2",
        found="1",
        hint=f"to migrate ({DOC}; `stargate validate` marks each place below): " + "; ".join(STEPS),
    )


def _items(data: Mapping[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    return [(i, it) for i, it in enumerate(items) if isinstance(it, dict)]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _ids(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def version_1_steps(data: Mapping[str, Any], scenario: Scenario | None) -> list[Problem]:
    """One warning (path only; the loader locates it) per part of a version-1 file whose
    meaning changed, saying what to do. ``scenario``: the file read as version 2, when that
    is valid, for the figures that move."""
    kinds = {
        p.get("id"): p.get("kind") for _, p in _items(data, "providers") if isinstance(p, dict)
    }
    owners: dict[str, list[str]] = {}
    for _, p in _items(data, "providers"):
        if isinstance(p.get("owner"), str) and isinstance(p.get("id"), str):
            owners.setdefault(p["owner"], []).append(p["id"])
    with_model = {p.get("id") for _, p in _items(data, "providers") if p.get("capacity_model")}
    out: list[Problem] = []

    def step(path: str, message: str, hint: str) -> None:
        out.append(Problem(f"version 2: {message}", path=path, severity="warning", hint=hint))

    for i, site in _items(data, "sites"):
        sid, prov = site.get("id"), site.get("provider")
        phases, pools = _items(site, "phases"), _items(site, "pools")
        if kinds.get(prov) == "cloud":
            if pools:
                step(
                    f"sites[{i}].pools",
                    f"the {_n(len(pools), 'pool')} of cloud site '{sid}': what '{prov}' can sell, "
                    "no longer capacity the lab holds",
                    "list what the lab held there on the horizon's first day under "
                    "'reservations' (holder, provider, site, accelerator, accelerators, term)",
                )
        elif phases or pools:
            step(
                f"sites[{i}]",
                f"the {_n(len(phases), 'phase')} and {_n(len(pools), 'pool')} of site '{sid}' are "
                "stock from their dates: the planner keeps them instead of deciding whether to "
                "build them",
                "mark 'status: planned' on those the planner may decide to build or buy (a "
                "pool on a planned phase is planned too)",
            )
        if isinstance(site.get("costs"), dict):
            step(
                f"sites[{i}].costs",
                f"the hourly cost of site '{sid}' now includes a capital charge"
                + _capital_figures(scenario, i),
                "set 'wacc: 0' on the site to keep version 1's straight-line cost, or 'wacc' to "
                "its owner's cost of capital",
            )
    for i, con in _items(data, "contracts"):
        for j, cl in _items(con, "clauses"):
            if cl.get("kind") != "right_of_first_refusal":
                continue
            holder = cl.get("holder")
            via = _ids(cl.get("holder_providers")) or owners.get(str(holder), [])
            bare = [p for p in via if p not in with_model]
            hint = (
                f"give {', '.join(repr(p) for p in bare)} a 'capacity_model': what new capacity "
                "it can offer the lab per period (without one it offers what its pools hold)"
                if bare
                else "check the holder's capacity model against the clause's requirements"
            )
            if cl.get("price_cap_usd_per_accelerator_hour") is not None:
                hint += (
                    "; a cap per unit of work can be given as 'price_cap_usd_per_reference_hour'"
                )
            step(
                f"contracts[{i}].clauses[{j}]",
                f"the ROFR '{cl.get('id')}' acts when the lab procures capacity, not per job",
                hint,
            )
    return out


def _capital_figures(scenario: Scenario | None, site_index: int) -> str:
    """': rate 8% (the discount rate); gb200 $1.30 -> $1.64', when the file is otherwise
    valid as version 2."""
    if scenario is None or site_index >= len(scenario.sites):
        return ""
    from stargate.scenario.snapshot import owned_cost_view

    site = scenario.site(scenario.sites[site_index].id)
    types = dict.fromkeys(p.accelerator for p in site.pools)
    rows = [owned_cost_view(scenario, site, scenario.accelerator(a)) for a in types]
    if not rows:
        return ""
    rate = rows[0]
    where = "the site's wacc" if rate.cost_of_capital_from == "wacc" else "the discount rate"
    moves = ", ".join(f"{r.accelerator} ${r.straight_line_usd} -> ${r.total_usd}" for r in rows)
    return f" at {rate.cost_of_capital:.1%} ({where}): per accelerator-hour {moves}"
