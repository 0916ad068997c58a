"""The top-level API: `import stargate` is light, and every name `dir(stargate)` offers resolves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import stargate

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("polars", "linopy", "highspy", "numpy", "pyarrow")


def python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_loads_no_engine_and_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import stargate\n"
        "names = dir(stargate)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(sorted(m for m in sys.modules if m.startswith('stargate.')))\n"
    )
    heavy, loaded = python(code).splitlines()
    assert heavy == "[]"
    assert loaded == "[]"


def test_dir_lists_the_public_api() -> None:
    names = set(dir(stargate))
    assert {
        "load_scenario",
        "check_scenario",
        "snapshot",
        "simulate",
        "plan",
        "Broker",
        "place",
        "Horizon",
        "Registry",
        "Problem",
        "StargateError",
        "InputError",
        "ScenarioError",
        "InternalError",
        "__version__",
    } <= names
    assert set(stargate.__all__) <= names


@pytest.mark.parametrize("name", sorted(dir(stargate)))
def test_every_name_in_dir_resolves(name: str) -> None:
    assert getattr(stargate, name) is not None or name == "__getattr__"


@pytest.mark.parametrize("name", sorted(stargate.__all__))
def test_every_public_name_is_the_definition(name: str) -> None:
    value = getattr(stargate, name)
    if name == "__version__":
        assert isinstance(value, str)
    elif name == "plan":
        from stargate.plan import api as plan_api

        assert value.plan is plan_api.plan
    else:
        assert getattr(value, "__name__", name) == name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        _ = stargate.nosuch


def test_plan_is_the_planners_package() -> None:
    import stargate.plan as package
    from stargate.plan import api

    assert stargate.plan is package
    assert stargate.plan.plan is api.plan


def test_errors_are_the_package_errors() -> None:
    from stargate import errors

    assert stargate.InputError is errors.InputError
    assert issubclass(stargate.ScenarioError, stargate.InputError)
    assert issubclass(stargate.InputError, stargate.StargateError)
