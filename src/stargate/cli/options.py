"""What every command shares: the parsers of date options and the way help is rendered.

Date and datetime options (``scenario show --at``, ``place --at``, ...) are parsed here, once,
by :func:`parse_day` and :func:`parse_moment`, and checked against the range the engines
represent (:mod:`stargate.domain.limits`): a value outside it exits 2 with a message that names
the limit, never an ``OverflowError`` later.

Help is rendered by :class:`StargateCommand`, which every command of :class:`StargateTyper`
uses: arguments show as ``NAME`` (required) or ``[NAME]`` (optional), options show a metavar
(``N``, ``X``, the option's name in capitals, or the choices as ``[a|b|c]``) instead of a type
such as ``<str>``, and :func:`examples` gives each command an "Examples:" epilog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from typer import _click
from typer.core import TyperArgument, TyperCommand, TyperOption

from stargate.errors import InputError, Problem

#: Every command of the app answers ``-h`` as well as ``--help``; subcommands inherit it.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


# --------------------------------------------------------------------------- dates


def _limit_problem(value: str, option: str, exc: ValueError) -> InputError:
    # The message names the limit (see stargate.domain.limits.check_day).
    return InputError(Problem(str(exc), path=option, found=repr(value)))


def _iso_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.removesuffix("Z")).date()
    except ValueError:
        return None


def parse_day(value: str | None, option: str) -> date | None:
    """An ISO date from the command line (a datetime is cut to its day), inside the range
    Stargate represents; None when the option was not given. Anything else is an
    :class:`InputError` (exit 2) that names the option and what was expected."""
    if value is None:
        return None
    from stargate.domain.limits import check_day

    text = value.strip()
    day = _iso_day(text)
    if day is None:
        raise InputError(
            Problem(
                f"not a date: '{value}'",
                path=option,
                expected="an ISO date such as 2026-01-01",
            )
        )
    try:
        check_day(day)
    except ValueError as exc:
        raise _limit_problem(value, option, exc) from None
    return day


def parse_moment(value: str | None, option: str) -> datetime | None:
    """An ISO date or datetime from the command line as naive UTC (offsets converted; a date
    is its midnight), inside the range Stargate represents; None when not given. Anything else
    is an :class:`InputError` (exit 2) naming the option, the limit and what was expected."""
    if value is None:
        return None
    from stargate.domain.limits import check_day, check_instant

    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            Problem(
                f"not a date or datetime: '{value}'",
                path=option,
                expected="ISO 8601, e.g. 2026-01-01 or 2026-01-01T09:30:00Z",
            )
        ) from None
    try:
        # The local day is checked first, so that converting the offset cannot overflow.
        check_day(moment.date())
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        check_instant(moment)
    except ValueError as exc:
        raise _limit_problem(value, option, exc) from None
    return moment


# --------------------------------------------------------------------------- help


def one_of(*choices: str) -> str:
    """The metavar of an option that takes one of ``choices``: ``[a|b|c]``."""
    return "[" + "|".join(choices) + "]"


def examples(*lines: str) -> str:
    """An "Examples:" epilog: one command per line, printed as written (not re-wrapped). A
    trailing ``# exit 2`` says that the example shows a refusal."""
    # "\b" keeps the help formatter from joining the lines into one paragraph.
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def argument_name(param: _click.Parameter) -> str:
    """An argument's name as help shows it: its metavar, else its name in capitals."""
    name = param.metavar or (param.name or "").upper()
    return name.strip("[]{}")


def _option_metavar(param: TyperOption) -> str | None:
    if param.is_flag or param.count:
        return None
    desc = param.type_descriptor
    if desc.is_choice and desc.choices:
        return one_of(*(str(getattr(c, "value", c)) for c in desc.choices))
    kind = desc.annotation
    if kind is int:
        return "N"
    if kind is float:
        return "X"
    return (param.name or "value").upper()


class StargateCommand(TyperCommand):
    """A command whose help reads ``stargate place [OPTIONS] REQUESTS``, with ``[SCENARIO]``
    for an optional argument and a metavar (never a type such as ``<str>``) for each option."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperOption) and param.metavar is None:
                param.metavar = _option_metavar(param)

    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = argument_name(param)
                name = name if param.required else f"[{name}]"
                pieces.append(name + ("..." if param.nargs != 1 else ""))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((argument_name(param), record[1]))
            elif param.param_type_name == "option":
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


class StargateTyper(typer.Typer):
    """A Typer app whose commands render their help with :class:`StargateCommand` and answer
    ``-h``. Use it for the app and every sub-app (``scenario``, ``trace``, ``bench``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("context_settings", dict(CONTEXT_SETTINGS))
        kwargs.setdefault("rich_markup_mode", None)
        kwargs.setdefault("add_completion", False)
        super().__init__(**kwargs)

    def command(  # type: ignore[override]
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return super().command(name, cls=cls or StargateCommand, **kwargs)


def command_paths(group: Any, prefix: Sequence[str] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every leaf command of a Click group, with the words that name it."""
    found: list[tuple[tuple[str, ...], Any]] = []
    for name, cmd in getattr(group, "commands", {}).items():
        words = (*prefix, name)
        if isinstance(getattr(cmd, "commands", None), dict):
            found.extend(command_paths(cmd, words))
        else:
            found.append((words, cmd))
    return found


#: The optional SCENARIO argument of the commands that read one scenario.
ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        metavar="SCENARIO",
        help="A scenario YAML file or an embedded scenario name (default: stargate-2025).",
        show_default=False,
    ),
]
