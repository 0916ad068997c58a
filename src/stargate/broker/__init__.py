"""The contract-aware broker: places a request for compute where the clauses in force allow
and it is cheapest or fastest, and explains which clause decided.

    from stargate.broker import Broker, load_requests
    broker = Broker(scenario, objective="cost", without=["rofr"])
    decision = broker.decide(request, at)
    decision.to_dict()                      # one item of `stargate place --json`
    broker.decide_many(requests, at).write("out/")   # decisions.json
    broker.decide_capacity(capacity_request, day)   # a CapacityDecision: rows, reservations

Modules by concept: ``engine`` (evaluation and choice), ``objective`` (cost, time, mix:W),
``fleet`` (the per-pool arrays), ``explain`` (candidates, reasons, the paragraph),
``responders`` (how a ROFR holder answers), ``money`` (where floats become Decimal money),
``request`` and ``decision`` (the input and output records); for capacity requests,
``capacity`` (the book, the procurement rows, the decision record) and ``procure`` (the steps
of a capacity decision).
"""

from __future__ import annotations

from stargate.broker.capacity import (
    CapacityBook,
    CapacityDecision,
    ProcurementRow,
    capacity_price,
    decide_capacity,
)
from stargate.broker.decision import Candidate, Decision, ExclusivityInfo, Placement, RofrInfo
from stargate.broker.engine import Broker, place
from stargate.broker.fleet import FleetIndex
from stargate.broker.objective import OBJECTIVES, Objective, parse_objective
from stargate.broker.request import AnyRequest, Request, load_requests, parse_requests
from stargate.broker.responders import RESPONDERS, Answer, Offer, Responder, make_responder

__all__ = [
    "OBJECTIVES",
    "RESPONDERS",
    "Answer",
    "AnyRequest",
    "Broker",
    "Candidate",
    "CapacityBook",
    "CapacityDecision",
    "Decision",
    "ExclusivityInfo",
    "FleetIndex",
    "Objective",
    "Offer",
    "Placement",
    "ProcurementRow",
    "Request",
    "Responder",
    "RofrInfo",
    "capacity_price",
    "decide_capacity",
    "load_requests",
    "make_responder",
    "parse_objective",
    "parse_requests",
    "place",
]
