"""The money boundary (docs/design.md, "Money"): every amount a party could dispute in the
broker's records is a Decimal, and a decision's cost is its price × accelerators × hours,
computed in Decimal and rounded once to the cent."""

from __future__ import annotations

import types
import typing
from decimal import Decimal

import pytest
from pydantic import BaseModel

from stargate.broker import Broker, Candidate, Decision, Offer, Request
from stargate.broker.money import cost_usd, hours_decimal, price_usd
from stargate.domain.model import Scenario

from .conftest import AT, req

#: Every record type of the broker a party could dispute, and the records inside them.
RECORDS: tuple[type, ...] = (Decision, Candidate, Request, Offer)


def _is_money_name(name: str) -> bool:
    return name.endswith("_usd") or "price" in name


def _leaves(annotation: object) -> set[object]:
    """The types an annotation can hold: Optional, unions and Annotated unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: set[object] = set()
        for arg in typing.get_args(annotation):
            out |= _leaves(arg)
        return out
    return {annotation}


def _fields(record: type) -> dict[str, object]:
    if isinstance(record, type) and issubclass(record, BaseModel):
        return {name: f.annotation for name, f in record.model_fields.items()}
    return typing.get_type_hints(record, include_extras=True)  # a NamedTuple


def _models(record: type, seen: set[type]) -> None:
    """``record`` and every pydantic model reachable from its fields."""
    if record in seen:
        return
    seen.add(record)
    for annotation in _fields(record).values():
        stack = [annotation]
        while stack:
            a = stack.pop()
            if isinstance(a, type) and issubclass(a, BaseModel):
                _models(a, seen)
            stack.extend(typing.get_args(a))


def all_records() -> list[type]:
    seen: set[type] = set()
    for record in RECORDS:
        _models(record, seen)
    return sorted(seen, key=lambda t: t.__name__)


def test_the_walk_finds_the_nested_records() -> None:
    names = {t.__name__ for t in all_records()}
    assert {"Decision", "Candidate", "RofrInfo", "StartMove", "Offer", "Request"} <= names


@pytest.mark.parametrize("record", all_records(), ids=lambda t: t.__name__)
def test_every_money_field_is_decimal(record: type) -> None:
    money = {n: a for n, a in _fields(record).items() if _is_money_name(n)}
    for name, annotation in money.items():
        held = _leaves(annotation) - {type(None)}
        assert held == {Decimal}, f"{record.__name__}.{name} holds {held}, not Decimal"


def test_the_records_have_money_fields() -> None:
    """The walk is not vacuous: the fields that carry money are found."""
    found = {f"{t.__name__}.{n}" for t in all_records() for n in _fields(t) if _is_money_name(n)}
    assert {
        "Decision.cost_usd",
        "Candidate.cost_usd",
        "Candidate.price_usd_per_accelerator_hour",
        "Offer.price_usd_per_accelerator_hour",
        "Request.max_price_usd_per_accelerator_hour",
    } <= found


def test_cost_is_price_times_accelerators_times_hours_exactly(fleet: Scenario) -> None:
    # 100 × h100 for 10 h on the ROFR holder's pool at its quoted $10/accelerator-hour
    d = Broker(fleet).decide(req(), AT)
    assert d.placed
    assert d.pool == "hold-h100"
    assert d.count == 100
    chosen = next(c for c in d.candidates if c.chosen)
    price = chosen.price_usd_per_accelerator_hour
    assert isinstance(price, Decimal)
    assert isinstance(d.cost_usd, Decimal)
    assert d.start is not None
    assert d.finish is not None
    hours = Decimal((d.finish - d.start).total_seconds()) / Decimal(3600)
    assert d.cost_usd == price * d.count * hours == Decimal("10000.00")
    assert d.cost_usd.as_tuple().exponent == -2  # to the cent


def test_every_candidate_cost_is_its_price_times_count_times_hours(fleet: Scenario) -> None:
    """On the quoted-price pools (prices with at most four decimals, so the written price is
    the one used), each candidate's cost is price × count × hours, rounded once."""
    d = Broker(fleet, without=["rofr"]).decide(req(duration_h=7.3), AT)
    quoted = [c for c in d.candidates if c.provider in ("holder", "rival") and c.cost_usd]
    assert quoted
    for c in quoted:
        assert c.start is not None
        assert c.finish is not None
        assert c.price_usd_per_accelerator_hour
        hours = Decimal((c.finish - c.start).total_seconds()) / Decimal(3600)
        exact = c.price_usd_per_accelerator_hour * c.count * hours
        hours_h = 7.3 / {"h100": 1.0, "b200": 2.0}[c.accelerator]  # reference hours / speed
        assert c.cost_usd == cost_usd(c.price_usd_per_accelerator_hour, c.count, hours_h)
        assert abs(c.cost_usd - exact) <= Decimal("0.005")


def test_rounding_is_once_to_the_cent_half_up() -> None:
    assert hours_decimal(2.5) == Decimal("2.5")
    assert hours_decimal(0.1) == Decimal("0.1")  # the shortest repr, not 0.1000000000000000055
    assert cost_usd(Decimal("0.001"), 5, 1.0) == Decimal("0.01")  # 0.005 → 0.01 (half up)
    assert cost_usd(Decimal("0.001"), 3, 1.0) == Decimal("0.00")
    assert cost_usd(Decimal("1.23456"), 1000, 0.1) == Decimal("123.46")
    assert price_usd(Decimal("1.23455")) == Decimal("1.2346")  # half even to $0.0001
    assert price_usd(Decimal("1.23445")) == Decimal("1.2344")


def test_an_offer_costs_what_the_decision_would() -> None:
    offer = Offer("r1", "cloudco", "rofr", Decimal("0.001"), 5, 1.0, 24.0)
    assert offer.cost_usd == Decimal("0.01")  # half up, as a decision's cost
