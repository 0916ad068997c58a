"""The contract-aware broker: places a request for compute where the clauses in force allow
and it is cheapest or fastest, and explains which clause decided.

    from stargate.broker import Broker, load_requests
    broker = Broker(scenario, objective="cost", without=["rofr"])
    decision = broker.decide(request, at)
"""

from __future__ import annotations

from stargate.broker.decision import Candidate, Decision, ExclusivityInfo, RofrInfo
from stargate.broker.engine import Broker, FleetIndex, Objective, parse_objective, place
from stargate.broker.request import Request, load_requests, parse_requests
from stargate.broker.responders import RESPONDERS, Answer, Offer, Responder, make_responder

__all__ = [
    "RESPONDERS",
    "Answer",
    "Broker",
    "Candidate",
    "Decision",
    "ExclusivityInfo",
    "FleetIndex",
    "Objective",
    "Offer",
    "Request",
    "Responder",
    "RofrInfo",
    "load_requests",
    "make_responder",
    "parse_objective",
    "parse_requests",
    "place",
]
