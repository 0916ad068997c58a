"""HiGHS's one-time banner never reaches standard output, even when plans start together in
threads; it is kept for the solver log."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

SCRIPT = """
import threading
from stargate.plan.solver import _absorb_highs_banner

got = []
threads = [threading.Thread(target=lambda: got.append(_absorb_highs_banner())) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
import sys
sys.stderr.write(repr(sorted(set(got))))
print("after")
"""


def test_banner_is_absorbed_once_under_a_lock() -> None:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    assert proc.stdout == "after\n"  # nothing of HiGHS on descriptor 1
    banners = ast.literal_eval(proc.stderr)  # one distinct banner, the same for every thread
    assert len(banners) == 1
    assert "HiGHS" in banners[0]
