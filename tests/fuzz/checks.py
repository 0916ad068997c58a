"""The invariants every input surface must hold, shared by the fuzz properties.

* A refusal is exit code 2 (or an :class:`InputError`) whose problems each name the file and
  line (or the option), one of them at the value that was broken.
* An acceptance holds exactly the meant value (:func:`tests.fuzz.values.same`).
* Never an internal error (exit 1), a traceback, or a case slower than :data:`CASE_S`.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from hypothesis import Phase, settings
from typer.testing import CliRunner, Result

from stargate.cli.main import app
from stargate.errors import EXIT_INPUT, Problem

#: A generous bound on one case (the slowest cases run a small simulation): a hang or a
#: runaway allocation shows as a failure with the example, not as a suite that never ends.
CASE_S = 60

runner = CliRunner()

#: The long run: ``HYPOTHESIS_PROFILE=fuzz pytest -m fuzz`` (fresh random examples, many more).
LONG = os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci"


def budget(n: int, *, shrink: bool = True) -> settings:
    """``n`` examples in the default (derandomized, fast) run; the profile's many more in the
    long run. ``shrink=False`` skips shrinking, for a property being investigated: its failing
    examples are reported as drawn, and shrinking them would only cost time."""
    phases = None if shrink else (Phase.explicit, Phase.reuse, Phase.generate)
    if LONG:
        return settings(phases=phases) if phases else settings()
    return settings(max_examples=n, phases=phases) if phases else settings(max_examples=n)


T = TypeVar("T")


class CaseTimeout(Exception):
    pass


@contextmanager
def time_bound(seconds: int = CASE_S) -> Iterator[None]:
    """Fail (raise :class:`CaseTimeout`) when the body runs longer than ``seconds``."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"case ran longer than {seconds} s (a hang?)")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def invoke(args: Sequence[str], seconds: int = CASE_S) -> Result:
    """Run ``stargate ARGS`` in-process (much faster than a subprocess), time-bounded."""
    start = time.monotonic()
    with time_bound(seconds):
        result = runner.invoke(app, list(args), catch_exceptions=True)
    assert time.monotonic() - start < seconds
    return result


def assert_clean_exit(result: Result, args: Sequence[str]) -> None:
    """Exit 0 or 2; never an internal error, an escaped exception or a traceback."""
    shown = f"stargate {' '.join(args)}\n{result.output[-2000:]}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"escaped exception {result.exception!r}: {shown}")
    assert result.exit_code in (0, EXIT_INPUT), f"exit {result.exit_code}: {shown}"
    assert "internal error" not in result.output, shown
    assert "Traceback" not in result.output, shown


def assert_located(
    problems: Sequence[Problem], file: str, *, line: int | None = None, path: str | None = None
) -> None:
    """Every problem names a file and a line; with ``line`` or ``path``, one of them is at the
    broken value (that line, or that field path or one inside it)."""
    assert problems, "refused without a problem"
    shown = "\n".join(p.render() for p in problems)
    for p in problems:
        assert p.file, f"a problem names no file:\n{shown}"
        assert p.line is not None, f"a problem names no line:\n{shown}"
    if line is None and path is None:
        return
    at = [
        p
        for p in problems
        if (line is not None and p.line == line and p.file == file)
        or (path is not None and (p.path == path or p.path.startswith((path + ".", path + "["))))
    ]
    assert at, f"no problem at {file}:{line} ({path}):\n{shown}"


def skip_unless(condition: bool, why: str) -> None:
    if not condition:
        pytest.skip(why)


def first(items: Sequence[T], pred: Callable[[T], bool]) -> T | None:
    return next((x for x in items if pred(x)), None)
