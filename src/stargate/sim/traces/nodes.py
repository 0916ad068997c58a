"""Node lists as fleets: Alibaba's GPU cluster 2023 and spot GPU fleet 2026 node lists, one
pool per (model, GPUs per node), and ``pool:N``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from stargate.domain.limits import MAX_ACCELERATORS, MAX_ACCELERATORS_PER_NODE, check_count
from stargate.errors import InputError, Problem
from stargate.files import MAX_INPUT_BYTES
from stargate.sim.traces.cells import NO_TYPE, count_cell, parse_count
from stargate.sim.traces.csvreader import BadCell, Reader, clip
from stargate.sim.traces.paths import default_path
from stargate.sim.workload import FleetPool, FleetSpec

#: The largest node list: 64 MiB (a million nodes).
MAX_NODE_LIST_BYTES = MAX_INPUT_BYTES


def pool_id(model: str, per_node: int) -> str:
    """A pool id for ``per_node``-GPU nodes of ``model``: a slug, ``V100M16``, 8 → ``v100m16-x8``;
    ``A100-SXM4-80GB``, 8 → ``a100-sxm4-80gb-x8``."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") or "gpu"
    return f"{slug}-x{per_node}"


def fleet_from_nodes(
    name: str, nodes: Sequence[tuple[str, int]], skipped: dict[str, int] | None = None
) -> FleetSpec:
    """A fleet from ``(model, gpus)`` per node: one pool per (model, GPUs per node), sorted by
    model then size. The accelerator of a pool is the model name as written in the trace, the
    name jobs' allowed types use (``gpu_spec``)."""
    counts: dict[tuple[str, int], int] = {}
    for model, gpus in nodes:
        counts[(model, gpus)] = counts.get((model, gpus), 0) + 1
    pools: list[FleetPool] = []
    used: set[str] = set()
    for (model, per_node), n in sorted(counts.items()):
        pid = base = pool_id(model, per_node)
        k = 2
        while pid in used:  # two models that slug alike ("A-10", "A10"): keep both
            pid, k = f"{base}-{k}", k + 1
        used.add(pid)
        pools.append(FleetPool(id=pid, accelerator=model, nodes=n, per_node=per_node))
    return FleetSpec(name=name, pools=pools, any_type=False, skipped=dict(skipped or {}))


def _read_nodes(
    path: Path,
    columns: tuple[str, str, str],
    what: str,
    skip_bad_rows: bool,
    warnings: list[Problem] | None,
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """(model, gpus) of each GPU node; nodes without GPUs counted as ``cpu_only``."""
    name_col, gpu_col, model_col = columns
    reader = Reader(
        path,
        columns,
        what=what,
        skip_bad_rows=skip_bad_rows,
        warnings=warnings,
        max_bytes=MAX_NODE_LIST_BYTES,
    )
    i_n, i_g, i_m = (reader.index[c] for c in columns)
    nodes: list[tuple[str, int]] = []
    cpu_only = total = 0
    for row in reader.rows():
        try:
            if not row[i_n].strip():
                raise BadCell(name_col, "no node name", "a node name", "an empty cell")
            gpus = count_cell(row, i_g, gpu_col, limit=MAX_ACCELERATORS_PER_NODE)
            model = row[i_m].strip()
            if gpus > 0 and model.lower() in NO_TYPE:
                raise BadCell(
                    model_col,
                    "a GPU node without a GPU model",
                    "a model name such as V100M16 when the node has GPUs",
                    "an empty cell",
                )
        except BadCell as bad:
            reader.bad(reader.cell_problem(bad))
            continue
        if gpus == 0:
            cpu_only += 1
            continue
        total += gpus
        if total > MAX_ACCELERATORS:
            raise InputError(
                Problem(
                    "the node list holds more accelerators than Stargate represents in one "
                    f"fleet (at most {MAX_ACCELERATORS:,})",
                    file=reader.file,
                    line=reader.line,
                    path=f"{gpu_col} (column {i_g + 1})",
                )
            )
        nodes.append((model, gpus))
    skipped: dict[str, int] = {"cpu_only": cpu_only} if cpu_only else {}
    reader.finish(skipped)
    if not nodes:
        raise InputError(
            Problem(
                "no GPU nodes in the node list",
                file=str(path),
                expected="at least one node with GPUs",
            )
        )
    return nodes, skipped


def load_alibaba_nodes(
    path: str | Path | None = None,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    data_dir: str | Path | None = None,
) -> FleetSpec:
    """``alibaba-gpu-2023`` node list (``openb_node_list_gpu_node.csv`` or ``..._all_node.csv``:
    ``sn, cpu_milli, memory_mib, gpu, model``) as a fleet: one pool per (model, GPUs per node),
    e.g. ``v100m16-x8`` = 8 nodes of 8 V100M16. Nodes with ``gpu`` 0 are left out and counted
    (``cpu_only``). Models (P100, T4, V100M16, V100M32, A10, G2, G3; G1–G3 undisclosed) stay as
    written: they are the types pods' ``gpu_spec`` names. CPU and memory are not modelled."""
    given = path is not None
    p = (
        Path(path)
        if path is not None
        else default_path("alibaba-gpu-2023", "openb_node_list_gpu_node.csv", data_dir)
    )
    nodes, skipped = _read_nodes(
        p, ("sn", "gpu", "model"), "an Alibaba node list", skip_bad_rows, warnings
    )
    return fleet_from_nodes(
        f"alibaba-gpu-2023:{p}" if given else "alibaba-gpu-2023", nodes, skipped
    )


def load_spot_nodes(
    path: str | Path | None = None,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    data_dir: str | Path | None = None,
) -> FleetSpec:
    """``alibaba-spot-gpu-2026`` node list (``node_info_df.csv``: ``gpu_model,
    gpu_capacity_num, cpu_num, node_name``) as a fleet, grouped like :func:`load_alibaba_nodes`
    (e.g. ``a100-sxm4-80gb-x8``, accelerator ``A100-SXM4-80GB``). Nodes with no GPUs are
    counted as ``cpu_only``."""
    given = path is not None
    p = (
        Path(path)
        if path is not None
        else default_path("alibaba-spot-gpu-2026", "node_info_df.csv", data_dir)
    )
    nodes, skipped = _read_nodes(
        p,
        ("node_name", "gpu_capacity_num", "gpu_model"),
        "an Alibaba spot node list",
        skip_bad_rows,
        warnings,
    )
    return fleet_from_nodes(
        f"alibaba-spot-gpu-2026:{p}" if given else "alibaba-spot-gpu-2026", nodes, skipped
    )


def pool_fleet(n: int | str) -> FleetSpec:
    """``pool:N``: N accelerators that satisfy every type constraint, in one pool ``pool`` —
    N/8 nodes of 8 when N is a multiple of 8, else N nodes of 1. N is read exactly: digits, or
    a number that is exactly whole (``1e6``), from 1 to
    :data:`~stargate.domain.limits.MAX_ACCELERATORS`; anything else (``1.5``, ``1e23``) is an
    InputError naming the limit, never a rounding."""
    text = str(n).strip()
    expected = f"pool:N with N a whole number from 1 to {MAX_ACCELERATORS:,}, e.g. pool:1024"
    try:
        count = (
            n
            if isinstance(n, int) and not isinstance(n, bool)
            else parse_count(text, "fleet size", MAX_ACCELERATORS)
        )
        if not isinstance(count, int) or count < 1:
            raise ValueError("fleet size must be at least 1")
        check_count(count, "fleet size", MAX_ACCELERATORS)
    except ValueError as exc:
        raise InputError(
            Problem(
                f"bad size for fleet 'pool:{clip(text, 40)}': {exc}",
                path="--fleet",
                expected=expected,
                found=clip(repr(text), 60),
            )
        ) from None
    nodes, per_node = (count // 8, 8) if count % 8 == 0 else (count, 1)
    pool = FleetPool(id="pool", accelerator="any", nodes=nodes, per_node=per_node)
    return FleetSpec(name=f"pool:{count}", pools=[pool], any_type=True)
