"""How the holder of a right of first refusal answers an offer.

A responder sees the offer (the request, the holder's best candidate and its price) and
answers ``accept``, ``decline`` or ``none`` (no answer), after some hours. An answer that comes
after the clause's response window counts as no answer: the offer expires and the request is
released. Responders are registered by name in :data:`RESPONDERS` (a
:class:`~stargate.registry.Registry`, parameter ``responder``) and written ``NAME[:ARG]``
(``place --responder``, ``simulate --responder``); the multi-party service adds a real party
answering over HTTP. Errors name the parameter ``responder``; the CLI names its flag.

Offers come at two levels: a *job* offer (one job request, ``stargate place``) and a
*capacity* offer (a capacity request: the part of it the holder's capacity model allows for the
term). Every responder answers both. Which one answers when none is named:
:data:`DEFAULT_JOB_RESPONDER` (``accept-when-able``) for job offers and
:data:`DEFAULT_CAPACITY_RESPONDER` (``capacity-limited``) for capacity offers.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, NamedTuple, Protocol

from stargate.broker.money import cost_usd
from stargate.domain.limits import MAX_DURATION_H, MAX_USD
from stargate.errors import InputError, Problem
from stargate.registry import Registry

AnswerKind = Literal["accept", "decline", "none"]
#: The parameter errors name (the CLI maps it to ``--responder``).
PARAMETER = "responder"
Factory = Callable[[str | None, int], "Responder"]

#: Responders by the name written on the command line (``--responder NAME[:ARG]``): each
#: factory takes the text after ``NAME:`` (None without one) and the seed.
RESPONDERS: Registry[Factory] = Registry("responder", parameter=PARAMETER)


#: The responders that answer when none is named, by level of the offer.
DEFAULT_JOB_RESPONDER = "accept-when-able"
DEFAULT_CAPACITY_RESPONDER = "capacity-limited"
OfferKind = Literal["job", "capacity"]


class Offer(NamedTuple):
    """What the holder is asked: host this request at this price, answer within the window.

    A capacity offer (``kind="capacity"``) is the part of a capacity request the holder can
    meet: ``accelerators`` of ``accelerator`` for ``duration_h`` hours (the term). The caps
    are the clause's (per accelerator-hour and per reference-accelerator-hour of work), and
    ``price_usd_per_reference_hour`` is the offer's price per unit of work (price ÷ the type's
    throughput for the request's class)."""

    request_id: str
    holder: str
    clause_id: str
    price_usd_per_accelerator_hour: Decimal
    accelerators: int
    duration_h: float
    response_window_h: float
    kind: OfferKind = "job"
    accelerator: str | None = None
    price_usd_per_reference_hour: Decimal | None = None
    price_cap_usd_per_accelerator_hour: Decimal | None = None
    price_cap_usd_per_reference_hour: Decimal | None = None

    def above_cap(self) -> bool:
        """Whether the offer's price is above a cap of the clause (either unit)."""
        cap = self.price_cap_usd_per_accelerator_hour
        if cap is not None and self.price_usd_per_accelerator_hour > cap:
            return True
        ref_cap = self.price_cap_usd_per_reference_hour
        unit = self.price_usd_per_reference_hour
        return ref_cap is not None and (unit is None or unit > ref_cap)

    @property
    def cost_usd(self) -> Decimal:
        """Price × accelerators × hours, to the cent (half up, as a decision's cost)."""
        return cost_usd(self.price_usd_per_accelerator_hour, self.accelerators, self.duration_h)


@dataclass(frozen=True, slots=True)
class Answer:
    answer: AnswerKind
    after_h: float = 0.0


class Responder(Protocol):
    """Answers offers. ``name`` is how it is written on the command line."""

    @property
    def name(self) -> str: ...

    def respond(self, offer: Offer) -> Answer: ...


@dataclass(frozen=True)
class OnRecord:
    """The holder's answer on the record (a dated capacity request's ``holder_answer``): the
    same answer to every offer of that request, after the recorded hours. Used for that
    request when no responder is named."""

    answer: AnswerKind
    after_h: float = 0.0
    name: str = "on-record"

    def respond(self, offer: Offer) -> Answer:
        return Answer(self.answer, self.after_h)


@dataclass(frozen=True)
class AcceptWhenAble:
    """Accepts every offer it is made (offers are only made when the holder can meet the
    requirements), at once. The default for job offers (``stargate place`` of job requests,
    the simulator's per-job offers)."""

    name: str = "accept-when-able"

    def respond(self, offer: Offer) -> Answer:
        return Answer("accept")


@dataclass(frozen=True)
class CapacityLimited:
    """Accepts what the holder's capacity model allows within the clause's price cap, at once:
    the offer is already limited to what the capacity model allows for the term, so it accepts
    the whole offer unless its price is above a cap of the clause (per accelerator-hour or per
    reference-accelerator-hour of work), which it declines. The default for capacity offers."""

    name: str = "capacity-limited"

    def respond(self, offer: Offer) -> Answer:
        return Answer("decline" if offer.above_cap() else "accept")


@dataclass(frozen=True)
class DeclineAlways:
    name: str = "decline-always"

    def respond(self, offer: Offer) -> Answer:
        return Answer("decline")


@dataclass(frozen=True)
class NoAnswer:
    """Never answers: every offer expires at the end of its response window."""

    name: str = "no-answer"

    def respond(self, offer: Offer) -> Answer:
        return Answer("none", offer.response_window_h)


@dataclass(frozen=True)
class AnswerAfter:
    """Accepts after a fixed delay in hours; late answers (past the window) expire."""

    delay_h: float
    name: str = "accept-after"

    def respond(self, offer: Offer) -> Answer:
        return Answer("accept", self.delay_h)


@dataclass(frozen=True)
class AcceptWithProbability:
    """Accepts with probability ``p``. The draw depends only on the seed and the request id,
    so a decision is the same for the same inputs whatever else is decided around it."""

    p: float
    seed: int = 0
    name: str = "accept-with-probability"

    def respond(self, offer: Offer) -> Answer:
        digest = hashlib.sha256(f"{self.seed}:{offer.request_id}".encode()).digest()
        draw = random.Random(int.from_bytes(digest[:8], "big")).random()
        return Answer("accept" if draw < self.p else "decline")


@dataclass(frozen=True)
class DeclineAbovePrice:
    """Declines offers priced above ``limit`` USD per accelerator-hour; accepts the rest."""

    limit: Decimal
    name: str = "decline-above-price"

    def respond(self, offer: Offer) -> Answer:
        if offer.price_usd_per_accelerator_hour > self.limit:
            return Answer("decline")
        return Answer("accept")


def _number(name: str, arg: str | None, *, lo: Decimal, hi: Decimal, unit: str = "") -> Decimal:
    """The number in ``NAME:ARG``: finite (no nan, inf or sNaN) and in [lo, hi], or exit 2."""
    expected = f"{name}:NUMBER, a finite number from {lo} to {hi}{unit}"
    if arg is None:
        raise InputError(
            Problem(f"responder '{name}' needs an argument", path=PARAMETER, expected=expected)
        )
    try:
        value = Decimal(arg.strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise InputError(
            Problem(
                f"responder '{name}': not a finite number: '{arg}'",
                path=PARAMETER,
                expected=expected,
            )
        )
    if not lo <= value <= hi:
        raise InputError(
            Problem(
                f"responder '{name}': {arg} is out of range",
                path=PARAMETER,
                expected=expected,
            )
        )
    return value


def _no_arg(name: str, arg: str | None) -> None:
    if arg is not None:
        raise InputError(
            Problem(f"responder '{name}' takes no argument", path=PARAMETER, found=f"'{arg}'")
        )


@RESPONDERS.register("accept-when-able")
def _accept_when_able(arg: str | None, seed: int) -> Responder:
    _no_arg("accept-when-able", arg)
    return AcceptWhenAble()


@RESPONDERS.register("capacity-limited")
def _capacity_limited(arg: str | None, seed: int) -> Responder:
    _no_arg("capacity-limited", arg)
    return CapacityLimited()


@RESPONDERS.register("decline-always")
def _decline_always(arg: str | None, seed: int) -> Responder:
    _no_arg("decline-always", arg)
    return DeclineAlways()


@RESPONDERS.register("no-answer")
def _no_answer(arg: str | None, seed: int) -> Responder:
    _no_arg("no-answer", arg)
    return NoAnswer()


@RESPONDERS.register("accept-after")
def _accept_after(arg: str | None, seed: int) -> Responder:
    hours = _number("accept-after", arg, lo=Decimal(0), hi=Decimal(MAX_DURATION_H), unit=" hours")
    return AnswerAfter(float(hours))


@RESPONDERS.register("accept-with-probability")
def _accept_with_probability(arg: str | None, seed: int) -> Responder:
    return AcceptWithProbability(
        float(_number("accept-with-probability", arg, lo=Decimal(0), hi=Decimal(1))), seed=seed
    )


@RESPONDERS.register("decline-above-price")
def _decline_above_price(arg: str | None, seed: int) -> Responder:
    limit = _number("decline-above-price", arg, lo=Decimal(0), hi=MAX_USD, unit=" USD")
    return DeclineAbovePrice(limit)


def make_responder(spec: str, seed: int = 0) -> Responder:
    """A responder from ``NAME`` or ``NAME:ARG`` (e.g. ``accept-with-probability:0.3``).

    This is the one place responder arguments are parsed and checked (``place --responder``,
    ``simulate --responder`` and the Python API all come here): an argument that is not a
    finite number in its range (``nan``, ``inf``, a negative delay or price, a probability
    above 1) is an :class:`InputError` naming the range."""
    name, _, arg = spec.strip().partition(":")
    return RESPONDERS.get(name)(arg or None, seed)
