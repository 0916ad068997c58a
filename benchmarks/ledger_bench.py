"""The ledger's benchmark (docs/benchmarks.md, "Ledger"): appends per second batched and one by
one, a full ``verify`` of N entries, the tree head of N leaves, and inclusion-proof latency.

``run_ledger_bench(url, entries=N)`` fills an empty ledger at ``url`` with N charge entries
(seeded, varied bodies with money as decimal strings) in batches, then measures. Used by
``benchmarks/test_ledger_bench.py`` (1,000,000 entries, SQLite and PostgreSQL) and by the smoke
test at a small size.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from stargate.ledger import EntryIn, merkle, open_ledger

PROVIDERS = ("azure", "oracle", "coreweave", "stargate-abilene")
TYPES = ("gb200", "h100", "mi300x")


def charges(n: int, start: int = 0, seed: int = 0) -> list[EntryIn]:
    """``n`` seeded charge entries, like the simulator's monthly charges."""
    rng = random.Random(seed * 1_000_003 + start)
    t0 = datetime(2025, 1, 1)
    out = []
    for i in range(start, start + n):
        hours = rng.randint(1, 720_000)
        price = Decimal(rng.randint(150, 900)) / 100
        out.append(
            EntryIn(
                "charge",
                "openai",
                t0 + timedelta(hours=i),
                {
                    "provider": PROVIDERS[i % 4],
                    "site": f"site-{i % 37}",
                    "accelerator": TYPES[i % 3],
                    "workload_class": ("training", "inference")[i % 2],
                    "accelerator_hours": hours,
                    "list_cost_usd": str(price * hours),
                    "amount_usd": str((price * hours * Decimal("0.8")).quantize(Decimal("0.01"))),
                },
                run_id="bench",
                provenance={"seed": seed},
            )
        )
    return out


def run_ledger_bench(
    url: str,
    entries: int = 1_000_000,
    batch: int = 10_000,
    singles: int = 1_000,
    proofs: int = 1_000,
    seed: int = 0,
) -> dict[str, Any]:
    """Figures for a ledger of ``entries`` entries at ``url`` (which must be empty)."""
    led = open_ledger(url)
    assert led.size() == 0, "the benchmark needs an empty ledger"
    # batched appends (the EntryIn objects are made outside the timed part: what a caller
    # hands over is not the ledger's cost)
    appended = 0
    t_batched = 0.0
    while appended < entries:
        n = min(batch, entries - appended)
        items = charges(n, appended, seed)
        t0 = time.perf_counter()
        led.append(items)
        t_batched += time.perf_counter() - t0
        appended += n
    # one by one: each entry its own transaction and durable commit
    items = charges(singles, entries, seed)
    t0 = time.perf_counter()
    for e in items:
        led.append([e])
    t_single = time.perf_counter() - t0
    total = entries + singles
    led.close()

    # full verification from a fresh process's view (a new Ledger: nothing cached)
    led = open_ledger(url)
    t0 = time.perf_counter()
    report = led.verify()
    t_verify = time.perf_counter() - t0
    assert report.ok, report.render()[:3]
    assert report.size == total

    # the tree head of every leaf, from the stored leaf hashes
    t0 = time.perf_counter()
    hashes = led.store.leaf_hashes()
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    root = merkle.root(hashes)
    t_root = time.perf_counter() - t0
    assert root == report.root

    # proofs: the first one loads the leaf hashes; then each is O(log n)
    rng = random.Random(seed)
    t0 = time.perf_counter()
    first = led.prove("e-000000000000")
    t_first = time.perf_counter() - t0
    assert first.verify()
    lat = []
    for _ in range(proofs):
        eid = f"e-{rng.randrange(total):012d}"
        t0 = time.perf_counter()
        p = led.prove(eid)
        lat.append(time.perf_counter() - t0)
        assert p.verify()
    lat.sort()
    led.close()
    return {
        "url": url.split("://", 1)[0],
        "entries": total,
        "appends_batched_per_s": round(entries / t_batched),
        "batch": batch,
        "appends_single_per_s": round(singles / t_single, 1),
        "verify_s": round(t_verify, 2),
        "leaf_hashes_load_s": round(t_load, 2),
        "root_s": round(t_root, 2),
        "first_proof_s": round(t_first, 2),
        "proof_p50_ms": round(statistics.median(lat) * 1e3, 3),
        "proof_p99_ms": round(lat[int(0.99 * (len(lat) - 1))] * 1e3, 3),
    }
