"""Packing mode: hand-made fleets with answers worked out by hand, and the real pod lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from stargate.errors import InputError
from stargate.sim.packing import POLICIES, pack
from stargate.sim.traces import load_alibaba_nodes, load_fleet
from stargate.sim.workload import FleetSpec

NODES = "sn,cpu_milli,memory_mib,gpu,model\nv0,1,1,4,V100M16\nt0,1,1,2,T4\n"
# pools sort by model: t4-x2 (node 0: GPUs 0-1), then v100m16-x4 (node 1: GPUs 0-3)


@pytest.fixture
def fleet(tmp_path: Path) -> FleetSpec:
    path = tmp_path / "nodes.csv"
    path.write_text(NODES)
    return load_alibaba_nodes(path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pods.csv"
    path.write_text(text)
    return path


FIVE = (
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
    "p0,1,1,1,500\n"  # T4 GPU 0 -> 500 free
    "p1,1,1,1,600\n"  # first-fit: T4 GPU 1 -> 400 free
    "c0,1,1,0,0\n"  # CPU only: counted, left out
    "p2,1,1,2,1000\n"  # 2 whole GPUs: only the V100 node has them
    "p3,1,1,1,400\n"  # first-fit: T4 GPU 0 -> 100 free; best-fit: T4 GPU 1 -> 0
    "p4,1,1,4,1000\n"  # 4 whole GPUs: the V100 node has 2 left -> stop (capacity: 2.5 free)
    "p5,1,1,1,100\n"
)


def test_first_fit_by_hand(tmp_path: Path, fleet: FleetSpec) -> None:
    r = pack(write(tmp_path, FIVE), fleet)
    assert r.policy == "first-fit"
    assert (r.pods_total, r.pods_gpu, r.pods_placed) == (7, 6, 4)
    assert r.skipped == {"cpu_only": 1}
    assert (r.first_unplaced, r.first_unplaced_line, r.first_unplaced_gpus) == ("p4", 7, 4.0)
    assert r.stop_reason == "capacity"
    assert r.gpus_total == 6
    assert r.allocated_gpus == pytest.approx(3.5)
    assert r.allocated_share == pytest.approx(3.5 / 6)
    assert r.free_gpus == pytest.approx(2.5)
    assert r.partial_gpus == 2  # T4 GPUs with 100 and 400 free
    # fragmentation by hand, shapes (1,500) (1,600) (2,1000) (1,400) (4,1000) (1,100), 1/6 each;
    # T4 node free [100, 400] (500), V100 node free [0, 0, 1000, 1000] (2000)
    #   (1,500): T4 cannot -> 500; V100 can, no GPU under 500 free      -> 500
    #   (1,600): same                                                   -> 500
    #   (2,1000): T4 cannot -> 500; V100 can (2 free GPUs)               -> 500
    #   (1,400): T4 can, GPU with 100 < 400 is stranded -> 100          -> 100
    #   (4,1000): T4 cannot -> 500; V100 cannot -> 2000                 -> 2500
    #   (1,100): T4 can, nothing under 100 free; V100 can               -> 0
    assert r.fragmented_gpus == pytest.approx((500 + 500 + 500 + 100 + 2500 + 0) / 6 / 1000)
    assert r.fragmentation_share == pytest.approx(r.fragmented_gpus / 2.5)
    assert r.pool_allocated_share == pytest.approx({"t4-x2": 1.5 / 2, "v100m16-x4": 2 / 4})


def test_best_fit_by_hand(tmp_path: Path, fleet: FleetSpec) -> None:
    r = pack(write(tmp_path, FIVE), fleet, policy="best-fit")
    assert (r.pods_placed, r.first_unplaced, r.stop_reason) == (4, "p4", "capacity")
    assert r.allocated_gpus == pytest.approx(3.5)
    assert r.partial_gpus == 1  # p3 filled T4 GPU 1 exactly; GPU 0 keeps 500
    # T4 free [500, 0]; V100 [0, 0, 1000, 1000]
    #   (1,500) 0; (1,600) 500; (2,1000) 500; (1,400) 0; (4,1000) 2500; (1,100) 0
    assert r.fragmented_gpus == pytest.approx(3500 / 6 / 1000)


TYPED = (
    "name,num_gpu,gpu_milli,gpu_spec\n"
    "q0,1,1000,V100M16\n"  # skips the T4 node, first in fleet order
    "q1,1,600,T4\n"  # T4 GPU 0 -> 400 free
    "q2,1,600,T4|T4\n"  # T4 GPU 1 -> 400 free
    "q3,1,300,\n"  # any type: T4 GPU 0 -> 100 free
    "q4,1,450,T4\n"  # T4 has 500 free in all, but no GPU with 450: fragmentation
)


def test_type_constraints_and_fragmentation_stop(tmp_path: Path, fleet: FleetSpec) -> None:
    r = pack(write(tmp_path, TYPED), fleet)
    assert (r.pods_placed, r.first_unplaced, r.first_unplaced_line) == (4, "q4", 6)
    assert r.stop_reason == "fragmentation"
    assert r.first_unplaced_gpus == pytest.approx(0.45)
    assert r.pool_allocated_share == pytest.approx({"t4-x2": 1.5 / 2, "v100m16-x4": 1 / 4})


def test_no_allowed_type(tmp_path: Path, fleet: FleetSpec) -> None:
    r = pack(write(tmp_path, "name,num_gpu,gpu_milli,gpu_spec\nz,1,1000,A100\n"), fleet)
    assert (r.pods_placed, r.stop_reason, r.allocated_gpus) == (0, "no-allowed-type", 0)
    # on pool:N every type is allowed
    r = pack(
        write(tmp_path, "name,num_gpu,gpu_milli,gpu_spec\nz,1,1000,A100\n"), load_fleet("pool:8")
    )
    assert (r.pods_placed, r.stop_reason, r.allocated_share) == (1, None, 1 / 8)


def test_pods_larger_than_a_node_take_whole_nodes(tmp_path: Path) -> None:
    pods = "name,num_gpu,gpu_milli\na,12,1000\nb,4,1000\nc,1,100\n"
    r = pack(write(tmp_path, pods), load_fleet("pool:16"))  # 2 nodes of 8
    assert (r.pods_placed, r.first_unplaced, r.stop_reason) == (2, "c", "capacity")
    assert r.allocated_share == 1.0
    assert r.free_gpus == 0
    assert r.fragmentation_share == 0
    pods = "name,num_gpu,gpu_milli\na,3,1000\nb,1,500\nc,6,1000\nd,1,600\n"
    r = pack(write(tmp_path, pods), load_fleet("pool:10"))  # 10 nodes of 1
    assert (r.pods_placed, r.first_unplaced, r.stop_reason) == (3, "d", "capacity")
    assert r.allocated_gpus == pytest.approx(9.5)
    assert r.partial_gpus == 1
    pods = "name,num_gpu,gpu_milli\nb,1,500\nc,1,600\nd,1,700\na,8,1000\n"
    r = pack(write(tmp_path, pods), load_fleet("pool:10"))
    assert (r.pods_placed, r.stop_reason) == (3, "fragmentation")  # 8.2 free, 7 whole nodes


def test_every_pod_fits(tmp_path: Path, fleet: FleetSpec) -> None:
    r = pack(write(tmp_path, "name,num_gpu,gpu_milli\na,1,250\nb,1,250\n"), fleet)
    assert (r.pods_placed, r.first_unplaced, r.stop_reason) == (2, None, None)
    assert r.to_dict()["pods_placed"] == 2


def test_bad_policy_and_bad_rows(tmp_path: Path, fleet: FleetSpec) -> None:
    with pytest.raises(InputError, match="did you mean 'best-fit'"):
        pack(write(tmp_path, FIVE), fleet, policy="bestfit")
    bad = FIVE.replace("p1,1,1,1,600", "p1,1,1,1,6000")
    with pytest.raises(InputError, match=r"pods.csv:3:5: gpu_milli \(column 5\)"):
        pack(write(tmp_path, bad), fleet)
    r = pack(write(tmp_path, bad), fleet, skip_bad_rows=True)
    assert r.skipped == {"cpu_only": 1, "bad_row": 1}
    assert r.pods_total == 7


# --------------------------------------------------------------------------- real traces


def test_multigpu20_on_the_real_fleet(shared_traces: Path) -> None:
    pods = shared_traces / "alibaba-gpu-2023" / "openb_pod_list_multigpu20.csv"
    fleet = load_fleet("alibaba-gpu-2023")
    results = {p: pack(pods, fleet, policy=p) for p in POLICIES}
    for r in results.values():
        assert (r.pods_total, r.pods_gpu, r.skipped) == (8324, 7236, {"cpu_only": 1088})
        assert r.gpus_total == 6212
        assert r.stop_reason == "fragmentation"
        assert r.first_unplaced_gpus == 1.0  # a one-GPU pod finds no whole free GPU
        assert 0.95 < r.allocated_share < 0.96
        assert 0 < r.fragmented_gpus <= r.free_gpus
        assert r.allocated_gpus + r.free_gpus == pytest.approx(6212)
    ff, bf = results["first-fit"], results["best-fit"]
    assert (ff.pods_placed, ff.first_unplaced) == (6881, "openb-pod-7964")
    assert ff.allocated_gpus == pytest.approx(5950.67)
    assert ff.partial_gpus == 1868
    assert (bf.pods_placed, bf.first_unplaced) == (6883, "openb-pod-7966")
    assert bf.allocated_gpus == pytest.approx(5952.67)


def test_full_pod_list_packs_too(shared_traces: Path) -> None:
    pods = shared_traces / "alibaba-gpu-2023" / "openb_pod_list_default.csv"
    r = pack(pods, load_fleet("alibaba-gpu-2023"))
    assert r.pods_gpu == 7064  # never-scheduled pods are packed too: times are ignored
    assert r.pods_placed > 6000
