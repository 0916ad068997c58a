"""The service under a profiler of every thread (docs/benchmarks.md, "Service"): the app of
``stargate serve`` run by uvicorn in this process under yappi (CPU clock), its function table
written to OUT when the server is stopped (Ctrl-C / SIGINT). cProfile is no use here: it sees
only uvicorn's event-loop thread, while the endpoints run in the thread pool and every change
in the writer thread.

    pip install yappi   # not a dependency of Stargate
    taskset -c 0 python -m benchmarks.service_profile sqlite:///bench.sqlite3 8000 prof.txt

then load it with ``benchmarks/service_load.py`` from another core.
"""

from __future__ import annotations

import importlib
import sys
from datetime import date
from typing import Any


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: python -m benchmarks.service_profile DB_URL PORT OUT\n")
        return 2
    url, port, out = argv[0], int(argv[1]), argv[2]
    try:
        yappi: Any = importlib.import_module("yappi")
    except ImportError:
        sys.stderr.write("yappi is not installed: pip install yappi\n")
        return 2
    import uvicorn

    from stargate.service.app import create_app
    from stargate.service.settings import Settings

    settings = Settings(db=url, port=port, start_at=date(2025, 1, 21), log_level="warning")
    app = create_app(settings)
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    finally:
        yappi.stop()
        stats = yappi.get_func_stats()
        stats.sort("ttot")
        with open(out, "w", encoding="utf-8") as fh:
            stats.print_all(
                out=fh,
                columns={0: ("name", 100), 1: ("ncall", 10), 2: ("tsub", 9), 3: ("ttot", 9),
                         4: ("tavg", 9)},
            )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
