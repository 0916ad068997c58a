"""The broker's objectives: how the eligible pools are ordered, best first.

``cost`` (the default: cheapest, then earliest finish), ``time`` (earliest finish, then
cheapest) and ``mix:W`` (W × cost/min cost + (1 − W) × duration/min duration, then cost and
finish). Ties always end on the pool's position, i.e. (provider, site, pool) id order, so equal
inputs give equal decisions. Objectives are registered in :data:`OBJECTIVES` (parameter
``objective``) and written ``NAME`` or ``NAME:ARG``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from stargate.errors import InputError, Problem
from stargate.registry import Registry

FArray = npt.NDArray[np.float64]
IArray = npt.NDArray[np.int64]


class Scored(Protocol):
    """What an objective reads of an evaluation: per-pool cost and finish, and the start."""

    @property
    def start_s(self) -> float: ...

    def cost_of(self, pos: IArray) -> FArray: ...

    def finish_of(self, pos: IArray) -> FArray: ...


@dataclass(frozen=True, slots=True)
class Objective:
    """An ordering of candidate pools. Subclasses implement :meth:`order`; :meth:`best` is
    the fast path for the first of that order."""

    kind: ClassVar[str] = ""

    @property
    def label(self) -> str:
        """How the objective is written (``cost``, ``mix:0.5``): the decision's ``objective``."""
        return self.kind

    @property
    def weight(self) -> float:
        """The weight of cost (1 for ``cost``, 0 for ``time``)."""
        return 1.0

    def order(self, ev: Scored, pos: IArray) -> IArray:
        """The indices into ``pos`` (ascending pool positions) from best to worst."""
        raise NotImplementedError

    def best(self, ev: Scored, pos: IArray) -> int:
        """The best of the (non-empty, ascending) pool positions ``pos``."""
        if pos.size == 1:
            return int(pos[0])
        return int(pos[self.order(ev, pos)[0]])


@dataclass(frozen=True, slots=True)
class _Lexical(Objective):
    """Orders by one key, then the other, then position."""

    time_first: ClassVar[bool] = False

    def order(self, ev: Scored, pos: IArray) -> IArray:
        cost = ev.cost_of(pos)
        finish = ev.finish_of(pos)
        keys = (pos, cost, finish) if self.time_first else (pos, finish, cost)
        return np.lexsort(keys)

    def best(self, ev: Scored, pos: IArray) -> int:
        if pos.size == 1:
            return int(pos[0])
        first = ev.finish_of(pos) if self.time_first else ev.cost_of(pos)
        top = pos[first == first.min()]
        if top.size > 1:
            key = ev.cost_of(top) if self.time_first else ev.finish_of(top)
            top = top[key == key.min()]
        return int(top[0])  # positions ascend in tie-break order


@dataclass(frozen=True, slots=True)
class Cost(_Lexical):
    kind: ClassVar[str] = "cost"


@dataclass(frozen=True, slots=True)
class Time(_Lexical):
    kind: ClassVar[str] = "time"
    time_first: ClassVar[bool] = True

    @property
    def weight(self) -> float:
        return 0.0


@dataclass(frozen=True, slots=True)
class Mix(Objective):
    """W × normalised cost + (1 − W) × normalised duration; W is the weight of cost."""

    kind: ClassVar[str] = "mix"
    cost_weight: float = 0.5

    @property
    def label(self) -> str:
        return f"mix:{self.cost_weight:g}"

    @property
    def weight(self) -> float:
        return self.cost_weight

    def order(self, ev: Scored, pos: IArray) -> IArray:
        cost = ev.cost_of(pos)
        finish = ev.finish_of(pos)
        w = self.cost_weight
        c_min = max(float(cost.min()), 1e-9)
        dur = finish - ev.start_s
        d_min = max(float(dur.min()), 1e-9)
        score = w * (cost / c_min) + (1.0 - w) * (dur / d_min)
        return np.lexsort((pos, finish, cost, score))


#: Objectives by name; each factory takes the text after ``NAME:`` (None without one).
OBJECTIVES: Registry[Callable[[str, str | None], Objective]] = Registry(
    "objective", parameter="objective"
)


def _no_arg(text: str, arg: str | None) -> None:
    if arg is not None:
        raise InputError(
            Problem(
                f"unknown objective '{text}'",
                path="objective",
                expected="cost, time or mix:W",
            )
        )


@OBJECTIVES.register("cost")
def _cost(text: str, arg: str | None) -> Objective:
    _no_arg(text, arg)
    return Cost()


@OBJECTIVES.register("time")
def _time(text: str, arg: str | None) -> Objective:
    _no_arg(text, arg)
    return Time()


@OBJECTIVES.register("mix")
def _mix(text: str, arg: str | None) -> Objective:
    try:
        w = float(arg or "")
    except ValueError:
        w = -1.0
    if 0.0 <= w <= 1.0:
        return Mix(w)
    raise InputError(
        Problem(
            f"objective '{text}': the weight must be a number in [0, 1]",
            path="objective",
            expected="mix:0.5",
        )
    )


def parse_objective(text: str) -> Objective:
    """``cost``, ``time`` or ``mix:W`` with 0 ≤ W ≤ 1 the weight of cost; an unknown name or
    a bad weight is an InputError naming the parameter ``objective``."""
    name, _, arg = text.strip().partition(":")
    return OBJECTIVES.get(name)(text, arg or None)
