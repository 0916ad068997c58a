"""Plug-ins by name: one small registry for every kind of plug-in.

Trace loaders, fleets, responders, scheduling and packing policies and broker objectives are
registered under a canonical name, by decorator, and looked up by the name a user typed::

    POLICIES: Registry[Policy] = Registry("scheduling policy", parameter="policy")

    @POLICIES.register("fifo")
    class Fifo: ...

    POLICIES.get("fiffo")   # InputError: unknown scheduling policy 'fiffo'. did you mean 'fifo'?

An unknown name is an :class:`~stargate.errors.InputError` naming the engine's *parameter*
(``policy``), never a CLI flag: the CLI maps parameters to its flags
(:func:`stargate.errors.for_option`). Registries hold what they are given; they create nothing
and import nothing at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from stargate.errors import InputError, Problem, did_you_mean

T = TypeVar("T")
R = TypeVar("R")


class Registry(Generic[T]):
    """Named plug-ins of one kind, in registration order."""

    def __init__(self, kind: str, *, parameter: str = "") -> None:
        self.kind = kind
        self.parameter = parameter
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, item: T, *, aliases: tuple[str, ...] = ()) -> T:
        """Register ``item`` under ``name`` (and ``aliases``); a name is registered once."""
        for key in (name, *aliases):
            if key in self._items or key in self._aliases:
                raise ValueError(f"{self.kind} '{key}' is registered twice")
        self._items[name] = item
        for alias in aliases:
            self._aliases[alias] = name
        return item

    def register(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[R], R]:
        """A decorator that registers a class or function under ``name``."""

        def deco(item: R) -> R:
            self.add(name, item, aliases=aliases)  # type: ignore[arg-type]
            return item

        return deco

    def canonical(self, name: str) -> str:
        """The canonical name for ``name`` (an alias resolves), or InputError."""
        if name in self._items:
            return name
        if name in self._aliases:
            return self._aliases[name]
        raise self.unknown(name)

    def get(self, name: str) -> T:
        """The plug-in registered as ``name``, or an InputError with 'did you mean'."""
        return self._items[self.canonical(name)]

    def unknown(self, name: str) -> InputError:
        return InputError(
            Problem(
                f"unknown {self.kind} '{name}'",
                path=self.parameter,
                expected="one of: " + ", ".join(self.names()),
                hint=did_you_mean(name, self.names(), list_valid=False),
            )
        )

    def names(self) -> list[str]:
        """The canonical names, in registration order."""
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._items)})"
