"""Fit the synthetic workload generator (:mod:`stargate.sim.synthetic`) to the public traces.

Run by hand, from the repository root::

    .venv/bin/python tools/fit_synthetic.py /work/shared/data/traces [--date YYYY-MM-DD]

It reads three traces with the csv module and numpy (no other package):

* ``alibaba-gpu-2023/openb_pod_list_default.csv`` — job inter-arrival times, job sizes (and
  the GPU share of fractional jobs), and job durations as a cross-check;
* ``philly-2017/philly_runtime.csv`` — job durations;
* ``azure-llm-2023/AzureLLMInferenceTrace_conv.csv`` — the request rate, its minute-to-minute
  variability, and prompt and output tokens per request;

and prints, on standard output, a block of Python constants to paste over the block between the
``BEGIN FITTED PARAMETERS`` and ``END FITTED PARAMETERS`` markers of
``src/stargate/sim/synthetic.py``, each with a comment giving the trace, the fit and its
goodness of fit. A fit report (more figures than the comments hold) goes to standard error.

Deterministic: the numbers depend only on the trace files; the Monte-Carlo checks use fixed
seeds. Only ``--date`` (default: today) changes the text.

Continuous distributions are shipped as *quantile tables*: the values at fixed probabilities
(``QUANTILE_P``), interpolated linearly in log(value) between them, so sampling is
``exp(np.interp(u, QUANTILE_P, log(table)))``. The report shows why: single lognormals miss
these heavy-tailed, multi-modal distributions by a KS distance of 0.05–0.2, the tables by less
than 0.01.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from stargate.sim.synthetic import QUANTILE_P, QuantileTable, _request_counts

FArray = npt.NDArray[np.float64]

ALIBABA = "alibaba-gpu-2023/openb_pod_list_default.csv"
PHILLY = "philly-2017/philly_runtime.csv"
AZURE = "azure-llm-2023/AzureLLMInferenceTrace_conv.csv"

#: Alibaba's trace is a snapshot: before its busy last weeks it holds only the few long-lived
#: pods still alive. Inter-arrivals are fitted on the arrivals after the last gap this long.
DENSE_WINDOW_GAP_S = 86_400.0
#: Model draws for the Monte-Carlo goodness-of-fit figures.
CHECK_DRAWS = 1_000_000
#: Model runs as long as the LLM trace, drawn to compare their variability with the trace's.
CHECK_RUNS = 400
SIG = 5  # significant digits of the printed tables


def log(msg: str = "") -> None:
    print(msg, file=sys.stderr)


# --------------------------------------------------------------------------- reading


def read_alibaba(path: Path) -> dict[str, FArray]:
    """GPU pods that were scheduled: creation, scheduled and deletion times, and GPUs asked
    for (``gpu_milli / 1000`` for a share of one GPU)."""
    cols: dict[str, list[float]] = {"creation": [], "scheduled": [], "deletion": [], "gpus": []}
    skipped = {"cpu_only": 0, "never_scheduled": 0}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            num_gpu = int(row["num_gpu"])
            if num_gpu == 0:
                skipped["cpu_only"] += 1
                continue
            if not row["scheduled_time"].strip():
                skipped["never_scheduled"] += 1
                continue
            milli = int(row["gpu_milli"])
            cols["gpus"].append(milli / 1000 if num_gpu == 1 else float(num_gpu))
            cols["creation"].append(float(row["creation_time"]))
            cols["scheduled"].append(float(row["scheduled_time"]))
            cols["deletion"].append(float(row["deletion_time"]))
    log(f"alibaba: {len(cols['gpus'])} GPU pods kept, skipped {skipped}")
    return {k: np.asarray(v, dtype=np.float64) for k, v in cols.items()}


def read_philly(path: Path) -> FArray:
    with path.open(newline="") as f:
        runtime = np.asarray([float(r["runtime"]) for r in csv.DictReader(f)], dtype=np.float64)
    log(f"philly: {len(runtime)} jobs, {int((runtime == 0).sum())} with runtime 0")
    return runtime


def read_azure(path: Path) -> tuple[FArray, FArray, FArray]:
    """Seconds since the first request, prompt tokens, output tokens."""
    stamps: list[str] = []
    prompt: list[float] = []
    output: list[float] = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            stamps.append(row["TIMESTAMP"].strip().replace(" ", "T"))
            prompt.append(float(row["ContextTokens"]))
            output.append(float(row["GeneratedTokens"]))
    t_ns = np.asarray(stamps, dtype="datetime64[ns]").astype(np.int64)
    t = (t_ns - t_ns.min()).astype(np.float64) / 1e9
    log(f"azure: {len(t)} requests over {t.max():.0f} s")
    return t, np.asarray(prompt), np.asarray(output)


# --------------------------------------------------------------------------- statistics


def ks_2samp(a: FArray, b: FArray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic, exact with ties."""
    a, b = np.sort(a), np.sort(b)
    grid = np.union1d(a, b)
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def ks_critical(n: int, m: int, c_alpha: float = 1.95) -> float:
    """Two-sample KS critical value; 1.95 is the asymptotic coefficient for alpha = 0.001."""
    return c_alpha * float(np.sqrt((n + m) / (n * m)))


def rank(x: FArray) -> FArray:
    """Average ranks (ties share their mean rank), for Spearman's correlation."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=np.float64)
    _, first, counts = np.unique(xs, return_index=True, return_counts=True)
    mean_rank = first + (counts - 1) / 2
    ranks[order] = np.repeat(mean_rank, counts)
    return ranks


def spearman(x: FArray, y: FArray) -> float:
    return float(np.corrcoef(rank(x), rank(y))[0, 1])


def round_sig(values: Sequence[float] | FArray, sig: int = SIG) -> tuple[float, ...]:
    return tuple(float(f"{v:.{sig}g}") for v in values)


def quantile_table(x: FArray, floor: float) -> tuple[float, ...]:
    """Values of ``x`` at QUANTILE_P (linear between order statistics), at least ``floor``,
    rounded to SIG significant digits and made non-decreasing."""
    q = np.maximum(np.quantile(x, np.asarray(QUANTILE_P)), floor)
    return round_sig(np.maximum.accumulate(q))


@dataclass(frozen=True)
class Ks:
    """KS distances to the data: of the shipped table, of the table rounded to the data's
    resolution (traces count whole seconds and tokens, with point masses of up to 2 % on
    single values, which a continuous table cannot show), and of the best single lognormal."""

    table: float
    at_resolution: float
    lognormal: float

    def text(self) -> str:
        return f"KS {self.at_resolution:.4f} at the trace's resolution, {self.table:.4f} unrounded"


def table_ks(
    name: str, table: QuantileTable, data: FArray, seed: int, resolution: float = 1.0
) -> Ks:
    rng = np.random.default_rng(seed)
    model = table.sample(rng.random(CHECK_DRAWS))
    pos = data[data > 0]
    mu, sd = float(np.log(pos).mean()), float(np.log(pos).std())
    ks = Ks(
        table=ks_2samp(model, data),
        at_resolution=ks_2samp(np.round(model / resolution) * resolution, data),
        lognormal=ks_2samp(np.exp(rng.normal(mu, sd, CHECK_DRAWS)), data),
    )
    errs = []
    for p in (0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
        errs.append(f"p{round(p * 100)} {np.quantile(data, p):.4g}/{np.quantile(model, p):.4g}")
    log(
        f"{name}: n={len(data)} table KS {ks.table:.4f}, at resolution {ks.at_resolution:.4f} "
        f"(lognormal mu={mu:.3f} sd={sd:.3f}: KS {ks.lognormal:.4f}); mean data "
        f"{data.mean():.4g} table {table.mean:.4g}; quantiles data/table: {', '.join(errs)}"
    )
    return ks


# --------------------------------------------------------------------------- fits


@dataclass(frozen=True)
class ArrivalFit:
    rate_per_h: float
    table: tuple[float, ...]
    ks: Ks
    cv: float
    gaps: int
    days: float
    lag1: float


@dataclass(frozen=True)
class SizeFit:
    share_p: float
    gpus: tuple[int, ...]
    gpus_p: tuple[float, ...]
    milli: tuple[int, ...]
    milli_p: tuple[float, ...]
    jobs: int


@dataclass(frozen=True)
class DurationFit:
    table: tuple[float, ...]
    ks: Ks
    ks_alibaba: float
    jobs: int
    spearman: float


@dataclass(frozen=True)
class LlmFit:
    per_min: float
    sd: float
    phi: float
    cv: float
    lag1: float
    minutes: int
    requests: int
    prompt: tuple[float, ...]
    output: tuple[float, ...]
    ks_prompt: Ks
    ks_output: Ks
    model_cv: float
    model_lag1: float
    spearman: float


def fit_arrivals(creation: FArray) -> ArrivalFit:
    c = np.sort(creation)
    start = int(np.nonzero(np.diff(c) > DENSE_WINDOW_GAP_S)[0][-1]) + 1
    window = c[start:]
    ia = np.diff(window)
    mean_ia = float(ia.mean())
    normed = ia / mean_ia
    # Arrivals share a second (ties) in 1.6 % of gaps: floor at half the trace's resolution.
    raw = QuantileTable(quantile_table(normed, floor=0.5 / mean_ia))
    table = QuantileTable(round_sig(np.asarray(raw.values) / raw.mean))  # model mean 1
    ks = table_ks("inter-arrival / mean", table, normed, seed=1, resolution=1 / mean_ia)
    cv = float(ia.std() / mean_ia)
    model_cv = float(np.sqrt(table.variance) / table.mean)
    lag1 = float(np.corrcoef(ia[:-1], ia[1:])[0, 1])
    hours = np.bincount(((window % 86_400) // 3600).astype(int), minlength=24)
    fit = ArrivalFit(
        rate_per_h=round(3600.0 / mean_ia, 4),
        table=table.values,
        ks=ks,
        cv=cv,
        gaps=len(ia),
        days=float(window[-1] - window[0]) / 86_400,
        lag1=lag1,
    )
    log(
        f"arrivals: window day {window[0] / 86_400:.1f} to {window[-1] / 86_400:.1f}, "
        f"{len(window)} jobs, {fit.rate_per_h} jobs/h; CV data {cv:.3f} model {model_cv:.3f}; "
        f"lag-1 autocorrelation {lag1:.3f} (not modelled); hour-of-day busiest/quietest "
        f"{hours.max() / hours.min():.2f} (not modelled)"
    )
    return fit


def fit_sizes(gpus: FArray) -> SizeFit:
    n = len(gpus)
    frac = gpus[gpus < 1]
    whole = gpus[gpus >= 1]
    values = sorted({int(g) for g in whole})
    milli, counts = np.unique(np.round(frac * 1000).astype(int), return_counts=True)
    fit = SizeFit(
        share_p=round_sig([len(frac) / n], 6)[0],
        gpus=tuple(values),
        gpus_p=round_sig([float((whole == v).sum()) / n for v in values], 6),
        milli=tuple(int(m) for m in milli),
        milli_p=round_sig(counts / counts.sum(), 6),
        jobs=n,
    )
    shown = ", ".join(f"{v}: {p:.4f}" for v, p in zip(fit.gpus, fit.gpus_p, strict=True))
    log(f"sizes: share {fit.share_p:.4f}, {shown}; mean GPUs per job {gpus.mean():.4f}")
    return fit


def fit_durations(philly: FArray, alibaba: FArray, gpus: FArray) -> DurationFit:
    # Two of 83,154 Philly jobs ran 0 s: floor at 1 s.
    table = QuantileTable(quantile_table(philly, floor=1.0))
    ks = table_ks("philly duration", table, philly, seed=3)
    own = QuantileTable(quantile_table(alibaba, floor=1.0))
    table_ks("alibaba duration (own table, not shipped)", own, alibaba, seed=4)
    rng = np.random.default_rng(5)
    ks_ali = ks_2samp(table.sample(rng.random(CHECK_DRAWS)), alibaba)
    rho = spearman(gpus, alibaba)
    medians = {
        label: float(np.median(alibaba[mask]))
        for label, mask in (("share", gpus < 1), ("1", gpus == 1), ("2-8", gpus > 1))
    }
    log(
        f"durations: Philly table vs Alibaba pods KS={ks_ali:.4f}; Alibaba Spearman(size, "
        f"duration)={rho:.4f}; Alibaba median duration by size {medians}"
    )
    return DurationFit(table.values, ks, ks_ali, len(philly), rho)


def hour_stats(minutes: int, per_min: float, sd: float, phi: float) -> tuple[float, float]:
    """Mean minute CV and lag-1 autocorrelation of request counts over CHECK_RUNS runs
    of ``minutes`` minutes."""
    cvs, lags = [], []
    for seed in range(CHECK_RUNS):
        c = _request_counts(np.random.default_rng(seed), minutes, per_min, sd, phi)
        c = c.astype(np.float64)
        cvs.append(c.std() / c.mean())
        lags.append(np.corrcoef(c[:-1], c[1:])[0, 1])
    return float(np.mean(cvs)), float(np.mean(lags))


def fit_llm(t: FArray, prompt: FArray, output: FArray) -> LlmFit:
    full = int(t.max() // 60)  # whole minutes; the last, partial one is left out
    counts = np.bincount((t // 60).astype(int), minlength=full + 1)[:full].astype(np.float64)
    per_min = float(counts.mean())
    cv = float(counts.std() / per_min)
    lag1 = float(np.corrcoef(counts[:-1], counts[1:])[0, 1])
    y = np.log(counts)
    # log(count) = log(rate) + Poisson noise of variance about 1/count (delta method).
    var_rate = max(float(y.var()) - float((1 / counts).mean()), 1e-6)
    acov1 = float(np.mean((y[:-1] - y.mean()) * (y[1:] - y.mean())))
    sd = float(np.sqrt(var_rate))
    phi = float(np.clip(acov1 / var_rate, 0.0, 0.99))
    m_cv, m_lag = hour_stats(full, per_min, round(sd, 4), round(phi, 4))
    log(
        f"azure rate: {full} whole minutes, {per_min:.2f} requests/min, minute CV {cv:.3f}, "
        f"lag-1 autocorrelation {lag1:.3f}; log-rate sd {sd:.4f}, AR(1) phi {phi:.4f}; "
        f"{full}-minute runs of the model: CV {m_cv:.3f}, lag-1 {m_lag:.3f} "
        f"(means over {CHECK_RUNS} runs)"
    )
    p_table = QuantileTable(quantile_table(prompt, floor=1.0))
    o_table = QuantileTable(quantile_table(output, floor=1.0))
    fit = LlmFit(
        per_min=round(per_min, 3),
        sd=round(sd, 4),
        phi=round(phi, 4),
        cv=cv,
        lag1=lag1,
        minutes=full,
        requests=len(t),
        prompt=p_table.values,
        output=o_table.values,
        ks_prompt=table_ks("azure prompt tokens", p_table, prompt, seed=6),
        ks_output=table_ks("azure output tokens", o_table, output, seed=7),
        spearman=spearman(prompt, output),
        model_cv=m_cv,
        model_lag1=m_lag,
    )
    log(f"azure tokens: Spearman(prompt, output) {fit.spearman:.4f} (not modelled)")
    return fit


# --------------------------------------------------------------------------- printing


def fmt_tuple(name: str, values: Sequence[float | int], per_line: int = 8) -> str:
    items = [repr(v) for v in values]
    rows = [
        "    " + ", ".join(items[i : i + per_line]) + "," for i in range(0, len(items), per_line)
    ]
    return f"{name} = (\n" + "\n".join(rows) + "\n)"


def comment(text: str) -> str:
    return textwrap.fill(text, width=99, initial_indent="# ", subsequent_indent="# ")


def render(date: str, arr: ArrivalFit, sizes: SizeFit, dur: DurationFit, llm: LlmFit) -> str:
    crit = ks_critical(dur.jobs, 20_000)
    blocks = [
        "# --- BEGIN FITTED PARAMETERS (generated by tools/fit_synthetic.py; do not edit) ---",
        f"FITTED_ON = {date!r}",
        "",
        comment(
            "Job inter-arrival times divided by their mean (the table's mean is exactly 1). "
            f"Alibaba GPU 2023 (openb_pod_list_default.csv): the {arr.gaps} gaps between GPU "
            f"pods created after the trace's last gap of over a day ({arr.days:.1f} days). "
            f"Quantile table: {arr.ks.text()}, lognormal {arr.ks.lognormal:.4f}; CV "
            f"{arr.cv:.3f}. The gaps' lag-1 autocorrelation ({arr.lag1:.2f}) and the daily "
            "cycle are not modelled: arrivals are a renewal process."
        ),
        fmt_tuple("JOB_INTERARRIVAL_REL", arr.table),
        comment(
            "Alibaba's arrival rate in that window; used when neither rate nor fleet is given."
        ),
        f"JOB_RATE_PER_H = {arr.rate_per_h!r}",
        "",
        comment(
            f"Job sizes: Alibaba GPU 2023, the {sizes.jobs} scheduled GPU pods (num_gpu > 0). "
            "Frequencies of a share of one GPU (num_gpu 1, gpu_milli < 1000) and of each "
            "whole number of GPUs."
        ),
        f"SIZE_SHARE_P = {sizes.share_p!r}",
        f"SIZE_GPUS = {sizes.gpus!r}",
        f"SIZE_GPUS_P = {sizes.gpus_p!r}",
        comment(
            "The share fractional jobs ask for: gpu_milli (thousandths of a GPU), frequencies."
        ),
        fmt_tuple("SHARE_MILLI", sizes.milli, per_line=12),
        fmt_tuple("SHARE_MILLI_P", sizes.milli_p),
        "",
        comment(
            f"Job durations, seconds: Philly 2017 (philly_runtime.csv), {dur.jobs} jobs, floor "
            f"1 s. Quantile table: {dur.ks.text()}, lognormal {dur.ks.lognormal:.4f}; a "
            f"two-sample KS test of 20,000 draws against the trace rejects (alpha = 0.001) only "
            f"above {crit:.4f}. Against Alibaba's pod durations: KS {dur.ks_alibaba:.4f}. Size "
            "and duration are drawn independently: their Spearman correlation in Alibaba's "
            f"trace is {dur.spearman:.4f}."
        ),
        fmt_tuple("DURATION_S", dur.table),
        "",
        comment(
            f"LLM requests: Azure LLM 2023 (AzureLLMInferenceTrace_conv.csv), {llm.requests} "
            f"requests; rate over its {llm.minutes} whole minutes. Requests in a minute are "
            "Poisson around mean x exp(x - sd^2 / 2), x a stationary AR(1) with sd and phi "
            "estimated from log(count) less its Poisson noise. Trace: minute CV "
            f"{llm.cv:.3f}, lag-1 autocorrelation {llm.lag1:.3f}; {llm.minutes}-minute model "
            f"runs: {llm.model_cv:.3f} and {llm.model_lag1:.3f} on average (the rest is the "
            "trace hour's rise and fall, which one hour cannot tell from a longer cycle)."
        ),
        f"LLM_REQUESTS_PER_MIN = {llm.per_min!r}",
        f"LLM_LOG_RATE_SD = {llm.sd!r}",
        f"LLM_LOG_RATE_PHI = {llm.phi!r}",
        comment(
            f"Prompt tokens per request, quantile table: {llm.ks_prompt.text()}, lognormal "
            f"{llm.ks_prompt.lognormal:.4f}."
        ),
        fmt_tuple("PROMPT_TOKENS", llm.prompt),
        comment(
            f"Output tokens per request, quantile table: {llm.ks_output.text()}, lognormal "
            f"{llm.ks_output.lognormal:.4f}. Their Spearman correlation with prompt tokens "
            f"({llm.spearman:.3f}) is not modelled."
        ),
        fmt_tuple("OUTPUT_TOKENS", llm.output),
        "# --- END FITTED PARAMETERS ---",
    ]
    return "\n".join(blocks)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("traces", type=Path, help="the traces folder (e.g. ../shared/data/traces)")
    today_utc = dt.datetime.now(dt.UTC).date().isoformat()
    parser.add_argument(
        "--date", default=today_utc, help="date in the header (default: today, UTC)"
    )
    args = parser.parse_args(argv)
    root: Path = args.traces
    for rel in (ALIBABA, PHILLY, AZURE):
        if not (root / rel).is_file():
            parser.error(f"{root / rel} not found")

    ali = read_alibaba(root / ALIBABA)
    philly = read_philly(root / PHILLY)
    t, prompt, output = read_azure(root / AZURE)

    arr = fit_arrivals(ali["creation"])
    sizes = fit_sizes(ali["gpus"])
    dur = fit_durations(philly, ali["deletion"] - ali["scheduled"], ali["gpus"])
    llm = fit_llm(t, prompt, output)
    print(render(args.date, arr, sizes, dur, llm))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
