"""The broker's answer: where a request goes, why, at what cost, and what else was considered.

Plain pydantic objects; ``model_dump(mode="json")`` is the ``--json`` output of
``stargate place``. Money is kept as Decimal (rounded to cents) and written to JSON as a
number.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer

Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

#: Reason codes a candidate can be rejected for (each reason string starts with one).
REASON_CODES = (
    "accelerator_type",  # the type is not among the request's types, or cannot run the class
    "not_online",  # the pool is not online when the request would start
    "outage",  # the pool is in a scripted outage then
    "capacity",  # fewer free accelerators than needed
    "deadline",  # would finish after the deadline
    "price_cap",  # dearer than the request's max price
    "no_price",  # the provider has no price for this type
    "exclusivity",  # an exclusivity clause sends this class to another provider
    "rofr_holder_first",  # the ROFR holder accepted; others were not eligible
    "rofr_declined",  # the holder declined (or let the offer expire): not placed with it
    "rofr",  # the holder accepted, and this pool does not meet the clause's requirements
)


class Candidate(BaseModel):
    model_config = ConfigDict(frozen=True)

    rank: int | None
    chosen: bool
    provider: str
    site: str
    pool: str
    accelerator: str
    count: int
    feasible: bool
    reasons: list[str]
    start: datetime | None
    finish: datetime | None
    cost_usd: Money | None
    price_usd_per_accelerator_hour: Money | None
    energy_mwh: float | None


class RofrInfo(BaseModel):
    applies: bool = False
    clause: str | None = None
    holder: str | None = None
    holder_can_meet: bool | None = None
    unmet_requirements: list[str] = []
    offered: bool = False
    answer: str | None = None  # accept | decline | none (no answer within the window)
    answered_at: datetime | None = None
    expired: bool = False
    response_window_h: float | None = None


class ExclusivityInfo(BaseModel):
    applies: bool = False
    clause: str | None = None
    provider: str | None = None


class StartMove(BaseModel):
    """Why a request starts later than it asked: nothing that fits was available then (a pool
    not yet online, an outage), so the start moved to the first moment one is."""

    requested: datetime  # the earliest start asked for (the decision, earliest_start, period)
    chosen: datetime  # the start the broker chose
    reason: str  # starts with a reason code: not_online or outage


class Decision(BaseModel):
    """One decision. Field names are a public contract (``stargate place --json``)."""

    request_id: str
    placed: bool
    provider: str | None
    site: str | None
    pool: str | None
    accelerator: str | None
    count: int | None
    start: datetime | None
    finish: datetime | None
    cost_usd: Money | None
    energy_mwh: float | None
    objective: str
    decided_by: str
    rofr: RofrInfo
    exclusivity: ExclusivityInfo
    candidates: list[Candidate]
    candidates_considered: int
    candidates_feasible: int
    at: datetime
    without: list[str]
    explanation: str
    start_moved: StartMove | None = None  # set when the start moved later (see StartMove)
    reason_code: str | None = None  # not placed: the main reason code (deadline when too late)
    too_late: str | None = None  # not placed although capacity comes online: when, and the limit
    rejected_by_reason: dict[str, int] = {}  # pools rejected per reason code
