"""What every command module shares at run time: the two consoles, JSON printing, the guard
that turns errors into messages and exit codes, and :func:`command`, which marks a function as
a command without adding it to any app.

Command modules (``broker``, ``plan``, ``sim``, ``trace``) import only this module and
:mod:`stargate.cli.options`, never :mod:`stargate.cli.main`: ``main`` imports them and adds
their commands to the app explicitly (:func:`add_command`, ``app.add_typer``), so that which
commands exist is written in one place and no import registers anything as a side effect.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import typer
from rich.console import Console

from stargate.errors import EXIT_INTERNAL, StargateError

out = Console(highlight=False, soft_wrap=False)

#: The width of tables written to files and pipes (without COLUMNS): wide enough for them.
PIPE_WIDTH = 160


def size_output() -> None:
    """Size ``out`` for this command, from the environment as it is now (not as it was when
    this module was imported): a terminal or ``COLUMNS`` decides, else files and pipes get
    :data:`PIPE_WIDTH` columns."""
    out._width = None  # Rich keeps a fixed width here; None: measure it again
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = PIPE_WIDTH


# Problems are compiler-style lines (file:line:col: path: message): never wrap them, so that
# editors, grep and CI annotations can read them. No emoji codes: "s.yaml:100:5" is not ":100:".
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

F = TypeVar("F", bound=Callable[..., Any])

_SPEC = "__stargate_command__"


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def run_guarded(fn: Callable[[], None]) -> None:
    """Run a command body, turning Stargate errors into messages and exit codes."""
    size_output()
    try:
        fn()
    except StargateError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(exc.exit_code) from None
    except (typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # a bug: say so plainly, never dump a traceback on users
        if os.environ.get("STARGATE_DEBUG"):
            raise
        err.print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in Stargate; run again with STARGATE_DEBUG=1 for a traceback "
            "and report it.",
            markup=False,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


@dataclass(frozen=True)
class CommandSpec:
    """How a function is added to an app: the arguments of ``Typer.command``."""

    name: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


def command(name: str | None = None, **options: Any) -> Callable[[F], F]:
    """Mark a function as a command, with the arguments ``Typer.command`` takes (``epilog``,
    ``help``, ...). The function is returned unchanged and is added to no app: ``main`` adds
    it with :func:`add_command`."""

    def mark(fn: F) -> F:
        vars(fn)[_SPEC] = CommandSpec(name, dict(options))
        return fn

    return mark


def add_command(app: typer.Typer, fn: Callable[..., Any]) -> None:
    """Add a function marked by :func:`command` to ``app``."""
    spec = vars(fn).get(_SPEC)
    if not isinstance(spec, CommandSpec):
        raise TypeError(f"{fn.__qualname__} is not marked with @command")
    app.command(spec.name, **spec.options)(fn)
