"""The synthetic workload generator: deterministic, scaled as documented, drawing from the
shipped fits, close to the real traces, and strict about its parameters."""

from __future__ import annotations

import functools
import importlib.util
import math
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from stargate.errors import InputError
from stargate.sim import synthetic as syn
from stargate.sim.workload import InferenceDemand, JobTable

FArray = npt.NDArray[np.float64]
ROOT = Path(__file__).resolve().parents[2]
RESEARCH = {"research-training": 1.0}


def ks_2samp(a: FArray, b: FArray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic (exact with ties)."""
    a, b = np.sort(a), np.sort(b)
    grid = np.union1d(a, b)
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def ks_critical(n: int, m: int) -> float:
    """Above this a two-sample KS test rejects 'same distribution' at alpha = 0.001
    (asymptotic coefficient 1.95)."""
    return 1.95 * math.sqrt((n + m) / (n * m))


def same_jobs(a: JobTable, b: JobTable) -> bool:
    return (
        np.array_equal(a.arrival_s, b.arrival_s)
        and np.array_equal(a.duration_s, b.duration_s)
        and np.array_equal(a.gpus, b.gpus)
        and a.workload_class == b.workload_class
    )


def check_cdf(sample: FArray, table: syn.QuantileTable, probs: list[float]) -> None:
    """At each p, the sample's CDF at the table's p-quantile is p within 5 standard errors."""
    xs = np.sort(sample)
    for p in probs:
        q = float(table.quantile(p))
        got = np.searchsorted(xs, q, side="right") / len(xs)
        tol = 5 * math.sqrt(p * (1 - p) / len(xs))
        assert abs(got - p) <= tol, f"CDF at the {p:.2f} quantile ({q:.4g}) is {got:.4f}"


# --------------------------------------------------------------------------- shape


def test_default_run_is_a_job_table() -> None:
    jobs = syn.generate()
    assert isinstance(jobs, JobTable)
    assert len(jobs) == 20_000
    assert jobs.source == "synthetic"
    assert jobs.skipped == {}
    assert jobs.name is None
    assert jobs.allowed == [None] * len(jobs)
    assert np.all(np.diff(jobs.arrival_s) >= 0)
    assert jobs.arrival_s[0] > 0
    assert np.all(jobs.duration_s >= 1)
    assert np.all(jobs.gpus > 0)
    assert set(jobs.workload_class) == {"research-training", "frontier-training"}


def test_default_inference_is_an_hour() -> None:
    demand = syn.generate_inference()
    assert isinstance(demand, InferenceDemand)
    assert len(demand) == 60
    assert demand.workload_class == "chatgpt-inference"
    assert demand.source == "synthetic"
    assert demand.requests_per_min.dtype == np.int64
    assert np.all(demand.prompt_tokens_per_s > 0)
    assert np.all(demand.output_tokens_per_s > 0)


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_jobs_other_seed_other_jobs() -> None:
    a, b = syn.generate(jobs=5000, seed=7), syn.generate(jobs=5000, seed=7)
    assert same_jobs(a, b)
    c = syn.generate(jobs=5000, seed=8)
    assert not np.array_equal(a.arrival_s, c.arrival_s)
    assert not np.array_equal(a.duration_s, c.duration_s)
    assert not np.array_equal(a.gpus, c.gpus)
    assert a.workload_class != c.workload_class


def test_same_seed_same_inference_other_seed_other() -> None:
    a, b = syn.generate_inference(seed=4), syn.generate_inference(seed=4)
    assert np.array_equal(a.requests_per_min, b.requests_per_min)
    assert np.array_equal(a.prompt_tokens_per_s, b.prompt_tokens_per_s)
    assert np.array_equal(a.output_tokens_per_s, b.output_tokens_per_s)
    c = syn.generate_inference(seed=5)
    assert not np.array_equal(a.requests_per_min, c.requests_per_min)
    assert not np.array_equal(a.prompt_tokens_per_s, c.prompt_tokens_per_s)


def test_a_longer_run_extends_a_shorter_one_at_a_fixed_rate() -> None:
    short = syn.generate(jobs=1000, rate_per_h=30, seed=2)
    long = syn.generate(jobs=5000, rate_per_h=30, seed=2)
    assert np.array_equal(short.arrival_s, long.arrival_s[:1000])
    assert np.array_equal(short.duration_s, long.duration_s[:1000])
    assert np.array_equal(short.gpus, long.gpus[:1000])
    assert short.workload_class == long.workload_class[:1000]


def test_numeric_strings_mean_their_numbers() -> None:
    as_text = syn.generate(
        jobs="2000",
        seed="3",
        fleet_accelerators="500",
        utilization="0.8",
        duration_scale="1.5",
        classes="frontier-training:0.1,research-training:0.9",
    )
    as_numbers = syn.generate(
        jobs=2000,
        seed=3,
        fleet_accelerators=500,
        utilization=0.8,
        duration_scale=1.5,
        classes={"research-training": 9, "frontier-training": 1},  # order and scale don't matter
    )
    assert same_jobs(as_text, as_numbers)
    assert same_jobs(syn.generate(jobs="1e3"), syn.generate(jobs=1000))
    assert same_jobs(syn.generate(jobs=np.int64(100)), syn.generate(jobs=100))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- scaling


def test_rate_per_h_sets_the_mean_gap() -> None:
    n = 100_000
    jobs = syn.generate(jobs=n, rate_per_h=120.0, seed=1)
    realised_per_h = n / jobs.arrival_s[-1] * 3600
    # Gaps have CV 1.6: the mean of 100,000 is within 0.5 % (1 sd); allow 3 %.
    assert realised_per_h == pytest.approx(120.0, rel=0.03)


def test_default_rate_is_alibabas() -> None:
    jobs = syn.generate(jobs=100_000, seed=1)
    assert 100_000 / jobs.arrival_s[-1] * 3600 == pytest.approx(syn.JOB_RATE_PER_H, rel=0.03)


@pytest.mark.parametrize("classes", [None, RESEARCH])
@pytest.mark.parametrize(("fleet", "utilization"), [(1000, 0.8), (64, 0.3), (100_000, 1.0)])
def test_utilization_sets_the_offered_load(
    classes: dict[str, float] | None, fleet: int, utilization: float
) -> None:
    jobs = syn.generate(
        jobs=20_000,
        seed=5,
        fleet_accelerators=fleet,
        utilization=utilization,
        classes=classes,
    )
    offered = float(np.dot(jobs.gpus, jobs.duration_s)) / jobs.arrival_s[-1]
    assert offered == pytest.approx(utilization * fleet, rel=1e-9)
    assert jobs.gpus.max() <= fleet


def test_realised_rate_approaches_the_expected_rate() -> None:
    """Research jobs only (light enough tails to converge): the rate chosen for the drawn jobs
    is within a few percent of rate_for_utilization's expectation."""
    n = 1_000_000
    jobs = syn.generate(jobs=n, seed=9, fleet_accelerators=2000, utilization=0.7, classes=RESEARCH)
    expected = syn.rate_for_utilization(0.7, 2000, RESEARCH)
    # Over seeds the ratio varies by 0.6 % (1 sd) at a million jobs; allow 3 %.
    assert n / jobs.arrival_s[-1] * 3600 == pytest.approx(expected, rel=0.03)


def test_rate_for_utilization_is_littles_law() -> None:
    research = syn.PROFILES["research-training"]
    frontier = syn.PROFILES["frontier-training"]
    e_d = syn.JOB_DURATION.mean
    # Mean size of research jobs is Alibaba's, 0.884 GPUs.
    assert research.mean_gpus() == pytest.approx(0.8842, abs=1e-3)
    assert syn.mean_gpu_seconds(RESEARCH) == pytest.approx(research.mean_gpus() * e_d)
    per_job = 0.99 * research.mean_gpus() + 0.01 * frontier.mean_gpus() * 2.0
    assert syn.mean_gpu_seconds() == pytest.approx(per_job * e_d)
    # A fleet of 100 cuts the 128- and 256-GPU frontier jobs to 100.
    assert frontier.mean_gpus(100) == pytest.approx((16 + 32 + 64 + 100 + 100) / 5)
    rate = syn.rate_for_utilization(0.5, 1000, duration_scale=3.0)
    assert rate * syn.mean_gpu_seconds(duration_scale=3.0) / 3600 == pytest.approx(500)


def test_duration_scale_and_fleet_cap() -> None:
    base = syn.generate(jobs=3000, rate_per_h=50, seed=11)
    longer = syn.generate(jobs=3000, rate_per_h=50, seed=11, duration_scale=2.5)
    assert np.allclose(longer.duration_s, 2.5 * base.duration_s)
    assert np.array_equal(longer.arrival_s, base.arrival_s)
    small = syn.generate(jobs=3000, rate_per_h=50, seed=11, fleet_accelerators=20)
    assert small.gpus.max() == 20
    assert np.array_equal(small.gpus, np.minimum(base.gpus, 20))


def test_inference_scale_multiplies_the_rate() -> None:
    base = syn.generate_inference(minutes=2000, seed=1)
    big = syn.generate_inference(minutes=2000, seed=1, scale=10)
    ratio = big.requests_per_min.sum() / base.requests_per_min.sum()
    assert ratio == pytest.approx(10, rel=0.02)
    per_req = big.tokens_per_s.sum() / big.requests_per_min.sum()
    assert per_req == pytest.approx(base.tokens_per_s.sum() / base.requests_per_min.sum(), 0.02)


# --------------------------------------------------------------------------- the shipped fits


def test_durations_follow_the_shipped_table() -> None:
    jobs = syn.generate(jobs=200_000, seed=21, classes=RESEARCH, rate_per_h=100)
    check_cdf(jobs.duration_s, syn.JOB_DURATION, [0.02, 0.1, 0.25, 0.5, 0.75, 0.9, 0.98])
    frontier = syn.generate(jobs=50_000, seed=21, classes={"frontier-training": 1})
    assert np.median(frontier.duration_s) == pytest.approx(2 * syn.JOB_DURATION.quantile(0.5), 0.05)


def test_interarrivals_follow_the_shipped_table() -> None:
    rate = 60.0
    jobs = syn.generate(jobs=200_000, seed=22, rate_per_h=rate)
    gaps = np.diff(jobs.arrival_s, prepend=0.0) / (3600 / rate)
    check_cdf(gaps, syn.JOB_INTERARRIVAL, [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])
    assert syn.JOB_INTERARRIVAL.mean == pytest.approx(1.0, abs=1e-3)


def test_sizes_follow_the_shipped_frequencies() -> None:
    n = 200_000
    jobs = syn.generate(jobs=n, seed=23, classes=RESEARCH, rate_per_h=100)
    expected = {0.0: syn.SIZE_SHARE_P} | dict(zip(syn.SIZE_GPUS, syn.SIZE_GPUS_P, strict=True))
    got = Counter(np.where(jobs.gpus < 1, 0.0, jobs.gpus).tolist())
    for size, p in expected.items():
        assert abs(got[size] / n - p) <= 5 * math.sqrt(p * (1 - p) / n) + 1e-6, size
    shares = jobs.gpus[jobs.gpus < 1] * 1000
    top = Counter(np.round(shares).astype(int).tolist()).most_common(1)[0][0]
    assert top == syn.SHARE_MILLI[int(np.argmax(syn.SHARE_MILLI_P))]  # 810 milli


def test_classes_follow_their_weights_and_profiles() -> None:
    n = 100_000
    jobs = syn.generate(jobs=n, seed=24, rate_per_h=100)
    cls = np.asarray(jobs.workload_class)
    share = float(np.mean(cls == "frontier-training"))
    assert abs(share - 0.01) <= 5 * math.sqrt(0.01 * 0.99 / n)
    frontier = jobs.gpus[cls == "frontier-training"]
    assert set(frontier.tolist()) == {16.0, 32.0, 64.0, 128.0, 256.0}
    assert jobs.gpus[cls == "research-training"].max() <= 8


def test_quantile_table_moments_are_exact() -> None:
    """Mean and variance of the log-linear interpolation, by quadrature over u."""
    u = (np.arange(2_000_000) + 0.5) / 2_000_000
    for table in (syn.JOB_DURATION, syn.PROMPT, syn.OUTPUT, syn.JOB_INTERARRIVAL):
        x = table.sample(u)
        assert x.mean() == pytest.approx(table.mean, rel=2e-3)
        assert x.var() == pytest.approx(table.variance, rel=1e-2)
    flat = syn.QuantileTable([5.0] * len(syn.QUANTILE_P))
    assert flat.mean == 5.0
    assert flat.variance == 0.0
    with pytest.raises(ValueError, match="non-decreasing"):
        syn.QuantileTable([2.0, 1.0] + [3.0] * (len(syn.QUANTILE_P) - 2))


def test_ar1_matches_its_recurrence_and_moments() -> None:
    z = np.random.default_rng(0).standard_normal(5000)
    phi, sd = 0.95, 0.3
    x = syn._ar1(z.copy(), phi, sd)
    ref = np.empty_like(z)
    ref[0] = sd * z[0]
    for t in range(1, len(z)):
        ref[t] = phi * ref[t - 1] + sd * math.sqrt(1 - phi * phi) * z[t]
    assert np.allclose(x, ref, rtol=1e-9, atol=1e-12)
    long = syn._ar1(np.random.default_rng(1).standard_normal(1_000_000), 0.85, 0.2)
    assert long.std() == pytest.approx(0.2, rel=0.02)
    assert np.corrcoef(long[:-1], long[1:])[0, 1] == pytest.approx(0.85, abs=0.005)


def test_requests_and_tokens_follow_the_fit() -> None:
    demand = syn.generate_inference(minutes=20_000, seed=3)
    counts = demand.requests_per_min
    assert counts.mean() == pytest.approx(syn.LLM_REQUESTS_PER_MIN, rel=0.02)
    log_counts = np.log(counts)
    lag1 = np.corrcoef(log_counts[:-1], log_counts[1:])[0, 1]
    # Poisson noise (variance about 1/count in log) dilutes the log-rate's autocorrelation.
    var = syn.LLM_LOG_RATE_SD**2
    expected = syn.LLM_LOG_RATE_PHI * var / (var + 1 / syn.LLM_REQUESTS_PER_MIN)
    assert lag1 == pytest.approx(expected, abs=0.02)
    assert log_counts.std() == pytest.approx(math.sqrt(var + 1 / syn.LLM_REQUESTS_PER_MIN), 0.05)
    total = counts.sum()
    for per_s, table in (
        (demand.prompt_tokens_per_s, syn.PROMPT),
        (demand.output_tokens_per_s, syn.OUTPUT),
    ):
        per_request = per_s.sum() * 60 / total
        assert per_request == pytest.approx(
            table.mean, rel=5 * math.sqrt(table.variance / total) / table.mean
        )


def test_gamma_sums_match_exact_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above EXACT_REQUESTS each minute's tokens come from a gamma with the same mean and
    variance: per-request means and their spread over minutes agree with exact draws."""
    exact = syn.generate_inference(minutes=3000, seed=6)
    monkeypatch.setattr(syn, "EXACT_REQUESTS", 0)
    gamma = syn.generate_inference(minutes=3000, seed=6)
    assert np.array_equal(exact.requests_per_min, gamma.requests_per_min)
    for a, b in (
        (exact.prompt_tokens_per_s, gamma.prompt_tokens_per_s),
        (exact.output_tokens_per_s, gamma.output_tokens_per_s),
    ):
        ra, rb = a * 60 / exact.requests_per_min, b * 60 / gamma.requests_per_min
        assert rb.mean() == pytest.approx(ra.mean(), rel=0.01)
        assert rb.std() == pytest.approx(ra.std(), rel=0.1)


# --------------------------------------------------------------------------- the real traces


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fit_synthetic", ROOT / "tools/fit_synthetic.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


@functools.cache
def read_traces(folder: Path) -> dict[str, Any]:
    """The traces, read once per session with the fit script's own readers."""
    tool = load_tool()
    _, prompt, output = tool.read_azure(folder / tool.AZURE)
    return {
        "tool": tool,
        "alibaba": tool.read_alibaba(folder / tool.ALIBABA),
        "philly": tool.read_philly(folder / tool.PHILLY),
        "prompt": prompt,
        "output": output,
    }


@pytest.fixture
def traces(shared_traces: Path) -> dict[str, Any]:
    return read_traces(shared_traces)


def test_shipped_tables_are_the_fit(traces: dict[str, Any]) -> None:
    """The numbers in the module are what tools/fit_synthetic.py makes of the traces."""
    tool = traces["tool"]
    assert syn.DURATION_S == tool.quantile_table(traces["philly"], floor=1.0)
    assert syn.PROMPT_TOKENS == tool.quantile_table(traces["prompt"], floor=1.0)
    assert syn.OUTPUT_TOKENS == tool.quantile_table(traces["output"], floor=1.0)
    sizes = tool.fit_sizes(traces["alibaba"]["gpus"])
    assert (syn.SIZE_SHARE_P, syn.SIZE_GPUS, syn.SIZE_GPUS_P) == (
        sizes.share_p,
        sizes.gpus,
        sizes.gpus_p,
    )
    assert (syn.SHARE_MILLI, syn.SHARE_MILLI_P) == (sizes.milli, sizes.milli_p)


def test_durations_are_close_to_philly(traces: dict[str, Any]) -> None:
    """20,000 generated research durations against Philly's 83,154 runtimes, both in whole
    seconds. Two samples of one distribution exceed ks_critical (0.0154) with probability
    0.001; the table's own distance from the trace at that resolution is 0.0026 (fit script);
    the threshold is their sum, rounded up."""
    philly = traces["philly"]
    jobs = syn.generate(jobs=20_000, seed=0, classes=RESEARCH)
    ks = ks_2samp(np.round(jobs.duration_s), philly)
    assert ks < ks_critical(20_000, len(philly)) + 0.003, ks


def test_sizes_are_close_to_alibaba(traces: dict[str, Any]) -> None:
    """Sizes are Alibaba's frequencies, so only sampling separates them: below the alpha =
    0.001 critical value (0.028 for 20,000 against 6,203)."""
    real = traces["alibaba"]["gpus"]
    jobs = syn.generate(jobs=20_000, seed=0, classes=RESEARCH)
    assert ks_2samp(jobs.gpus, real) < ks_critical(20_000, len(real))


def test_interarrivals_are_close_to_alibaba(traces: dict[str, Any]) -> None:
    """Gaps in whole seconds at Alibaba's rate, against the trace's busy window (arrivals after
    its last gap of over a day): critical value 0.028 plus the table's distance, 0.0061."""
    c = np.sort(traces["alibaba"]["creation"])
    start = int(np.nonzero(np.diff(c) > 86_400)[0][-1]) + 1
    real = np.diff(c[start:])
    jobs = syn.generate(jobs=20_000, seed=0)
    gaps = np.round(np.diff(jobs.arrival_s, prepend=0.0))
    assert ks_2samp(gaps, real) < ks_critical(20_000, len(real)) + 0.007


@pytest.mark.parametrize("column", ["prompt", "output"])
def test_tokens_are_close_to_azure(traces: dict[str, Any], column: str) -> None:
    """Per-request tokens (whole tokens) against Azure's 19,366 requests: critical value 0.019
    plus the table's distance, 0.007."""
    real = traces[column]
    table = syn.PROMPT if column == "prompt" else syn.OUTPUT
    drawn = np.round(table.sample(np.random.default_rng(0).random(20_000)))
    assert ks_2samp(drawn, real) < ks_critical(20_000, len(real)) + 0.008


# --------------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"jobs": 0}, "jobs"),
        ({"jobs": -5}, "jobs"),
        ({"jobs": 1.5}, "jobs"),
        ({"jobs": "many"}, "jobs"),
        ({"jobs": True}, "jobs"),
        ({"jobs": 10**9}, "jobs"),
        ({"seed": -1}, "seed"),
        ({"seed": "x"}, "seed"),
        ({"rate_per_h": 0}, "rate_per_h"),
        ({"rate_per_h": "-3"}, "rate_per_h"),
        ({"rate_per_h": "nan"}, "rate_per_h"),
        ({"rate_per_h": "inf"}, "rate_per_h"),
        ({"fleet_accelerators": 0}, "fleet_accelerators"),
        ({"fleet_accelerators": "ten"}, "fleet_accelerators"),
        ({"utilization": 0}, "utilization"),
        ({"utilization": "1.2"}, "utilization"),
        ({"utilization": -0.5}, "utilization"),
        ({"duration_scale": 0}, "duration_scale"),
        ({"classes": "research-training"}, "classes"),
        ({"classes": "research-training:-1"}, "classes"),
        ({"classes": "research-training:0"}, "classes"),
        ({"classes": "research-training:lots"}, "classes"),
        ({"classes": {"research-training": 0, "frontier-training": 0}}, "classes"),
        ({"classes": 3}, "classes"),
    ],
)
def test_bad_values_name_the_parameter(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InputError, match=f"synthetic parameter '{name}'"):
        syn.generate(**kwargs)


def test_unknown_class_suggests_a_known_one() -> None:
    with pytest.raises(InputError, match=r"unknown workload class 'research'.*'research-training'"):
        syn.generate(classes="research:1")
    with pytest.raises(InputError, match="one of research-training, frontier-training"):
        syn.generate(classes={"batch-inference": 1.0})


def test_unknown_parameter_lists_the_valid_ones() -> None:
    with pytest.raises(InputError) as err:
        syn.generate(job=10)
    text = str(err.value)
    assert "unknown synthetic parameter 'job'" in text
    assert "did you mean 'jobs'?" in text
    assert "one of jobs, rate_per_h, seed, fleet_accelerators, utilization" in text
    with pytest.raises(InputError, match=r"'utilisation'.*did you mean 'utilization'"):
        syn.generate(**{"utilisation": "0.8"})
    with pytest.raises(InputError, match="unknown synthetic parameter 'fitted_to'"):
        syn.generate(fitted_to="alibaba-gpu-2023")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": "an hour"}, "minutes"),
        ({"minutes": 10**9}, "minutes"),
        ({"scale": 0}, "scale"),
        ({"scale": "-1"}, "scale"),
        ({"seed": 0.5}, "seed"),
        ({"workload_class": " "}, "workload_class"),
    ],
)
def test_bad_inference_values_name_the_parameter(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InputError, match=f"synthetic parameter '{name}'"):
        syn.generate_inference(**kwargs)


def test_unknown_inference_parameter() -> None:
    with pytest.raises(InputError, match=r"'minute'.*did you mean 'minutes'"):
        syn.generate_inference(minute=5)
    assert len(syn.generate_inference(minutes="5", scale="0.5", seed="2")) == 5


def test_trace_reading(traces: dict[str, Any]) -> None:
    """The comparisons above rely on it: every Philly row (two of them zero), and Alibaba's GPU
    pods with a scheduled time."""
    philly = traces["philly"]
    assert len(philly) == 83_154
    assert int((philly == 0).sum()) == 2
    assert len(traces["alibaba"]["gpus"]) == 6203
