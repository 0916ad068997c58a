"""Every test under tests/fuzz carries the ``fuzz`` marker: ``pytest -m fuzz`` selects them
(run with ``HYPOTHESIS_PROFILE=fuzz`` for the long run), and the default run keeps them, each
with a few derandomized examples."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.fuzz)
