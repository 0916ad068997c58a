"""Azure's LLM inference trace 2023 (``AzureLLMInferenceTrace_conv.csv``) as demand per minute
(``azure-llm-2023``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from stargate.domain.limits import EARLIEST_INSTANT, LATEST_INSTANT, check_instant
from stargate.errors import InputError, Problem
from stargate.sim.traces.cells import count_cell
from stargate.sim.traces.csvreader import BadCell, Reader, clip
from stargate.sim.traces.paths import default_path
from stargate.sim.traces.spec import AZURE_PARAMS
from stargate.sim.traces.units import MINUTES_PER_YEAR, SECONDS_PER_MINUTE
from stargate.sim.workload import MAX_DEMAND_MINUTES, FArray, InferenceDemand

#: The most tokens of one request of an inference trace (the longest contexts are ~10⁷).
MAX_TOKENS_PER_REQUEST = 10**9
#: Workload class of the Azure LLM inference trace.
INFERENCE_CLASS = "chatgpt-inference"

AZURE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")


_EPOCH = datetime(1970, 1, 1)


_FIRST_S = (EARLIEST_INSTANT - _EPOCH).total_seconds()
_LAST_S = (LATEST_INSTANT - _EPOCH).total_seconds()
_TIMESTAMP_EXPECTED = (
    "an ISO date and time such as 2023-11-16 18:15:46.6805900, from "
    f"{EARLIEST_INSTANT.year} to {LATEST_INSTANT.year - 1}"
)


def _timestamp(text: str) -> float:
    """Seconds since 1970 of one ISO timestamp (UTC when it has an offset)."""
    try:
        t = datetime.fromisoformat(text)
        if t.tzinfo is not None:
            t = t.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise BadCell(
            "TIMESTAMP", "not a date and time", _TIMESTAMP_EXPECTED, clip(repr(text), 60)
        ) from None
    try:
        check_instant(t)
    except ValueError as exc:
        raise BadCell("TIMESTAMP", str(exc), _TIMESTAMP_EXPECTED, repr(text)) from None
    return (t - _EPOCH).total_seconds()


def _parse_timestamps(texts: list[str]) -> FArray | None:
    """Seconds since 1970 of plain ISO timestamps (``YYYY-MM-DD HH:MM:SS[.f]``), parsed at
    once by numpy; None when any is not of that form or outside the representable years (the
    caller then parses one by one, locating the bad ones)."""
    import warnings

    if any(len(t) < 19 for t in texts):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a time-zone offset: leave it to fromisoformat
            # microseconds: numpy's nanoseconds would wrap round silently outside 1678–2262
            stamps = np.array(texts, dtype="datetime64[us]")
    except (ValueError, OverflowError, DeprecationWarning, UserWarning):
        return None
    if np.isnat(stamps).any():
        return None
    seconds = stamps.astype(np.int64) / 1e6
    if len(seconds) and (seconds.min() < _FIRST_S or seconds.max() > _LAST_S):
        return None
    out: FArray = seconds
    return out


def load_azure_demand(
    path: str | Path | None = None,
    *,
    scale: float = 1.0,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    data_dir: str | Path | None = None,
) -> InferenceDemand:
    """``azure-llm-2023``: Azure's LLM inference trace (``AzureLLMInferenceTrace_conv.csv``:
    ``TIMESTAMP, ContextTokens, GeneratedTokens``, one row per request) as demand per minute.

    Minute *m* holds the requests with ``m*60 ≤ t - t0 < (m+1)*60`` seconds, ``t0`` the
    earliest timestamp (rows need not be sorted). Per minute: prompt tokens/s and output
    tokens/s are the minute's ``ContextTokens`` and ``GeneratedTokens`` summed and divided by
    60 (so the last, partial minute is averaged over a whole minute too), and
    ``requests_per_min`` counts requests. ``scale`` multiplies the demand (tokens exactly,
    requests rounded to whole numbers). Timestamps with an offset are converted to UTC; without
    one they are taken as written. Class ``chatgpt-inference``.
    """
    scale = AZURE_PARAMS["scale"].convert("azure-llm-2023", "scale", scale)
    p = (
        Path(path)
        if path is not None
        else default_path("azure-llm-2023", "AzureLLMInferenceTrace_conv.csv", data_dir)
    )
    reader = Reader(
        p,
        AZURE_COLUMNS,
        what="an Azure LLM inference trace",
        skip_bad_rows=skip_bad_rows,
        warnings=warnings,
    )
    i_t, i_p, i_o = (reader.index[c] for c in AZURE_COLUMNS)
    lines: list[int] = []
    texts: list[str] = []
    prompt: list[int] = []
    output: list[int] = []
    for row in reader.rows():
        try:
            ctx = count_cell(row, i_p, "ContextTokens", limit=MAX_TOKENS_PER_REQUEST)
            gen = count_cell(row, i_o, "GeneratedTokens", limit=MAX_TOKENS_PER_REQUEST)
        except BadCell as bad:
            reader.bad(reader.cell_problem(bad))
            continue
        lines.append(reader.line)
        texts.append(row[i_t].strip())
        prompt.append(ctx)
        output.append(gen)
    seconds = _parse_timestamps(texts)
    keep: list[int] = list(range(len(texts)))
    if seconds is None:  # some timestamp is not plain ISO: parse one by one, locating errors
        keep = []
        values: list[float] = []
        for k, (line, text) in enumerate(zip(lines, texts, strict=True)):
            try:
                values.append(_timestamp(text))
            except BadCell as bad:
                reader.bad(reader.cell_problem(bad, line=line))
                continue
            keep.append(k)
        seconds = np.asarray(values, dtype=np.float64)
        prompt = [prompt[k] for k in keep]
        output = [output[k] for k in keep]
    skipped: dict[str, int] = {}
    reader.finish(skipped)
    if not len(seconds):
        raise InputError(
            Problem(
                "no requests in the trace",
                file=str(p),
                expected="at least one row after the header",
            )
        )
    offsets = seconds - seconds.min()
    span_min = float(offsets.max()) / SECONDS_PER_MINUTE
    if span_min >= MAX_DEMAND_MINUTES:
        first, last = int(np.argmin(seconds)), int(np.argmax(seconds))
        line_of = lines if len(lines) == len(seconds) else [lines[k] for k in keep]
        raise InputError(
            Problem(
                f"the trace spans {span_min / MINUTES_PER_YEAR:,.1f} years: more minutes of demand "
                f"than Stargate represents (at most {MAX_DEMAND_MINUTES:,}, 10 years)",
                file=str(p),
                line=line_of[last],
                path="TIMESTAMP",
                expected="timestamps within 10 years of the earliest",
                found=f"the earliest on line {line_of[first]}, the latest on line {line_of[last]}",
            )
        )
    minute = (offsets // float(SECONDS_PER_MINUTE)).astype(np.int64)
    n = int(minute.max()) + 1
    prompt_per_s = (
        np.bincount(minute, weights=np.asarray(prompt, np.float64), minlength=n)
        / SECONDS_PER_MINUTE
    )
    output_per_s = (
        np.bincount(minute, weights=np.asarray(output, np.float64), minlength=n)
        / SECONDS_PER_MINUTE
    )
    requests = np.bincount(minute, minlength=n).astype(np.int64)
    if scale != 1.0:
        prompt_per_s *= scale
        output_per_s *= scale
        requests = np.rint(requests * scale).astype(np.int64)
    return InferenceDemand(
        prompt_tokens_per_s=prompt_per_s,
        output_tokens_per_s=output_per_s,
        requests_per_min=requests,
        workload_class=INFERENCE_CLASS,
        source=str(p),
        skipped=skipped,
    )
