"""The scenario model: parties, accelerators, providers, sites, contracts, workloads.

Everything here is plain data validated by pydantic v2. The domain model imports nothing else
from the package; engines (broker, sim, plan, ledger) read it and never change it (all models
are frozen).

Conventions:

* every named thing has an ``id``: a lowercase slug users type on the command line;
* units are in field names (``power_mw``, ``tdp_w``, ``*_usd``, ``*_h``);
* money in the scenario is :class:`~decimal.Decimal` in US dollars, never float (where money
  may be float, for analysis only, see docs/design.md#money);
* dates are ISO dates; a :class:`Period` includes both its ``start`` and its ``end`` day
  (``end: 2030-12-31`` means "through 2030"); an open ``end`` runs forever.

One module over 600 lines because a scenario is one document: its models reference each
other (a site's pools, a contract's clauses and amendments), and pydantic resolves them in
one namespace.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from stargate.domain.limits import (
    Count,
    Day,
    FloatInput,
    Hours,
    Money,
    NoBool,
    PerNode,
    refuse_booleans,
)

_T = TypeVar("_T", "Party", "Accelerator", "Provider", "Site", "WorkloadClass", "Artifact")

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=64),
    Field(description="A lowercase id: letters a-z, digits and '-', starting with a letter/digit"),
]
PositiveFloat = Annotated[float, FloatInput, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, FloatInput, Field(ge=0, allow_inf_nan=False)]
Usd = Annotated[Money, Field(ge=0, description="US dollars")]
PositiveUsd = Annotated[Money, Field(gt=0, description="US dollars")]
Source = Annotated[
    str | None,
    Field(
        default=None,
        description="Where a figure comes from: a URL, 'announcement', or 'assumption: why'",
    ),
]


class Model(BaseModel):
    """Base of every scenario object: unknown fields are errors, objects are immutable, and a
    field that takes only numbers refuses booleans (see :func:`numeric_fields`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_not_booleans(cls, data: Any) -> Any:
        return refuse_booleans(cls, data)


class Period(Model):
    """A span of days, both ends included. ``end: null`` is open-ended."""

    start: Day
    end: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end is not None and self.end < self.start:
            raise ValueError(
                f"date range ends before it starts: end {self.end.isoformat()} "
                f"is before start {self.start.isoformat()}"
            )
        return self

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Period) -> bool:
        a_end = self.end or date.max
        b_end = other.end or date.max
        return self.start <= b_end and other.start <= a_end


# --------------------------------------------------------------------------- parties


class PartyRole(StrEnum):
    operator = "operator"
    financier = "financier"
    cloud_provider = "cloud_provider"
    technology_partner = "technology_partner"
    supplier = "supplier"
    investor = "investor"
    nonprofit_board = "nonprofit_board"
    developer = "developer"
    ai_lab = "ai_lab"
    competitor = "competitor"


class Person(Model):
    name: str
    title: str
    source: Source


class Party(Model):
    """An organisation that signs contracts, owns providers or supplies hardware."""

    id: Slug
    name: str
    roles: list[PartyRole] = Field(min_length=1)
    people: list[Person] = Field(default_factory=list)
    notes: str | None = None
    source: Source


# --------------------------------------------------------------------------- accelerators


class Accelerator(Model):
    """An accelerator type. ``throughput`` is relative to the scenario's reference accelerator,
    per workload class; a class that is missing (or 0) cannot run on this type."""

    id: Slug
    name: str
    vendor: str
    bf16_dense_tflops: PositiveFloat
    memory_gb: PositiveFloat
    tdp_w: PositiveFloat
    unit_price_usd: Usd
    available_from: Day
    throughput: dict[Slug, NonNegativeFloat] = Field(default_factory=dict)
    source: Source
    notes: str | None = None

    def throughput_for(self, workload_class: str) -> float:
        return self.throughput.get(workload_class, 0.0)


# --------------------------------------------------------------------------- providers, sites


class ProviderKind(StrEnum):
    cloud = "cloud"
    owned = "owned"
    joint_venture = "joint_venture"
    colocation = "colocation"


class ContractPrice(Model):
    """The price one party pays under its own contract, instead of the list price."""

    party: Slug
    usd_per_accelerator_hour: PositiveUsd
    source: Source
    notes: str | None = None


class CloudPrice(Model):
    """A cloud's price for one accelerator-hour of a type (not an instance-hour): list prices
    (on-demand, reserved) and contract prices for named parties (see
    :func:`stargate.domain.pricing.unit_price` for which one an engine uses)."""

    accelerator: Slug
    on_demand_usd_per_accelerator_hour: PositiveUsd
    reserved_usd_per_accelerator_hour: PositiveUsd | None = None
    contract_prices: list[ContractPrice] = Field(default_factory=list)
    source: Source

    def contract_price_for(self, party: str | None) -> ContractPrice | None:
        if party is None:
            return None
        return next((c for c in self.contract_prices if c.party == party), None)

    @model_validator(mode="after")
    def _reserved_not_dearer(self) -> CloudPrice:
        if (
            self.reserved_usd_per_accelerator_hour is not None
            and self.reserved_usd_per_accelerator_hour > self.on_demand_usd_per_accelerator_hour
        ):
            raise ValueError("reserved price is higher than the on-demand price")
        return self


CapacityPer = Literal["month", "quarter", "year"]


class CapacityRow(Model):
    """New capacity a provider can offer: ``accelerators`` of one type per calendar ``per``
    (month, quarter or year) from ``start`` to ``end``. A flow: what is not sold in a period is
    gone at its end, unless ``carry_over`` says it stays on offer. Capacity sold in a period
    runs for the buyer's term from then on."""

    accelerator: Slug
    site: Slug | None = Field(
        default=None,
        description="Where the capacity is delivered; null: the provider's first site (in id "
        "order) with pools of this type, else its first site",
    )
    start: Day
    end: Day | None = None
    accelerators: Count = Field(description="Accelerators offered per period")
    per: CapacityPer = "year"
    carry_over: bool = False
    price_usd_per_accelerator_hour: PositiveUsd | None = Field(
        default=None,
        description="The price of this capacity; null: the provider's price rows",
    )
    source: Source
    notes: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CapacityRow:
        if self.end is not None and self.end < self.start:
            raise ValueError(
                f"date range ends before it starts: end {self.end.isoformat()} "
                f"is before start {self.start.isoformat()}"
            )
        return self

    def span(self) -> Period:
        return Period(start=self.start, end=self.end)


class Provider(Model):
    """Who offers capacity: a cloud (priced per accelerator-hour) or a campus of one's own
    (owned, joint venture, colocation; priced through capex and opex on its sites).

    ``capacity_model``: the new capacity it can offer per period (see :class:`CapacityRow`);
    a provider without one offers what its pools hold."""

    id: Slug
    name: str
    kind: ProviderKind
    owner: Slug
    operator: Slug | None = None
    prices: list[CloudPrice] = Field(default_factory=list)
    capacity_model: list[CapacityRow] = Field(default_factory=list)
    source: Source
    notes: str | None = None

    def price_for(self, accelerator: str) -> CloudPrice | None:
        for p in self.prices:
            if p.accelerator == accelerator:
                return p
        return None


class Location(Model):
    city: str | None = None
    region: str | None = Field(default=None, description="State or province")
    country: str = "US"
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


#: Where a phase or a pool stands. Everything but ``planned`` exists (or is firmly on its way)
#: from its date: engines treat it as stock, and the planner as fixed. ``planned`` marks a
#: candidate the planner may decide to build or buy.
Status = Literal["operational", "under_construction", "committed", "planned"]
STATUSES: tuple[str, ...] = ("operational", "under_construction", "committed", "planned")


class Phase(Model):
    """A build phase of a site: facility power (MW) that comes online on a date."""

    id: Slug
    power_mw: PositiveFloat
    online: Day
    status: Status = Field(
        default="operational",
        description="operational, under_construction or committed: fixed stock from 'online'; "
        "planned: a candidate the planner may build",
    )
    announced: Day | None = Field(default=None, description="The day the phase was announced")
    cancelled: Day | None = Field(
        default=None,
        description="The day the phase was dropped: gone from then on (never stock, never a "
        "candidate; cancelled before 'online', it never comes online)",
    )
    source: Source

    @model_validator(mode="after")
    def _dates(self) -> Phase:
        announced, cancelled = self.announced, self.cancelled
        if announced is not None and cancelled is not None and cancelled < announced:
            raise ValueError("'cancelled' is before 'announced'")
        return self

    def exists_on(self, day: date) -> bool:
        """Whether the phase is online on ``day`` and not cancelled by then."""
        return self.online <= day and (self.cancelled is None or day < self.cancelled)

    def never_online(self) -> bool:
        """Cancelled on or before its online day: it never serves."""
        return self.cancelled is not None and self.cancelled <= self.online


class Pool(Model):
    """Capacity: ``count`` accelerators of one type at a site, available from a date."""

    id: Slug
    accelerator: Slug
    count: Count
    available_from: Day
    phase: Slug | None = Field(default=None, description="The build phase that powers it")
    accelerators_per_node: PerNode = 8
    status: Status = Field(
        default="operational",
        description="operational, under_construction or committed: stock from "
        "'available_from'; planned: a candidate the planner may buy; not given: its phase's "
        "status where it names a phase, else operational",
    )
    source: Source


class OwnedCosts(Model):
    """Cost basis of an owned or joint-venture site, from which a cost per accelerator-hour is
    derived (see :func:`stargate.domain.costs.owned_cost_per_accelerator_hour`)."""

    facility_capex_usd_per_mw: Usd
    facility_life_years: PositiveFloat = 15
    accelerator_life_years: PositiveFloat = 5
    opex_usd_per_mw_year: Usd = Decimal(0)
    construction_lead_years: NonNegativeFloat = Field(
        default=0.0,
        description="Years between committing a phase's facility capex and its power coming "
        "online; the planner charges (discounts and budgets) the capex that much earlier",
    )
    accelerator_unit_price_usd: dict[Slug, Usd] = Field(
        default_factory=dict, description="Overrides of accelerators' list prices at this site"
    )
    source: Source


class Outage(Model):
    """A scripted outage of a whole site (or of some of its pools)."""

    start: Day
    end: Day
    pools: list[Slug] = Field(default_factory=list, description="Empty: every pool of the site")
    reason: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Outage:
        if self.end < self.start:
            raise ValueError(
                f"date range ends before it starts: end {self.end.isoformat()} "
                f"is before start {self.start.isoformat()}"
            )
        return self


class Reliability(Model):
    mtbf_h: Hours
    mttr_h: Hours


class Lease(Model):
    """A site built by its ``developer`` and leased for a term by the site's provider, which
    operates it and sells its capacity (at the price rows of the site or the provider)."""

    start: Day
    term_years: PositiveFloat
    source: Source
    notes: str | None = None


class Site(Model):
    """A place with power and accelerators, run by one provider."""

    id: Slug
    name: str
    provider: Slug
    location: Location = Field(default_factory=Location)
    power_capacity_mw: PositiveFloat | None = Field(
        default=None, description="Facility (grid) power at full build-out; null if not modelled"
    )
    pue: Annotated[float, Field(ge=1.0, le=3.0)] = 1.3
    energy_price_usd_per_mwh: Usd | None = None
    announced: Day | None = None
    phases: list[Phase] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    costs: OwnedCosts | None = None
    prices: list[CloudPrice] = Field(
        default_factory=list, description="Site-specific cloud prices; override the provider's"
    )
    outages: list[Outage] = Field(default_factory=list)
    reliability: Reliability | None = None
    developer: Slug | None = Field(default=None, description="The party that built the site")
    lease: Lease | None = Field(
        default=None, description="The site's provider leases it from its developer"
    )
    wacc: Annotated[float, FloatInput, Field(ge=0, lt=1)] | None = Field(
        default=None,
        description="Cost of capital of the site's owner, for the capital charge of owned "
        "capacity; null: the scenario's discount_rate",
    )
    install_only_listed_types: bool = Field(
        default=False,
        description="The planner installs only the accelerator types the site's pools name",
    )
    source: Source
    notes: str | None = None

    @model_validator(mode="after")
    def _pools_take_their_phase_status(self) -> Site:
        """A pool that names a phase and gives no ``status`` of its own has its phase's: the
        accelerators of a phase under construction are under construction too."""
        for i, pool in enumerate(self.pools):
            if pool.phase is None or "status" in pool.model_fields_set:
                continue
            ph = self.phase(pool.phase)
            if ph is not None and ph.status != pool.status:
                self.pools[i] = pool.model_copy(update={"status": ph.status})
        return self

    def phase(self, phase_id: str) -> Phase | None:
        for ph in self.phases:
            if ph.id == phase_id:
                return ph
        return None

    def in_outage(self, pool_id: str, day: date) -> bool:
        """True when a scripted outage covers ``pool_id`` on ``day``."""
        return any(
            o.start <= day <= o.end and (not o.pools or pool_id in o.pools) for o in self.outages
        )

    def pool_online(self, pool: Pool, day: date) -> bool:
        """A pool serves on ``day`` once it is available and its phase is online."""
        if pool.available_from > day:
            return False
        if pool.phase is not None:
            ph = self.phase(pool.phase)
            if ph is not None and not ph.exists_on(day):
                return False
        return True

    def online_power_mw(self, day: date) -> float | None:
        """Facility power online on ``day`` (cancelled phases gone from their day); the full
        capacity when no phases are given."""
        if not self.phases:
            return self.power_capacity_mw
        return sum(ph.power_mw for ph in self.phases if ph.exists_on(day))


# --------------------------------------------------------------------------- contracts


class Amendment(Model):
    """A change to a clause from a date: ``modify`` replaces some fields for the amendment's
    period; ``terminate`` ends the clause from ``effective.start`` on."""

    id: Slug
    effective: Period
    action: Literal["modify", "terminate"]
    changes: dict[str, Any] = Field(default_factory=dict)
    source: Source
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Amendment:
        if self.action == "terminate":
            if self.changes:
                raise ValueError("a 'terminate' amendment takes no 'changes'")
            if self.effective.end is not None:
                raise ValueError("a 'terminate' amendment is open-ended: remove 'effective.end'")
        elif not self.changes:
            raise ValueError("a 'modify' amendment needs at least one entry in 'changes'")
        return self


#: Fields of a clause that an amendment may not change.
UNAMENDABLE_FIELDS = frozenset({"id", "kind", "effective", "amendments", "source", "notes"})


class ClauseBase(Model):
    """What every clause has: an id, a kind, an effective period and amendments."""

    id: Slug
    kind: str
    name: str | None = None
    effective: Period
    amendments: list[Amendment] = Field(default_factory=list)
    ends_on_agi: Slug | None = Field(
        default=None,
        description="The id of an agi_clause: this clause ends the day AGI is verified under "
        "it (declared, or with verified_by, verified_on)",
    )
    source: Source
    notes: str | None = None

    _amended: dict[str, ClauseBase] = PrivateAttr(default_factory=dict)
    #: The day AGI was verified under ``ends_on_agi`` (set by :meth:`Scenario.clauses`).
    _agi_end: date | None = PrivateAttr(default=None)

    def party_refs(self) -> dict[str, str]:
        """Field name → party id, for the fields of this clause that name parties."""
        return {}

    def end_date(self) -> date | None:
        return self.effective.end

    def amended(self, amendment: Amendment) -> ClauseBase:
        """This clause with a ``modify`` amendment's changes applied (validated, cached)."""
        cached = self._amended.get(amendment.id)
        if cached is None:
            data = self.model_dump(mode="python", exclude={"amendments"})
            data.update(amendment.changes)
            cached = type(self).model_validate(data)
            self._amended[amendment.id] = cached
        return cached

    def active_amendment(self, day: date) -> Amendment | None:
        """The amendment that applies on ``day`` (a terminate from its date on, or a modify
        within its period), if any."""
        for am in self.amendments:
            if am.action == "terminate" and am.effective.start <= day:
                return am
        for am in self.amendments:
            if am.action == "modify" and am.effective.contains(day):
                return am
        return None

    def version_at(self, day: date) -> ClauseBase | None:
        """The clause as it reads on ``day``, or None when it is not in force that day.

        A ``modify`` amendment may move the clause's end where the end is a field of the
        clause (``until`` of ip_rights): the amended text's end date is the one that counts.
        """
        if day < self.effective.start:
            return None
        if self._agi_end is not None and day >= self._agi_end:
            return None
        am = self.active_amendment(day)
        if am is not None and am.action == "terminate":
            return None
        version = self.amended(am) if am is not None else self
        if not version.effective.contains(day):
            return None
        end = version.end_date()
        if end is not None and day > end:
            return None
        return version

    def in_force(self, day: date) -> bool:
        return self.version_at(day) is not None


class Requirement(StrEnum):
    """What the ROFR holder must meet; failing any one releases the request at once.

    ``site``: a request that names ``sites`` (a contract for one campus) can be met by the
    holder only at those sites; not listed, the holder may meet it anywhere (the request's
    sites then say only where the lab goes if the ROFR releases it). Not in the default list
    (:data:`DEFAULT_REQUIREMENTS`); job requests name no sites, so it never binds them."""

    capacity = "capacity"
    accelerator_type = "accelerator_type"
    deadline = "deadline"
    price = "price"
    site = "site"


#: The requirements a ROFR clause lists when it lists none: every one but ``site``.
DEFAULT_REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement.capacity,
    Requirement.accelerator_type,
    Requirement.deadline,
    Requirement.price,
)


class RightOfFirstRefusal(ClauseBase):
    """New infrastructure needs in scope are offered to ``holder`` first; they go elsewhere only
    if the holder cannot meet the requirements, declines, or does not answer in time."""

    kind: Literal["right_of_first_refusal"]
    holder: Slug
    beneficiary: Slug = Field(description="The party bound to offer first (the lab)")
    workload_classes: list[Slug] = Field(min_length=1)
    holder_providers: list[Slug] = Field(
        default_factory=list,
        description="Providers through which the holder meets requests; empty: all it owns",
    )
    response_window_h: Hours
    requirements: list[Requirement] = Field(
        default_factory=lambda: list(DEFAULT_REQUIREMENTS),
        description="What 'cannot meet the requirements' means: the holder cannot meet the "
        "request when it fails any requirement listed here (default: capacity, "
        "accelerator_type, deadline, price; 'site' binds the holder to a request's sites)",
    )
    price_cap_usd_per_accelerator_hour: PositiveUsd | None = None
    price_cap_usd_per_reference_hour: PositiveUsd | None = Field(
        default=None,
        description="A cap per unit of work: compared with price / throughput for the class",
    )

    def party_refs(self) -> dict[str, str]:
        return {"holder": self.holder, "beneficiary": self.beneficiary}


class Exclusivity(ClauseBase):
    """Workload classes of ``party`` run only on ``provider``."""

    kind: Literal["exclusivity"]
    party: Slug
    workload_classes: list[Slug] = Field(min_length=1)
    provider: Slug

    def party_refs(self) -> dict[str, str]:
        return {"party": self.party}


class ArtifactKind(StrEnum):
    """What an artifact is; the words ``ip_rights.artifact_kinds`` and ``artifacts[].kind``
    share. ``roadmap``: plans a party keeps from some readers (``information_rights``)."""

    models = "models"
    weights = "weights"
    infrastructure = "infrastructure"
    research = "research"
    products = "products"
    roadmap = "roadmap"


class IpRights(ClauseBase):
    """``grantee`` may use ``grantor``'s artifacts until a date; an AGI carve-out excludes
    technology declared AGI."""

    kind: Literal["ip_rights"]
    grantor: Slug
    grantee: Slug
    artifact_kinds: list[ArtifactKind] = Field(min_length=1)
    until: Day
    agi_carve_out: bool = True
    exclusive: bool = Field(
        default=True,
        description="Whether the grantee's rights are exclusive (false: the grantor may "
        "license the same artifacts to others)",
    )

    def party_refs(self) -> dict[str, str]:
        return {"grantor": self.grantor, "grantee": self.grantee}

    def end_date(self) -> date | None:
        end = self.effective.end
        return self.until if end is None else min(end, self.until)


class RevenueShare(ClauseBase):
    kind: Literal["revenue_share"]
    payer: Slug
    payee: Slug
    revenue_stream: Slug
    percent: Annotated[Decimal, Field(gt=0, le=100)]
    cap_usd: PositiveUsd | None = Field(
        default=None,
        description="The most the payer pays in all under this clause (none: no cap)",
    )

    def party_refs(self) -> dict[str, str]:
        return {"payer": self.payer, "payee": self.payee}


class CommittedSpend(ClauseBase):
    kind: Literal["committed_spend"]
    buyer: Slug
    seller: Slug
    amount_usd: PositiveUsd
    period: Period

    def party_refs(self) -> dict[str, str]:
        return {"buyer": self.buyer, "seller": self.seller}


class Investment(ClauseBase):
    kind: Literal["investment"]
    investor: Slug
    investee: Slug
    amount_usd: PositiveUsd
    date: Day
    stake_percent: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    stakes_in_competitors: list[Slug] = Field(default_factory=list)

    def party_refs(self) -> dict[str, str]:
        refs = {"investor": self.investor, "investee": self.investee}
        for i, p in enumerate(self.stakes_in_competitors):
            refs[f"stakes_in_competitors[{i}]"] = p
        return refs


class AgiClause(ClauseBase):
    """Once ``declared_by`` declares AGI, control of that technology passes to
    ``control_passes_to`` and the listed clauses stop applying to it."""

    kind: Literal["agi_clause"]
    declared_by: Slug
    control_passes_to: Slug
    ends_clauses: list[Slug] = Field(default_factory=list)
    declared_on: Day | None = Field(default=None, description="null: not declared")
    verified_by: str | None = Field(
        default=None,
        description="Who verifies a declaration (e.g. an independent expert panel): when set, "
        "only verified_on triggers the clause's effects",
    )
    verified_on: Day | None = Field(default=None, description="null: not verified")

    def trigger_date(self) -> date | None:
        """The day this text's effects start: ``verified_on`` when a verifier is named, else
        ``declared_on`` (None: not yet)."""
        return self.verified_on if self.verified_by is not None else self.declared_on

    def verified_at(self) -> date | None:
        """The first day on which AGI counts as verified under this clause as amended: a day
        ``t`` that the text in force on ``t`` names as its trigger date."""
        texts: list[AgiClause] = [self]
        texts += [
            v
            for am in self.amendments
            if am.action == "modify" and isinstance(v := self.amended(am), AgiClause)
        ]
        days = []
        for text in texts:
            t = text.trigger_date()
            if t is None:
                continue
            now = self.version_at(t)
            if isinstance(now, AgiClause) and now.trigger_date() == t:
                days.append(t)
        return min(days, default=None)

    def party_refs(self) -> dict[str, str]:
        return {"declared_by": self.declared_by, "control_passes_to": self.control_passes_to}


class InformationRights(ClauseBase):
    """Investors of ``grantor`` who hold stakes in the listed competitors are denied the listed
    information (e.g. the roadmap)."""

    kind: Literal["information_rights"]
    grantor: Slug
    denied: list[str] = Field(default_factory=lambda: ["roadmap"], min_length=1)
    denied_to_investors_in: list[Slug] = Field(min_length=1)

    def party_refs(self) -> dict[str, str]:
        refs = {"grantor": self.grantor}
        for i, p in enumerate(self.denied_to_investors_in):
            refs[f"denied_to_investors_in[{i}]"] = p
        return refs


Clause = Annotated[
    RightOfFirstRefusal
    | Exclusivity
    | IpRights
    | RevenueShare
    | CommittedSpend
    | Investment
    | AgiClause
    | InformationRights,
    Field(discriminator="kind"),
]

CLAUSE_KINDS: tuple[str, ...] = (
    "right_of_first_refusal",
    "exclusivity",
    "ip_rights",
    "revenue_share",
    "committed_spend",
    "investment",
    "agi_clause",
    "information_rights",
)


class AgreementChange(Model):
    """What an agreement does to one clause: ``modify`` some fields from the agreement's date
    (cumulative: a later agreement's modify reads on top of this one), or ``terminate`` it
    from that date."""

    clause: Slug
    action: Literal["modify", "terminate"]
    changes: dict[str, Any] = Field(default_factory=dict)
    id: Slug | None = Field(
        default=None,
        description="The amendment's id (a --without name); default AGREEMENT-ID--CLAUSE-ID",
    )
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AgreementChange:
        if self.action == "terminate" and self.changes:
            raise ValueError("a 'terminate' change takes no 'changes'")
        if self.action == "modify" and not self.changes:
            raise ValueError("a 'modify' change needs at least one entry in 'changes'")
        return self


class Agreement(Model):
    """One agreement that changed a contract on a date: the clauses it modifies or ends and
    the clauses it adds (in force from the agreement's date unless they say later).
    ``--without AGREEMENT_ID`` voids all of it, so the terms before it hold."""

    id: Slug
    name: str | None = None
    date: Day
    changes: list[AgreementChange] = Field(default_factory=list)
    adds: list[Clause] = Field(default_factory=list)
    source: Source
    notes: str | None = None

    def change_id(self, change: AgreementChange) -> str:
        return change.id or f"{self.id}--{change.clause}"


class Contract(Model):
    """A contract: its clauses as first signed, and the agreements that changed them since.
    :meth:`terms` gives the clauses with the agreements applied (added clauses included, each
    change as an amendment of its clause)."""

    id: Slug
    name: str
    parties: list[Slug] = Field(min_length=2)
    signed: Day
    reported: Day | None = Field(
        default=None,
        description="When the contract was first publicly reported, where that differs from "
        "`signed` (figures of metric contract_reported_date read it)",
    )
    capacity_gw: Annotated[float, FloatInput, Field(gt=0, le=1000, allow_inf_nan=False)] | None = (
        Field(
            default=None,
            description="The capacity the contract is reported to cover, GW (shown; figures "
            "check the capacity of its placed requests, not this number)",
        )
    )
    clauses: list[Clause] = Field(default_factory=list)
    agreements: list[Agreement] = Field(default_factory=list)
    source: Source
    notes: str | None = None

    _terms: list[ClauseBase] | None = PrivateAttr(default=None)

    def terms(self) -> list[ClauseBase]:
        """Every clause of the contract (its own, then those agreements added, in agreement
        date order) with the agreements' changes applied as amendments."""
        if self._terms is None:
            self._terms = _apply_agreements(self)
        return self._terms


def _apply_agreements(contract: Contract) -> list[ClauseBase]:
    if not contract.agreements:
        return list(contract.clauses)
    ordered = sorted(contract.agreements, key=lambda a: a.date)
    clauses: list[ClauseBase] = list(contract.clauses)
    for ag in ordered:
        clauses.extend(ag.adds)
    out: list[ClauseBase] = []
    for cl in clauses:
        events = [(ag, ch) for ag in ordered for ch in ag.changes if ch.clause == cl.id]
        if not events:
            out.append(cl)
            continue
        added: list[Amendment] = []
        merged: dict[str, Any] = {}
        for k, (ag, ch) in enumerate(events):
            if ch.action == "terminate":
                added.append(
                    Amendment(
                        id=ag.change_id(ch),
                        effective=Period(start=ag.date),
                        action="terminate",
                        source=ag.source,
                        notes=ch.notes or ag.name,
                    )
                )
                break
            merged = {**merged, **ch.changes}
            nxt = events[k + 1][0].date if k + 1 < len(events) else None
            end = nxt - timedelta(days=1) if nxt is not None and nxt > ag.date else None
            added.append(
                Amendment(
                    id=ag.change_id(ch),
                    effective=Period(start=ag.date, end=end),
                    action="modify",
                    changes=dict(merged),
                    source=ag.source,
                    notes=ch.notes or ag.name,
                )
            )
        copy = cl.model_copy(update={"amendments": [*cl.amendments, *added]})
        copy._amended = {}  # the cache of amended texts is the copy's own
        out.append(copy)
    return out


# --------------------------------------------------------------------------- artifacts


class Artifact(Model):
    """Something a party owns that clauses grant or deny access to: a model, its weights,
    research, infrastructure designs, a product, a roadmap. The release date gives "post-AGI
    models" a meaning: an artifact released on or after the day AGI is declared (or verified,
    where the AGI clause names a verifier) is AGI technology under that clause
    (docs/governance.md)."""

    id: Slug
    name: str
    kind: ArtifactKind
    owner: Slug = Field(description="The party that owns it (an ip_rights clause's grantor)")
    released: Day | None = Field(
        default=None,
        description="The day it was released or delivered; null: not released (a roadmap, "
        "a model in development), which counts as released after any AGI declaration",
    )
    source: Source
    notes: str | None = None


# --------------------------------------------------------------------------- workloads


class WorkloadKind(StrEnum):
    training = "training"
    inference = "inference"


class WorkloadClass(Model):
    id: Slug
    name: str
    kind: WorkloadKind
    description: str | None = None
    latency_slo_ms: PositiveFloat | None = None
    checkpoint_interval_h: Hours | None = Field(
        default=None,
        description="Hours between checkpoints of this class's jobs in the simulator: a job "
        "killed by an outage resumes from its last checkpoint (none: the simulator's default)",
    )


class ForecastRow(Model):
    """Demand for one class in one year: training in reference-accelerator-hours, inference in
    tokens per second (average over the year)."""

    year: Annotated[int, NoBool, Field(ge=2000, le=2100)]
    workload_class: Slug
    accelerator_hours: NonNegativeFloat | None = None
    tokens_per_s: NonNegativeFloat | None = None
    source: Source

    @model_validator(mode="after")
    def _one_measure(self) -> ForecastRow:
        if (self.accelerator_hours is None) == (self.tokens_per_s is None):
            raise ValueError("give exactly one of 'accelerator_hours' or 'tokens_per_s'")
        return self


class WorkloadSourceKind(StrEnum):
    trace = "trace"
    synthetic = "synthetic"
    forecast = "forecast"


class WorkloadSource(Model):
    """Where work comes from: a trace file (read by a named loader), a synthetic generator with
    parameters, or a demand forecast. Later parts (simulator, planner) consume these."""

    id: Slug
    kind: WorkloadSourceKind
    workload_classes: list[Slug] = Field(default_factory=list)
    loader: str | None = Field(default=None, description="Trace format, e.g. alibaba-gpu-2023")
    path: str | None = Field(default=None, description="Trace file, relative to the scenario")
    params: dict[str, float | int | str | bool] = Field(default_factory=dict)
    forecast: list[ForecastRow] = Field(default_factory=list)
    source: Source

    @model_validator(mode="after")
    def _by_kind(self) -> WorkloadSource:
        if self.kind == WorkloadSourceKind.trace and not self.loader:
            raise ValueError("a 'trace' source needs a 'loader' (the trace format)")
        if self.kind == WorkloadSourceKind.forecast and not self.forecast:
            raise ValueError("a 'forecast' source needs at least one 'forecast' row")
        if self.kind != WorkloadSourceKind.forecast and self.forecast:
            raise ValueError(f"'forecast' rows belong to kind 'forecast', not '{self.kind}'")
        return self


# --------------------------------------------------------------------------- procurement


class Term(Model):
    """The term of a reservation or a capacity request: both ends included."""

    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if self.end < self.start:
            raise ValueError(
                f"term ends before it starts: end {self.end.isoformat()} "
                f"is before start {self.start.isoformat()}"
            )
        return self

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def period(self) -> Period:
        return Period(start=self.start, end=self.end)


class Reservation(Model):
    """Capacity the lab holds at a provider for a term, at a contract price, paid whether used
    or not (take-or-pay). The scenario lists the reservations held on the horizon's first day;
    placed capacity requests add more."""

    id: Slug
    holder: Slug = Field(description="The party that holds it (the lab)")
    provider: Slug
    site: Slug | None = Field(default=None, description="null: as for a capacity model row")
    accelerator: Slug
    accelerators: Count
    term: Term
    price_usd_per_accelerator_hour: PositiveUsd | None = Field(
        default=None, description="null: the price rule (contract, else reserved list price)"
    )
    workload_classes: list[Slug] = Field(
        default_factory=list, description="The classes it serves; empty: any"
    )
    source: Source
    notes: str | None = None


class CapacityAccelerators(Model):
    """How much capacity: ``count`` accelerators of the allowed ``types`` — physical
    accelerators, or with ``unit: reference`` reference accelerators (a type of throughput 2.5
    for the scenario's reference class needs count / 2.5 of them)."""

    count: Count
    types: list[Slug] | Literal["any"] = "any"
    unit: Literal["accelerators", "reference"] = "accelerators"

    @model_validator(mode="after")
    def _non_empty(self) -> CapacityAccelerators:
        if isinstance(self.types, list) and not self.types:
            raise ValueError("'types' is an empty list: name at least one type, or use 'any'")
        return self


class CapacityRequest(Model):
    """A request for new capacity for a term: ``accelerators`` (count and allowed types) or
    ``power_mw`` (facility power), from ``term`` or for ``term_years`` from the day it is
    placed. The broker places it like any request (exclusivity, the ROFR, the objective); a
    placed capacity request becomes a reservation."""

    id: Slug
    kind: Literal["capacity"] = "capacity"
    requester: Slug
    workload_classes: list[Slug] = Field(min_length=1)
    accelerators: CapacityAccelerators | None = None
    power_mw: PositiveFloat | None = None
    term: Term | None = None
    term_years: Annotated[float, FloatInput, Field(gt=0, le=100)] | None = None
    providers: list[Slug] = Field(
        default_factory=list,
        description="Where the requester means to place it if the ROFR releases it; empty: "
        "any provider",
    )
    sites: list[Slug] = Field(
        default_factory=list,
        description="The sites it is for (a contract for one campus); empty: any site",
    )
    price_cap_usd_per_accelerator_hour: PositiveUsd | None = None
    price_cap_usd_per_reference_hour: PositiveUsd | None = None
    deadline: Day | None = Field(
        default=None, description="The capacity must be online by then (default: term start)"
    )
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CapacityRequest:
        if (self.accelerators is None) == (self.power_mw is None):
            raise ValueError("give exactly one of 'accelerators' or 'power_mw'")
        if (self.term is None) == (self.term_years is None):
            raise ValueError("give exactly one of 'term' {start, end} or 'term_years'")
        return self

    def term_from(self, day: date) -> Term:
        """The term, for a request placed on ``day`` (``term_years`` counts from that day)."""
        if self.term is not None:
            return self.term
        assert self.term_years is not None
        days = max(1, round(self.term_years * 365.25))
        return Term(start=day, end=day + timedelta(days=days - 1))


class HolderAnswer(Model):
    """How the ROFR holder answered a request, on the record: ``accept``, ``decline`` or
    ``none`` (no answer: the offer expires), ``after_h`` hours after the offer."""

    answer: Literal["accept", "decline", "none"]
    after_h: NonNegativeFloat | None = None
    source: Source


class DatedCapacityRequest(CapacityRequest):
    """A capacity request of the public record, placed through the broker on ``date`` (its
    signing date), so the clauses in force that day apply."""

    date: Day
    source: Source
    agreement: Slug | None = Field(
        default=None,
        description="The agreement this request belongs to: --without that agreement drops it",
    )
    contract: Slug | None = Field(
        default=None,
        description="The contract this request belongs to: --without that contract drops it",
    )
    holder_answer: HolderAnswer | None = Field(
        default=None,
        description="The ROFR holder's answer on the record, used for this request when no "
        "responder is given (an explicit --responder overrides it)",
    )


# --------------------------------------------------------------------------- scenario


class BudgetMilestone(Model):
    id: Slug
    by: Day
    capex_usd: PositiveUsd = Field(description="Cumulative capex allowed by this date")
    source: Source


class Budget(Model):
    milestones: list[BudgetMilestone] = Field(default_factory=list)


def _date_as_text(value: Any) -> Any:
    """A figure whose value YAML read as a date (``mid-2026`` is text, ``2026-06-30`` a date)."""
    return value.isoformat() if isinstance(value, date) else value


#: The metrics a checkable figure may name (docs/facts.md defines each one).
FIGURE_METRICS = (
    "capacity_held_gw",
    "accelerators_held",
    "provider_share_of_capacity",
    "compute_spend_usd",
    "site_online_mw",
    "site_planned_mw",
    "accelerators_ordered",
    "contracted_capacity_gw",
    "api_tokens_per_s",
    "declined_option_value_usd",
    "contract_value_usd",
    "clause_end_date",
    "clause_start_date",
    "equity_stake_share",
    "contract_reported_date",
    "weekly_active_users",
    "annualized_revenue_usd",
    "budget_capex_usd",
)
_PERIOD_YEAR = re.compile(r"^(\d{4})$")
_PERIOD_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def figure_period(text: str) -> tuple[date, date]:
    """The days a figure's ``period`` covers, both included: ``2025`` (a year),
    ``2025Q2`` (a quarter), ``2025-09-30`` (a day) or ``2023-01-01..2024-12-31`` (a range).
    ValueError on anything else."""
    t = text.strip()
    if m := _PERIOD_YEAR.match(t):
        y = int(m.group(1))
        return date(y, 1, 1), date(y, 12, 31)
    if m := _PERIOD_QUARTER.match(t):
        y, q = int(m.group(1)), int(m.group(2))
        first = date(y, 3 * q - 2, 1)
        after = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
        return first, after - timedelta(days=1)
    if ".." in t:
        a, _, b = t.partition("..")
        start, end = date.fromisoformat(a.strip()), date.fromisoformat(b.strip())
        if end < start:
            raise ValueError(f"period '{text}' ends before it starts")
        return start, end
    try:
        day = date.fromisoformat(t)
    except ValueError:
        raise ValueError(
            f"period '{text}' is not a year (2025), a quarter (2025Q2), a day (2025-09-30) "
            "or a range (2023-01-01..2024-12-31)"
        ) from None
    return day, day


def figure_value(value: Decimal | str) -> tuple[Literal["number", "date", "at_least"], Any]:
    """What a figure's ``value`` is: a number (Decimal), a date, or a lower bound ``>=N``
    (Decimal N). ValueError on text that is none of them."""
    if isinstance(value, Decimal):
        return "number", value
    t = value.strip()
    if t.startswith(">="):
        try:
            n = Decimal(t[2:].strip().replace("_", ""))
        except ArithmeticError:
            raise ValueError(f"'{value}' is not '>=' and a number") from None
        if not n.is_finite():
            raise ValueError(f"'{value}' is not '>=' and a finite number")
        return "at_least", n
    try:
        return "date", date.fromisoformat(t)
    except ValueError:
        raise ValueError(f"'{value}' is not a number, an ISO date or a lower bound '>=N'") from None


class Figure(Model):
    """A public (or assumed) figure kept with the scenario: display-only (no ``metric``,
    shown in reports) or checkable (a ``metric`` of :data:`FIGURE_METRICS` about a
    ``subject`` over a ``period``, compared with the model by ``stargate facts``)."""

    id: Slug
    value: Annotated[Decimal | str, BeforeValidator(_date_as_text)]
    unit: str
    date: Day | None = None
    source: Source
    assumption: bool = False
    metric: Literal[FIGURE_METRICS] | None = Field(  # type: ignore[valid-type]
        default=None, description="What the figure measures (docs/facts.md); null: display only"
    )
    subject: Slug | None = Field(
        default=None,
        description="The provider, provider group, site, clause, agreement, party or stream",
    )
    period: str | None = Field(
        default=None,
        description="2025 (year), 2025Q2, 2025-09-30 (a day) or 2023-01-01..2024-12-31",
    )
    basis: Literal["it", "facility"] | None = Field(
        default=None, description="Power figures: IT or facility power (the model uses PUE)"
    )
    tolerance: Annotated[float, FloatInput, Field(ge=0, allow_inf_nan=False)] | None = Field(
        default=None,
        description="Relative for numbers (0.2 = ±20%), days for dates; '>=N': the value "
        "must reach N and stay below N × (1 + tolerance)",
    )
    confidence: Literal["high", "medium", "low"] = Field(
        default="high", description="low: reported, never fails `stargate facts --check`"
    )
    use: Literal["fitted", "checked"] = Field(
        default="checked",
        description="fitted: an input was calibrated to it; checked: not used in calibration",
    )
    notes: str | None = None

    @model_validator(mode="after")
    def _checkable(self) -> Figure:
        kind = figure_value(self.value)[0] if self.metric is not None else None
        if self.metric is None:
            for name in ("subject", "period", "basis", "tolerance"):
                if getattr(self, name) is not None:
                    raise ValueError(f"'{name}' is for a checkable figure: give its 'metric'")
            return self
        if self.period is None:
            raise ValueError(f"metric '{self.metric}' needs a 'period'")
        figure_period(self.period)
        if self.tolerance is None:
            raise ValueError(f"metric '{self.metric}' needs a 'tolerance'")
        is_date = self.metric.endswith("_date")
        if is_date != (kind == "date"):
            want = "an ISO date" if is_date else "a number or '>=N'"
            raise ValueError(f"metric '{self.metric}' takes {want}, not '{self.value}'")
        power = self.metric.endswith(("_gw", "_mw"))
        if self.basis is not None and not power:
            raise ValueError(f"'basis' is for power metrics, not '{self.metric}'")
        return self

    def checkable(self) -> bool:
        return self.metric is not None


class ProviderGroup(Model):
    """Providers and sites counted together (``stargate``): a holding belongs to the group
    when its provider is in ``providers`` or its site in ``sites``."""

    id: Slug
    name: str
    providers: list[Slug] = Field(default_factory=list)
    sites: list[Slug] = Field(default_factory=list)
    source: Source


class SupplyAgreement(Model):
    """A chip supply agreement: GW of accelerators the lab agreed to buy or deploy, beyond the
    capacity contracted at named sites. ``deployed_at`` names the sites where part of that
    supply is already modelled, so that contracted capacity does not count it twice."""

    id: Slug
    supplier: Slug
    buyer: Slug
    accelerator: Slug | None = Field(
        default=None, description="The accelerator supplied, where the scenario defines it"
    )
    power_gw: Annotated[float, FloatInput, Field(gt=0, le=1000, allow_inf_nan=False)] = Field(
        description="Facility power of the accelerators agreed, GW"
    )
    announced: Day
    first_delivery: Day | None = None
    through: Day | None = None
    deployed_at: list[Slug] = Field(
        default_factory=list,
        description="Sites whose capacity counts toward this agreement (not counted twice)",
    )
    source: Source
    notes: str | None = None


class RevenueRow(Model):
    """Revenue of one stream in one year: ``usd`` recognized in the year, and the annualized
    run rate at its end (what 'ARR' figures measure)."""

    stream: Slug
    year: Annotated[int, NoBool, Field(ge=1900, le=2200)]
    usd: Usd
    exit_annualized_usd: Usd | None = None
    source: Source


class UsageRow(Model):
    """A usage record of the lab's services (weekly users, prompts per day, API tokens/s)."""

    metric: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
    subject: Slug
    date: Day
    value: Annotated[float, FloatInput, Field(ge=0, allow_inf_nan=False)]
    source: Source


class Settings(Model):
    reference_accelerator: Slug = Field(
        description="Training durations and demand are stated on this accelerator"
    )
    reference_class: Slug | None = Field(
        default=None,
        description="Reference accelerators of a mix of types are counted with each type's "
        "throughput for this class; null: the scenario's first training class",
    )
    server_overhead: Annotated[float, Field(ge=1.0, le=5.0)] = Field(
        default=1.4,
        description="Power of a server and its network per watt of accelerator TDP",
    )
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = 0.08
    top_up: bool = Field(
        default=True,
        description="Whether the simulator's procurement replay buys capacity for demand "
        "beyond what the lab holds (top-ups); false for a history, where the lab holds what "
        "the record says and demand beyond it is reported as unmet",
    )
    reference_tokens_per_s: PositiveFloat = Field(
        default=2400.0,
        description="Tokens per second one reference accelerator serves (inference); "
        "other types scale by their relative throughput",
    )


class Scenario(Model):
    """One model of the world: everything Stargate's engines read."""

    version: Annotated[Literal[2], NoBool] = Field(
        description="Scenario format version (2; see docs/concepts.md#format-versions)"
    )
    id: Slug
    name: str
    description: str | None = None
    as_of: Day
    horizon: Period
    settings: Settings
    parties: list[Party] = Field(min_length=1)
    accelerators: list[Accelerator] = Field(min_length=1)
    providers: list[Provider] = Field(min_length=1)
    sites: list[Site] = Field(min_length=1)
    contracts: list[Contract] = Field(default_factory=list)
    reservations: list[Reservation] = Field(
        default_factory=list, description="What the lab held on the horizon's first day"
    )
    capacity_requests: list[DatedCapacityRequest] = Field(
        default_factory=list,
        description="Capacity contracts of the record, placed through the broker on their dates",
    )
    workload_classes: list[WorkloadClass] = Field(min_length=1)
    workload_sources: list[WorkloadSource] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    figures: list[Figure] = Field(default_factory=list)
    provider_groups: list[ProviderGroup] = Field(
        default_factory=list, description="Providers and sites a figure may name together"
    )
    revenue: list[RevenueRow] = Field(
        default_factory=list, description="Revenue by stream and year"
    )
    usage: list[UsageRow] = Field(default_factory=list, description="Usage of the lab's services")
    supply_agreements: list[SupplyAgreement] = Field(
        default_factory=list,
        description="Chip supply agreements counted in the lab's contracted capacity",
    )
    artifacts: list[Artifact] = Field(
        default_factory=list,
        description="Models, weights, research, infrastructure, products and roadmaps that "
        "ip_rights, agi_clause and information_rights clauses govern (stargate access check)",
    )

    #: Clauses with AGI ends applied, for the contracts list they were computed from.
    _agi_terms: tuple[list[Contract], list[tuple[Contract, ClauseBase]]] | None = PrivateAttr(
        default=None
    )

    # -- look-ups (ids are unique once the scenario is validated) --------------------------
    def party(self, party_id: str) -> Party:
        return _by_id(self.parties, party_id, "party")

    def accelerator(self, accelerator_id: str) -> Accelerator:
        return _by_id(self.accelerators, accelerator_id, "accelerator")

    def provider(self, provider_id: str) -> Provider:
        return _by_id(self.providers, provider_id, "provider")

    def site(self, site_id: str) -> Site:
        return _by_id(self.sites, site_id, "site")

    def workload_class(self, class_id: str) -> WorkloadClass:
        return _by_id(self.workload_classes, class_id, "workload class")

    def artifact(self, artifact_id: str) -> Artifact:
        return _by_id(self.artifacts, artifact_id, "artifact")

    def provider_group(self, group_id: str) -> ProviderGroup:
        for g in self.provider_groups:
            if g.id == group_id:
                return g
        raise KeyError(f"unknown provider group '{group_id}'")

    def clauses(self) -> list[tuple[Contract, ClauseBase]]:
        """Every clause with the agreements applied (:meth:`Contract.terms`), in scenario
        order; a clause with ``ends_on_agi`` ends the day AGI is verified under that clause."""
        pairs = [(c, cl) for c in self.contracts for cl in c.terms()]
        if not any(cl.ends_on_agi for _, cl in pairs):
            return pairs
        cached = self._agi_terms
        if cached is not None and cached[0] is self.contracts:
            return list(cached[1])
        verified: dict[str, date | None] = {
            cl.id: cl.verified_at() for _, cl in pairs if isinstance(cl, AgiClause)
        }
        out: list[tuple[Contract, ClauseBase]] = []
        for c, cl in pairs:
            end = verified.get(cl.ends_on_agi) if cl.ends_on_agi else None
            if end is not None:
                cl = cl.model_copy()
                cl._amended = {}
                cl._agi_end = end
            out.append((c, cl))
        self._agi_terms = (self.contracts, out)
        return list(out)

    def reference_class_id(self) -> str:
        """The class whose throughput counts reference accelerators (settings.reference_class,
        else the first training class, else the first class)."""
        if self.settings.reference_class is not None:
            return self.settings.reference_class
        for c in self.workload_classes:
            if c.kind == WorkloadKind.training:
                return c.id
        return self.workload_classes[0].id

    def lab_id(self) -> str:
        """The lab whose procurement the engines replay: the first party that is both an
        operator and an AI lab, else the first operator, else the first party."""
        for p in self.parties:
            if PartyRole.operator in p.roles and PartyRole.ai_lab in p.roles:
                return p.id
        for p in self.parties:
            if PartyRole.operator in p.roles:
                return p.id
        return self.parties[0].id


def _by_id(items: list[_T], item_id: str, what: str) -> _T:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(f"unknown {what} '{item_id}'")


__all__ = [
    "CLAUSE_KINDS",
    "FIGURE_METRICS",
    "STATUSES",
    "UNAMENDABLE_FIELDS",
    "Accelerator",
    "AgiClause",
    "Agreement",
    "AgreementChange",
    "Amendment",
    "Artifact",
    "ArtifactKind",
    "Budget",
    "BudgetMilestone",
    "CapacityAccelerators",
    "CapacityPer",
    "CapacityRequest",
    "CapacityRow",
    "Clause",
    "ClauseBase",
    "CloudPrice",
    "CommittedSpend",
    "Contract",
    "ContractPrice",
    "DatedCapacityRequest",
    "Exclusivity",
    "Figure",
    "ForecastRow",
    "InformationRights",
    "Investment",
    "IpRights",
    "Lease",
    "Location",
    "Outage",
    "OwnedCosts",
    "Party",
    "PartyRole",
    "Period",
    "Phase",
    "Pool",
    "Provider",
    "ProviderGroup",
    "ProviderKind",
    "Reliability",
    "Requirement",
    "Reservation",
    "RevenueRow",
    "RevenueShare",
    "RightOfFirstRefusal",
    "Scenario",
    "Settings",
    "Site",
    "Status",
    "Term",
    "UsageRow",
    "ValidationError",
    "WorkloadClass",
    "WorkloadKind",
    "WorkloadSource",
    "WorkloadSourceKind",
    "figure_period",
    "figure_value",
]
