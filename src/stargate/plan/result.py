"""What :func:`stargate.plan.plan` returns: :class:`PlanResult`, its status and conflicts.

One result style across the engines: plain data with :meth:`PlanResult.to_dict` (the object
``stargate plan --json`` prints, field names a public contract) and :meth:`PlanResult.write`
(the tables as CSV and Parquet, ``plan.json`` byte for byte what ``--json`` prints, and the
solver's log). Every ``to_dict`` carries the result's :class:`~stargate.domain.provenance.
Provenance` under ``provenance``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import polars as pl

from stargate.domain.provenance import Provenance
from stargate.errors import InputError, Problem
from stargate.plan.commit import CommitmentRow


class PlanStatus(StrEnum):
    optimal = "optimal"
    feasible = "feasible"  # a solution within a time limit, with a gap
    infeasible = "infeasible"
    unbounded = "unbounded"
    error = "error"


@dataclass(frozen=True, slots=True)
class Conflict:
    """One relaxed constraint of an infeasible plan, in plain words."""

    kind: str  # demand | power | budget | supply | rental_cap
    name: str  # the class, site, milestone, accelerator or cloud site
    period: str | None
    amount: float
    unit: str
    message: str


#: The result's tables: in ``to_dict()`` / ``--json``, and written by ``write()`` as CSV and
#: Parquet.
TABLES = (
    "builds",
    "installs",
    "rentals",
    "cost_by_period",
    "share_by_provider",
    "annual_compute_cost",
    "shadow_prices",
    "procurement",
    "capacity_held",
    "demand",
)

#: A JSON object as ``to_dict`` builds it: JSON values only.
JsonObject = dict[str, object]


@dataclass(repr=False)
class PlanResult:
    status: PlanStatus
    objective_usd: float | None
    mip_gap: float | None
    solve_s: float
    build_s: float
    variables: int
    constraints: int
    builds: pl.DataFrame
    installs: pl.DataFrame
    rentals: pl.DataFrame
    cost_by_period: pl.DataFrame
    share_by_provider: pl.DataFrame
    annual_compute_cost: pl.DataFrame
    shadow_prices: pl.DataFrame
    #: The dated capacity requests placed before the plan (the simulator's ``procurement``
    #: rows: price, ROFR verdict, who decided).
    procurement: pl.DataFrame
    #: Capacity held per period: reservations (starting, scheduled) and what the plan buys
    #: from capacity models, with what it costs used or not.
    capacity_held: pl.DataFrame
    #: Per period and workload class: the demand, the part of it done on what exists and the
    #: record's reservations (fixed) and the part done on the plan's decisions (decided: the
    #: demand the record leaves unmet), in reference-accelerator-hours.
    demand: pl.DataFrame
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Each committed_spend clause in force within the horizon (take-or-pay): what is due
    #: within it, what the plan's spend with the seller draws, the shortfall, and the shadow
    #: price of one more dollar committed (:class:`~stargate.plan.commit.CommitmentRow`).
    commitments: list[CommitmentRow] = field(default_factory=list)
    #: The years planned (first, last), both included.
    horizon: tuple[int, int] | None = None
    #: Ids of the clauses switched off (``without``), sorted.
    clauses_off: list[str] = field(default_factory=list)
    #: What the solver said (HiGHS' log and linopy's messages), for every solve of this plan;
    #: never printed on the terminal (``stargate plan --solver-log FILE`` writes it).
    solver_log: str = ""
    #: ``year`` or ``quarter``: the length of the plan's periods.
    period: str = "year"
    #: The scenario's public annual compute-cost figures, USD by year (``"2026"``), shown
    #: beside the plan's (:func:`stargate.domain.figures.public_compute_costs_by_year`).
    public_figures: dict[str, float] = field(default_factory=dict)
    #: Each public figure of the lab's compute spend over whole years of the horizon beside
    #: the plan's compute cost for those years: id, period, public and plan USD, the ratio,
    #: the figure's tolerance, whether the plan is within it, and how much of the plan's cost
    #: is fixed (what exists and the record) and how much the plan decided.
    public_figure_checks: list[dict[str, object]] = field(default_factory=list)
    #: With clauses switched off and ``plan(..., baseline=True)``: the same plan with every
    #: clause in force.
    baseline: PlanResult | None = None
    #: Where the result came from: scenario id and hash, version, clauses switched off.
    provenance: Provenance | None = None

    def explain(self) -> str:
        """Why the plan is infeasible, one line per conflicting constraint."""
        return "\n".join(c.message for c in self.conflicts)

    @property
    def cost_difference_usd(self) -> float | None:
        """Objective without the clauses switched off minus the baseline's (negative: the
        clauses cost money); None without a baseline or an objective."""
        b = self.baseline
        if b is None or self.objective_usd is None or b.objective_usd is None:
            return None
        return round(self.objective_usd - b.objective_usd, 2) + 0.0

    def full_solver_log(self) -> str:
        """The solver's log of this plan and, when there is one, of its baseline."""
        if self.baseline is None:
            return self.solver_log
        off = ", ".join(self.clauses_off)
        return (
            f"== the plan without {off} ==\n{self.solver_log}"
            f"== the baseline: every clause in force ==\n{self.baseline.solver_log}"
        )

    def _core(self) -> JsonObject:
        return {
            "status": str(self.status),
            "objective_usd": self.objective_usd,
            "mip_gap": self.mip_gap,
            **{name: getattr(self, name).to_dicts() for name in TABLES},
            "commitments": [c.to_dict() for c in self.commitments],
            "conflicts": [c.message for c in self.conflicts],
            "notes": list(self.notes),
            "horizon": list(self.horizon) if self.horizon is not None else None,
            "clauses_off": list(self.clauses_off),
            "solve_s": round(self.solve_s, 3),
            "build_s": round(self.build_s, 3),
            "variables": self.variables,
            "constraints": self.constraints,
        }

    def to_dict(self) -> JsonObject:
        """What ``stargate plan --json`` prints and ``write`` puts in plan.json: the plan, the
        scenario's public figures, the baseline (when clauses are off) and what switching
        them off changes (``cost_difference_usd``), and the provenance."""
        data = self._core()
        data["public_figures"] = dict(self.public_figures)
        data["public_figure_checks"] = [dict(c) for c in self.public_figure_checks]
        data["baseline"] = self.baseline._core() if self.baseline is not None else None
        data["cost_difference_usd"] = self.cost_difference_usd
        data["provenance"] = (
            self.provenance.model_dump(mode="json") if self.provenance is not None else None
        )
        return data

    def to_json(self) -> str:
        """``to_dict()`` as the text ``--json`` prints (two-space indent, a final newline)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str) + "\n"

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write each table as ``<name>.csv`` and ``<name>.parquet``, ``plan.json`` (exactly
        :meth:`to_json`) and ``solver.log`` into ``out_dir`` (created if missing); the paths
        written, in that order. A place that cannot be written is an :class:`InputError`."""
        out = Path(out_dir)
        written: list[Path] = []
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name in TABLES:
                df: pl.DataFrame = getattr(self, name)
                for suffix in ("csv", "parquet"):
                    path = out / f"{name}.{suffix}"
                    if suffix == "csv":
                        df.write_csv(path)
                    else:
                        df.write_parquet(path)
                    written.append(path)
            (out / "plan.json").write_text(self.to_json(), encoding="utf-8")
            (out / "solver.log").write_text(self.full_solver_log(), encoding="utf-8")
        except OSError as exc:
            raise InputError(
                Problem(
                    f"cannot write the plan's files: {exc.strerror or exc}",
                    path="out_dir",
                    file=str(exc.filename or out),
                )
            ) from None
        written += [out / "plan.json", out / "solver.log"]
        return written

    # -- display ------------------------------------------------------------------------
    def _headline(self) -> str:
        hz = f"{self.horizon[0]}..{self.horizon[1]}" if self.horizon else "?"
        obj = "" if self.objective_usd is None else f", objective ${self.objective_usd:,.0f}"
        off = f", without {', '.join(self.clauses_off)}" if self.clauses_off else ""
        return f"{self.status}{obj}, horizon {hz} by {self.period}{off}"

    def __repr__(self) -> str:
        parts = [
            f"PlanResult({self._headline()}",
            f"  {self.builds.height} builds, {self.installs.height} installs, "
            f"{self.rentals.height} rentals, {self.procurement.height} procurement rows; "
            f"{self.variables:,} variables, "
            f"{self.constraints:,} constraints; build {self.build_s:.2f} s, "
            f"solve {self.solve_s:.2f} s",
        ]
        if self.conflicts:
            parts.append(f"  {len(self.conflicts)} conflicts: {self.conflicts[0].message}")
        if self.cost_difference_usd is not None:
            parts.append(f"  cost difference against every clause in force: "
                         f"${self.cost_difference_usd:,.2f}")  # fmt: skip
        return "\n".join(parts) + ")"

    def _repr_html_(self) -> str:
        """A short summary for notebooks: the headline and the cost per year."""
        e = html.escape
        rows = "".join(
            f"<tr><td>{e(str(r['year']))}</td><td>${r['compute_cost_usd']:,.0f}</td></tr>"
            for r in self.annual_compute_cost.iter_rows(named=True)
        )
        conflicts = "".join(f"<li>{e(c.message)}</li>" for c in self.conflicts)
        return (
            f"<div><strong>PlanResult</strong>: {e(self._headline())}<br>"
            f"{self.builds.height} builds, {self.installs.height} installs, "
            f"{self.rentals.height} rentals"
            + (f"<ul>{conflicts}</ul>" if conflicts else "")
            + (
                "<table><tr><th>year</th><th>compute cost</th></tr>" + rows + "</table>"
                if rows
                else ""
            )
            + "</div>"
        )
