"""The broker's answer: where a request goes, why, at what cost, and what else was considered.

Plain pydantic objects; :meth:`Decision.to_dict` (``model_dump(mode="json")``) is the
``--json`` output of ``stargate place``, and a batch (:class:`Placement`, a list of decisions)
writes the same list to ``decisions.json``. Money is kept as Decimal (costs rounded to cents,
prices to $0.0001; see :mod:`stargate.broker.money`) and written to JSON as a number. Every
decision carries its ``provenance`` (scenario id and hash, Stargate's version, seed, clauses
switched off).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer

from stargate.domain.provenance import Provenance

if TYPE_CHECKING:
    from stargate.broker.capacity import CapacityDecision

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
    provenance: Provenance | None = None  # where the decision comes from (set by the Broker)

    def to_dict(self) -> dict[str, object]:
        """The decision as JSON data: exactly one item of ``stargate place --json``."""
        return self.model_dump(mode="json")

    def headline(self) -> str:
        """One line: where the request went (or why not), its cost, the deciding clause."""
        if self.placed:
            cost = "?" if self.cost_usd is None else f"${self.cost_usd:,.2f}"
            return (
                f"{self.request_id}: placed on {self.pool} ({self.provider}), "
                f"{self.count or 0:,} × {self.accelerator}, {cost}; decided by {self.decided_by}"
            )
        return f"{self.request_id}: not placed ({self.reason_code}); decided by {self.decided_by}"

    def __repr__(self) -> str:
        return f"Decision({self.headline()})"

    def _repr_html_(self) -> str:
        return f"<p><b>Decision</b> {html.escape(self.headline())}</p>"


#: The file :meth:`Placement.write` writes into its folder.
DECISIONS_FILE = "decisions.json"


#: What a batch holds: job decisions, and capacity decisions when it had capacity requests.
D = TypeVar("D", bound="Decision | CapacityDecision")


class Placement(list[D]):
    """The decisions of a batch, in request order (a list: ``place`` and
    :meth:`Broker.decide_many` return one), with the result methods every engine's result
    has: :meth:`to_dict`, :meth:`write` and a short repr. A batch of job requests holds
    :class:`Decision` objects; one with capacity requests holds a
    :class:`~stargate.broker.capacity.CapacityDecision` for each of those (its ``cost_usd``
    is what its reservations commit over their terms)."""

    def __init__(self, decisions: Iterable[D] = ()) -> None:
        super().__init__(decisions)

    @property
    def placed(self) -> int:
        return sum(1 for d in self if d.placed)

    @property
    def cost_usd(self) -> Decimal:
        """The cost of the placed decisions, in Decimal."""
        return sum((d.cost_usd or Decimal(0) for d in self if d.placed), Decimal(0))

    def to_dict(self) -> list[dict[str, object]]:
        """The batch as JSON data: the list ``stargate place --json`` prints."""
        return [dict(d.to_dict()) for d in self]

    def write(self, folder: str | Path) -> Path:
        """Write ``decisions.json`` (the same JSON as ``place --json`` of the batch) into
        ``folder`` (created if needed, checked first); returns the file's path."""
        from stargate.files import check_output_dir

        out = Path(folder)
        check_output_dir(out, option="folder")
        path = out / DECISIONS_FILE
        text = json.dumps(self.to_dict(), indent=2, default=str)  # as print_json
        path.write_text(text + "\n", encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return (
            f"Placement({len(self):,} decisions, {self.placed:,} placed, "
            f"${self.cost_usd:,.2f} in all)"
        )

    def _repr_html_(self) -> str:
        rows = "".join(f"<li>{html.escape(d.headline())}</li>" for d in self[:20])
        more = f"<li>… {len(self) - 20:,} more</li>" if len(self) > 20 else ""
        return f"<p><b>{html.escape(repr(self))}</b></p><ul>{rows}{more}</ul>"
