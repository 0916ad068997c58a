"""The solver boundary of the planner: HiGHS (through linopy) solves a built model, its log is
kept for ``solver_log`` and never reaches the terminal, and its verdict comes back as a
:class:`~stargate.plan.result.PlanStatus`. linopy and highspy are imported here on first use;
no solver object leaves :mod:`stargate.plan`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from stargate.errors import InputError, InternalError, Problem
from stargate.plan.result import PlanStatus

__all__ = ["require_solver", "solution", "solve"]


def require_solver() -> None:
    missing = [p for p in ("linopy", "highspy") if importlib.util.find_spec(p) is None]
    if missing:
        raise InputError(
            Problem(
                f"the planner needs {' and '.join(missing)}, which is not installed",
                hint=f"install it: pip install {' '.join(missing)}",
            )
        )


_TERMINATION = {
    "optimal": PlanStatus.optimal,
    "infeasible": PlanStatus.infeasible,
    "infeasible_or_unbounded": PlanStatus.infeasible,
    "unbounded": PlanStatus.unbounded,
}


_banner_lock = threading.Lock()
_banner: list[str] = []


def _absorb_highs_banner() -> str:
    """HiGHS prints a two-line banner on file descriptor 1 the first time a ``Highs`` object is
    made in a process, from its constructor, before any option can turn output off. Checked
    again with highspy 1.16 for issue #9: ``Highs()`` takes no arguments, no environment
    variable or option set beforehand silences it (options live on the object, which does
    not exist yet), and linopy makes its own ``highspy.Highs()`` in ``solve``, so
    ``log_to_console`` cannot reach the banner either. On standard output it would corrupt
    ``--json``. So the first solver object is made here, once per process, with descriptor 1
    pointing at a temporary file, and the banner goes into the solver log; every later solve
    is silenced by HiGHS' own options (``log_to_console`` off, ``log_file``) alone.

    Thread safety: descriptor 1 belongs to the whole process, so the redirect is kept as
    narrow as it can be (the constructor only, once) and under ``_banner_lock``: two plans
    started together never both redirect, and the second waits until descriptor 1 is
    restored. What another thread writes to descriptor 1 during that constructor (well
    under a millisecond) would land in the banner; a server can close that window by
    calling this once at start-up, before it serves."""
    with _banner_lock:
        if _banner:
            return _banner[0]
        import highspy

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with tempfile.TemporaryFile() as tmp:
                os.dup2(tmp.fileno(), 1)
                try:
                    highspy.Highs()  # type: ignore[no-untyped-call]
                finally:
                    os.dup2(saved, 1)
                tmp.seek(0)
                _banner.append(tmp.read().decode("utf-8", "replace"))
        finally:
            os.close(saved)
        return _banner[0]


class _Lines(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"linopy {record.levelname.lower()}: {record.getMessage()}")


@contextlib.contextmanager
def _linopy_log(lines: list[str]) -> Iterator[None]:
    """Keep linopy's log messages ("Optimization potentially failed: ...") in ``lines``
    instead of letting them reach the terminal through the root logger."""
    logger = logging.getLogger("linopy")
    handler = _Lines(lines)
    saved = (logger.propagate, logger.level)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = saved[0], saved[1]


def solve(
    model: Any, gap: float, time_limit_s: float | None, log: list[str] | None = None
) -> tuple[PlanStatus, float | None]:
    """Solve ``model`` with HiGHS; its log (never the terminal) is appended to ``log``."""
    banner = _absorb_highs_banner()
    lines: list[str] = []
    # output_flag on with log_to_console off: HiGHS writes its log only to log_file
    opts: dict[str, Any] = {"mip_rel_gap": gap, "output_flag": True, "log_to_console": False}
    if time_limit_s is not None:
        opts["time_limit"] = float(time_limit_s)
    with tempfile.TemporaryDirectory(prefix="stargate-highs-") as tmp:
        log_fn = os.path.join(tmp, "highs.log")
        try:
            with _linopy_log(lines):
                model.solve(solver_name="highs", io_api="direct", log_fn=log_fn, **opts)
        except Exception as exc:  # the solver boundary: translate, never leak
            raise InternalError(f"HiGHS failed: {exc}") from exc
        highs_log = ""
        if os.path.exists(log_fn):
            with open(log_fn, encoding="utf-8", errors="replace") as f:
                highs_log = f.read()
    if log is not None:
        if not log and banner:
            log.append(banner.rstrip("\n"))
        log.append(highs_log.rstrip("\n"))
        log.extend(lines)
    term = str(model.termination_condition)
    status = _TERMINATION.get(term)
    has_solution = model.objective.value is not None and np.isfinite(model.objective.value)
    if status is None:
        status = (
            PlanStatus.feasible if has_solution and term.endswith("limit") else PlanStatus.error
        )
    # the HiGHS object linopy solved with (io_api="direct"); None when it made none
    highs = getattr(model, "solver_model", None)
    mip_gap = float(highs.getInfo().mip_gap) if highs is not None else None
    return status, mip_gap


def solution(model: Any, name: str) -> np.ndarray | None:
    if name not in model.variables:
        return None
    out: np.ndarray = np.nan_to_num(np.asarray(model.variables[name].solution.values, float))
    return out
