"""One exception tree for the whole package.

::

    StargateError                 base: anything Stargate raises on purpose
    ├── InputError                the user's input is wrong (CLI exit code 2)
    │   └── ScenarioError         a scenario failed to load or validate; carries every Problem
    └── InternalError             a bug or an impossible state (CLI exit code 1)

Every user-facing problem is a :class:`Problem`: where it is (file, line, column, field path),
what is wrong, what was expected and found, and a hint ("did you mean ..."). Errors from
libraries (YAML, pydantic, the file system) are translated into Problems at the boundary, so
callers never see a library's exception type.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    expected: str | None = None
    found: str | None = None
    hint: str | None = None
    severity: str = field(default="error")

    def location(self) -> str:
        parts: list[str] = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.path:
            parts.append(self.path)
        return ": ".join(parts)

    def render(self) -> str:
        """One or two lines, compiler style: ``file:line:col: path: message``."""
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        details: list[str] = []
        if self.expected is not None:
            details.append(f"expected {self.expected}")
        if self.found is not None:
            details.append(f"found {self.found}")
        if details:
            text += f" ({'; '.join(details)})"
        if self.hint:
            text += f". {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
            "hint": self.hint,
        }


class StargateError(Exception):
    """Base of every exception Stargate raises on purpose."""

    exit_code = EXIT_INTERNAL


class InputError(StargateError):
    """The user's input is wrong; the message says where and how to fix it."""

    exit_code = EXIT_INPUT

    def __init__(self, problems: Problem | Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class ScenarioError(InputError):
    """A scenario file failed to load or validate. ``problems`` holds all of them at once."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.source = source
        super().__init__(problems)

    def render(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: " if self.source else ""
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found"]
        lines.extend(f"  {p.render()}" for p in self.problems)
        return "\n".join(lines)


class InternalError(StargateError):
    """A bug: an internal invariant did not hold. Please report it."""

    exit_code = EXIT_INTERNAL


def did_you_mean(
    word: str, choices: Iterable[str], *, n: int = 1, list_valid: bool = True
) -> str | None:
    """A 'did you mean' hint for an unknown name, or (``list_valid``) the valid names."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(word, options, n=n, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    if not options or not list_valid:
        return None
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"valid names: {shown}"


def for_option(exc: InputError, options: dict[str, str]) -> InputError:
    """``exc`` with each problem's engine parameter (``policy``) named as the CLI flag that
    sets it (``--policy``): engines name their parameters, front ends their own options."""
    from dataclasses import replace

    problems = [replace(p, path=options[p.path]) if p.path in options else p for p in exc.problems]
    out = InputError(problems)
    return out
