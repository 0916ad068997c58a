"""Scheduling and packing policies are strategy objects in registries, never names compared."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import stargate.sim
from stargate.errors import InputError
from stargate.sim import packing, pools
from stargate.sim.pools import GRANULARITIES, POLICIES, PoolScheduler, granularity_of

SIM = Path(stargate.sim.__file__).parent


def test_every_scheduling_policy_is_a_registered_strategy() -> None:
    assert POLICIES.names() == ["fifo", "greedy", "sjf", "easy"]
    for name in POLICIES:
        policy = POLICIES.get(name)()
        assert isinstance(policy, pools.SchedulingPolicy)
    assert POLICIES.get("easy").tracks_ends
    assert not POLICIES.get("sjf").tracks_ends
    assert packing.POLICIES.names() == ["first-fit", "best-fit"]
    assert all(issubclass(packing.POLICIES.get(n), packing.PackingPolicy) for n in packing.POLICIES)


def test_no_policy_name_is_compared_under_sim() -> None:
    """The branches on policy names are gone: no module under stargate/sim compares anything
    with a policy's name (a strategy decides; registries hold the names)."""
    names = set(POLICIES) | set(packing.POLICIES)
    found: list[str] = []
    for path in sorted(SIM.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            for side in (node.left, *node.comparators):
                consts = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
                for c in consts:
                    if isinstance(c, ast.Constant) and c.value in names:
                        found.append(f"{path.name}:{node.lineno}: {c.value!r}")
    assert not found, found


def test_an_unknown_policy_names_the_parameter() -> None:
    with pytest.raises(InputError) as e:
        POLICIES.get("fiffo")
    (p,) = e.value.problems
    assert p.path == "policy"
    assert "unknown policy 'fiffo'" in p.message
    assert p.hint == "did you mean 'fifo'?"
    with pytest.raises(InputError) as e:
        packing.POLICIES.get("best_fit")
    assert e.value.problems[0].path == "policy"
    assert "did you mean 'best-fit'" in str(e.value)


def test_granularity_is_a_closed_set() -> None:
    assert GRANULARITIES == ("pool", "node")
    assert granularity_of("node") == "node"
    with pytest.raises(InputError) as e:
        granularity_of("rack")
    (p,) = e.value.problems
    assert p.path == "granularity"
    assert p.message == "unknown granularity 'rack'"
    assert p.expected == "pool | node"


def _scheduler(policy: str, cap: float = 4.0) -> PoolScheduler:
    s = PoolScheduler(0, POLICIES.get(policy)(), cap, 1, int(cap), node_mode=False)
    s.online = True
    return s


def test_strategies_order_and_start_as_documented() -> None:
    # job 0 takes 3 of 4 accelerators; job 1 (needs 2, long) is blocked; job 2 (1, short) fits
    need = np.asarray([3.0, 2.0, 1.0])
    run_s = np.asarray([100.0, 500.0, 50.0])
    started = {}
    for name in POLICIES:
        s = _scheduler(name)
        for j in range(3):
            s.enqueue(j, float(need[j]), float(run_s[j]))
        started[name] = s.start_jobs(0.0, need, run_s)
    assert started["fifo"] == [0]  # the head blocks everyone behind it
    assert started["greedy"] == [0, 2]  # whatever fits starts
    assert started["sjf"] == [2, 0]  # shortest first, then what still fits
    assert started["easy"] == [0, 2]  # 2 ends by the shadow time (100 s): backfilled


def test_sjf_puts_a_killed_job_back_first() -> None:
    s = _scheduler("sjf", cap=1.0)
    need = np.ones(2)
    run_s = np.asarray([10.0, 900.0])
    s.enqueue(0, 1.0, 10.0)
    s.enqueue(1, 1.0, 900.0, front=True)  # put back at the front, whatever its run time
    assert s.queue == [1, 0]
    assert s.start_jobs(0.0, need, run_s) == [1]


#: The simulator's engine modules and its command: time constants come from
#: stargate.domain.units, and no handler swallows every exception.
ENGINE_FILES = [
    SIM / f"{name}.py"
    for name in ("engine", "pools", "packing", "api", "kernel", "workload", "inference")
] + [SIM.parent / "cli" / "sim.py"]


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_no_hand_written_time_constants(path: Path) -> None:
    constants = {60.0 * 60, 24 * 3600, 24 * 3600.0, 8760, 365 * 86400}
    found = [
        f"{path.name}:{node.lineno}: {node.value}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and type(node.value) in (int, float)
        and node.value in constants
    ]
    assert not found, found


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.name)
def test_no_handler_catches_everything(path: Path) -> None:
    found = [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ExceptHandler)
        and (
            node.type is None
            or (isinstance(node.type, ast.Name) and node.type.id in ("Exception", "BaseException"))
        )
    ]
    assert not found, found
