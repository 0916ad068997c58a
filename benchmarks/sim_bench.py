"""Simulator benchmark: jobs/s and events/s for 10k–1M synthetic jobs on 10k–1M accelerators
(pool granularity), the Alibaba 2023 trace on its own 1,213-node cluster at node granularity,
and a whole `stargate simulate --fleet pool:6500` process replaying 20,000 jobs.

Each run is a separate process (`stargate simulate ... --json`), so peak memory (max RSS) is
the run's own. Run: `.venv/bin/python benchmarks/sim_bench.py [--quick]`; results go to stdout
as JSON lines, and into docs/benchmarks.md by hand with the command and the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARGATE = str(Path(sys.executable).with_name("stargate"))
TRACES = ROOT.parent / "shared" / "data" / "traces"


def run(args: list[str]) -> dict[str, object]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["taskset", "-c", "0", STARGATE, *args, "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads(proc.stdout)
    jobs = summary["jobs"]["submitted"]
    return {
        "args": " ".join(args),
        "jobs": jobs,
        "events": summary["events"],
        "sim_s": summary["wall_s"],
        "process_s": round(wall, 3),
        "jobs_per_s": round(jobs / summary["wall_s"]),
        "events_per_s": round(summary["events"] / summary["wall_s"]),
        "peak_rss_mb": round(max(after.ru_maxrss, before.ru_maxrss) / 1024),
    }


def main() -> None:
    quick = "--quick" in sys.argv
    fleets = [10_000, 100_000, 1_000_000]
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    for fleet in fleets:
        for n in sizes:
            print(
                json.dumps(
                    run(
                        [
                            "simulate",
                            "--fleet",
                            f"pool:{fleet}",
                            "--workload",
                            f"synthetic?jobs={n}&seed=1",
                        ]
                    )
                ),
                flush=True,
            )
    if (TRACES / "alibaba-gpu-2023").is_dir():
        print(
            json.dumps(
                run(
                    [
                        "simulate",
                        "--fleet",
                        "alibaba-gpu-2023",
                        "--workload",
                        "alibaba-gpu-2023",
                        "--granularity",
                        "node",
                    ]
                )
            ),
            flush=True,
        )
    print(json.dumps(run(["simulate", "--fleet", "pool:6500"])), flush=True)
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")


if __name__ == "__main__":
    main()
