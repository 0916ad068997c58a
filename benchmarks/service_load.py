"""A load generator for the service benchmark (benchmarks/test_service_bench.py): a fixed
number of calls over N concurrent keep-alive connections (asyncio streams), then one JSON line
with the rate, the latency percentiles and the generator's own CPU time.

    python -m benchmarks.service_load --base http://127.0.0.1:8000 --token TOKEN \
        --mode job --count 2000 --concurrency 32 [--prefix run1] [--cpu 1]

Modes: ``job`` and ``capacity`` submit that many requests (each its own id and
Idempotency-Key: ``PREFIX-N``), ``read`` GETs ``/v1/requests/PREFIX-N`` for N in
0..``--ids``-1 in turn (the ids a ``job`` run made), ``health`` GETs ``/healthz`` (no token,
no database: the ceiling of the server and of this generator). Every call must answer 2xx: a
failure is counted and reported, never hidden in the figures. ``--cpu`` pins this process to
that core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit


def job(rid: str, i: int) -> dict[str, Any]:
    return {
        "id": rid,
        "requester": "openai",
        "class": "research-training",
        "kind": "training",
        "accelerators": {"count": 1 + i % 8, "types": "any"},
        "duration_h": 1 + i % 24,
    }


def capacity(rid: str, i: int) -> dict[str, Any]:
    """A small capacity request (in the scope of Azure's ROFR on 2025-01-21: offered)."""
    return {
        "id": rid,
        "kind": "capacity",
        "requester": "openai",
        "workload_classes": ["frontier-training"],
        "accelerators": {"count": 8 + i % 8, "types": ["gb200"]},
        "term_years": 1,
        "price_cap_usd_per_accelerator_hour": 12,
    }


def percentile(sorted_ms: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of sorted values."""
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, math.ceil(q * len(sorted_ms)) - 1))
    return sorted_ms[k]


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: a request written as bytes,
    the answer read by its Content-Length. (httpx's async client cost about 3.8 ms of CPU a
    call at 32 connections here, more than the server's work: the generator measured itself.)"""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes | None = None, key: str | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n".encode()
        head += self.auth
        if key is not None:
            head += f"Idempotency-Key: {key}\r\n".encode()
        if body is not None:
            head += b"Content-Type: application/json\r\n"
            head += f"Content-Length: {len(body)}\r\n".encode()
        self.writer.write(head + b"\r\n" + (body or b""))
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        payload = await self.reader.readexactly(length) if length else b""
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = urlsplit(args.base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    next_i = 0

    async def worker() -> None:
        nonlocal next_i
        conn = Connection(host, port, args.token)
        try:
            while next_i < args.count:
                i = next_i
                next_i += 1
                rid = f"{args.prefix}-{i}"
                t0 = time.perf_counter()
                try:
                    if args.mode == "health":
                        status, payload = await conn.request("GET", "/healthz")
                    elif args.mode == "read":
                        status, payload = await conn.request(
                            "GET", f"/v1/requests/{args.prefix}-{i % args.ids}"
                        )
                    else:
                        body = (job if args.mode == "job" else capacity)(rid, i)
                        status, payload = await conn.request(
                            "POST", "/v1/requests", json.dumps(body).encode(), key=rid
                        )
                except (OSError, asyncio.IncompleteReadError, ValueError) as e:
                    statuses[0] = statuses.get(0, 0) + 1
                    if len(errors) < 5:
                        errors.append(f"{type(e).__name__}: {e}")
                    await conn.close()
                    conn = Connection(host, port, args.token)
                    continue
                latencies.append((time.perf_counter() - t0) * 1000.0)
                statuses[status] = statuses.get(status, 0) + 1
                if not 200 <= status < 300 and len(errors) < 5:
                    errors.append(f"{status} {payload[:200].decode(errors='replace')}")
        finally:
            await conn.close()

    t_start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - t_start
    cpu_s = time.process_time()

    ms = sorted(latencies)
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return {
        "mode": args.mode,
        "count": args.count,
        "concurrency": args.concurrency,
        "ok": ok,
        "failed": args.count - ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors,
        "elapsed_s": round(elapsed, 3),
        "rps": round(ok / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(ms[-1], 2) if ms else float("nan"),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
        "generator_cpu_s": round(cpu_s, 2),
        "cpu": sorted(os.sched_getaffinity(0)),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--base", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--mode", choices=("job", "capacity", "read", "health"), required=True)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--prefix", default="bench")
    p.add_argument("--ids", type=int, default=1, help="read mode: how many ids to cycle over")
    p.add_argument("--cpu", type=int, default=None, help="pin this process to this core")
    args = p.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    result = asyncio.run(run(args))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
