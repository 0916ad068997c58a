"""The shape of ``plan.json`` (and of ``stargate plan --json``) as pydantic models: the source
of ``stargate schema --output plan``, and a check that :meth:`PlanResult.to_dict` keeps its
public field names (tests validate real plans against it).

The result itself stays a dataclass holding Polars tables (:mod:`stargate.plan.result`); this
module only describes what it writes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from stargate.broker.capacity import ProcurementRecord
from stargate.domain.provenance import Provenance


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BuildRow(_Row):
    site: str
    phase: str
    period: str
    power_mw: float
    capex_usd: float
    capex_committed: str | None = Field(description="The day the capex is committed")
    status: str = Field(
        description="planned: the plan's decision; operational, under_construction or "
        "committed: fixed, built on its online date"
    )


class InstallRow(_Row):
    site: str
    provider: str
    accelerator: str
    period: str
    count: float
    capex_usd: float
    status: str = Field(
        description="planned: installed by the plan; a pool's status: listed stock, fixed"
    )


class RentalRow(_Row):
    provider: str
    site: str
    accelerator: str
    tier: Literal["on_demand", "reserved"] = Field(
        description="Always reserved: the planner holds capacity for a term"
    )
    workload_class: str
    period: str
    accelerator_hours: float
    cost_usd: float = Field(description="The hours used at their price")
    source: Literal["plan", "starting", "scheduled"] = Field(
        description="plan: capacity the plan rents or buys; starting: a starting reservation; "
        "scheduled: a reservation a dated capacity request placed"
    )
    basis: str = Field(
        description="Where the price came from: contract, offer, reserved, on_demand or cost "
        "(the price rule's basis)"
    )


class CostRow(_Row):
    period: str
    provider: str
    capex_usd: float
    depreciation_usd: float
    energy_usd: float
    opex_usd: float
    rental_usd: float
    compute_cost_usd: float
    fixed_compute_cost_usd: float = Field(
        description="The part of the compute cost that is fixed: what exists and what the "
        "record placed (fixed phases and pools, starting and scheduled reservations)"
    )
    decided_compute_cost_usd: float = Field(
        description="The part the plan decided: planned phases built, new installs, hours "
        "rented, capacity bought from capacity models"
    )


class ShareRow(_Row):
    period: str
    provider: str
    reference_hours: float = Field(description="Work done, reference-accelerator-hours")
    share: float = Field(description="Of the period's work done")
    capacity_reference_hours: float = Field(
        description="Capacity held, installed or rented, reference-accelerator-hours (an "
        "inference-only type at its best throughput)"
    )
    capacity_share: float = Field(description="Of the period's capacity")


class AnnualCostRow(_Row):
    year: int
    compute_cost_usd: float
    fixed_compute_cost_usd: float = Field(description="What exists and the record")
    decided_compute_cost_usd: float = Field(description="The plan's decisions")


class DemandRow(_Row):
    """The demand of one class in one period and what carries it, reference-accelerator-hours."""

    period: str
    workload_class: str
    demand_reference_hours: float
    fixed_reference_hours: float = Field(
        description="Carried by what exists and the record's reservations"
    )
    decided_reference_hours: float = Field(
        description="Carried by the plan's decisions: the demand the record leaves unmet"
    )
    decided_share: float = Field(description="decided ÷ demand (0 without demand)")
    unmet_reference_hours: float = Field(
        description="Left unmet: only in a history (settings.top_up false), where nothing the "
        "record holds or the plan may add can carry it"
    )


class PublicFigureCheck(_Row):
    """A public figure of the lab's compute spend over whole years of the horizon, beside the
    plan's compute cost for those years (:mod:`stargate.plan.public`)."""

    id: str
    period: str
    public_usd: float
    plan_usd: float
    fixed_usd: float
    decided_usd: float
    ratio: float | None
    tolerance: float | None
    lower_bound: bool = Field(description="The figure is a lower bound (>=N)")
    within: bool | None
    confidence: str
    use: str
    source: str


class ShadowPriceRow(_Row):
    constraint: str
    name: str
    period: str | None
    value_usd: float
    per: str


#: One row of a dated capacity request's decision: the same schema as summary.json's
#: ``procurement`` rows (:class:`stargate.broker.capacity.ProcurementRecord`).
ProcurementRow = ProcurementRecord


class CapacityHeldRow(_Row):
    """Capacity held in one period at one provider, site and type, by where it came from."""

    period: str
    provider: str
    site: str
    accelerator: str
    source: Literal["plan", "starting", "scheduled"]
    accelerators: float = Field(description="Average over the period (a term's days in it)")
    reference_accelerators: float = Field(
        description="accelerators x the type's throughput for settings.reference_class"
    )
    power_mw: float = Field(description="Facility power of the capacity held")
    committed_usd: float = Field(description="Paid for the period, used or not")
    used_usd: float
    idle_usd: float


#: USD to the cent as a decimal string (committed spend is money a party could dispute).
UsdString = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$")]


class CommitmentDrawRow(_Row):
    """What the plan's spend with the seller draws of a commitment in one period."""

    period: str
    drawable_days: int = Field(description="days of the period it is in force and in its period")
    spend_with_seller_usd: UsdString = Field(
        description="the plan's spend with the seller's providers in the period, used or not"
    )
    drawn_usd: UsdString


class CommitmentDoc(_Row):
    """One committed_spend clause in the plan (take-or-pay): docs/planner.md "Committed
    spend"."""

    clause: str
    contract: str
    seller: str
    providers: list[str] = Field(description="the providers the seller owns")
    amount_usd: UsdString = Field(description="the clause's whole amount")
    period_start: str
    period_end: str | None
    due_usd: UsdString = Field(description="the part due within the horizon, pro-rated by days")
    drawn_usd: UsdString
    shortfall_usd: UsdString = Field(description="due − drawn: paid anyway at settlement")
    shadow_price: float | None = Field(
        description="objective dollars per dollar more committed, in dollars paid at settlement "
        "(1: short; 0: covered with room); null without shadow prices"
    )
    shadow_price_pv: float | None = Field(description="the same in present value")
    settle: str = Field(description="the day a shortfall is paid, within the horizon")
    draws: list[CommitmentDrawRow]
    notes: list[str]


class PlanCore(_Row):
    """One plan: its status, cost, tables and how it was solved."""

    status: str = Field(description="optimal, feasible, infeasible, unbounded or error")
    objective_usd: float | None
    mip_gap: float | None
    builds: list[BuildRow]
    installs: list[InstallRow]
    rentals: list[RentalRow]
    cost_by_period: list[CostRow]
    share_by_provider: list[ShareRow]
    annual_compute_cost: list[AnnualCostRow]
    shadow_prices: list[ShadowPriceRow]
    procurement: list[ProcurementRow]
    capacity_held: list[CapacityHeldRow]
    demand: list[DemandRow]
    commitments: list[CommitmentDoc] = Field(
        default_factory=list, description="committed spend in force within the horizon"
    )
    conflicts: list[str]
    notes: list[str]
    horizon: list[int] | None = Field(description="[first year, last year]")
    clauses_off: list[str]
    solve_s: float
    build_s: float
    variables: int | None
    constraints: int | None


class PlanDocument(PlanCore):
    """``plan.json``: the plan, the public figures beside it, the plan with every clause in
    force when clauses are off (``baseline``), the difference, and the provenance."""

    public_figures: dict[str, float]
    public_figure_checks: list[PublicFigureCheck]
    baseline: PlanCore | None
    cost_difference_usd: float | None
    provenance: Provenance | None
