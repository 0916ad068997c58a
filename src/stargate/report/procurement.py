"""The capacity requests table, one for the simulation and the plan reports: one row per part
of a capacity decision (a reservation, or a part left with nobody), with the ROFR's verdict."""

from __future__ import annotations

from collections.abc import Sequence

from stargate.broker.capacity import ProcurementRecord
from stargate.report.html import Col, num, plural, table, usd

#: The ROFR's verdict on a row, in words.
PROCUREMENT_VERDICTS = {
    "accepted": "accepted by the holder",
    "declined": "declined by the holder",
    "expired": "offer expired (no answer)",
    "released_unmet": "released at once (holder could not meet)",
    "not_in_scope": "not in the ROFR's scope",
}

_SOURCES = {"scheduled": "record", "demand": "demand", "request": "request"}


def procurement_table(rows: Sequence[ProcurementRecord], empty: str) -> str:
    """The table under its heading (folded away above 40 rows), or ``empty`` when none."""
    if not rows:
        return f"<h3>Capacity requests</h3><p>{empty}</p>"
    out = [
        (
            f"{r.request} ({r.date})",
            _SOURCES.get(r.source, r.source),
            f"{r.provider} / {r.site}" if r.placed else "nobody",
            r.accelerator or "—",
            num(r.accelerators),
            num(r.reference_accelerators),
            f"{r.power_mw:,.1f}",
            f"{r.term_start} – {r.term_end}",
            usd(float(r.price_usd_per_accelerator_hour))
            if r.price_usd_per_accelerator_hour is not None
            else "—",
            r.reason or PROCUREMENT_VERDICTS.get(r.rofr, r.rofr),  # a reason names its verdict
            r.decided_by,
        )
        for r in rows
    ]
    cols = [
        Col("request (decided)"),
        Col("for"),
        Col("placed with"),
        Col("type"),
        Col("accelerators", True),
        Col("reference", True),
        Col("MW", True),
        Col("term"),
        Col("per accelerator-hour", True),
        Col("ROFR"),
        Col("decided by"),
    ]
    n_req = len({r.request for r in rows})
    caption = (
        f"{plural(n_req, 'capacity request')} in {plural(len(rows), 'row')}: one per part "
        "placed with a provider (a reservation) or left with nobody; 'record' is a dated "
        "request of the scenario, 'demand' a top-up"
    )
    tab = table(cols, out, caption)
    if len(rows) > 40:
        return (
            f"<h3>Capacity requests</h3><details><summary>All {num(len(rows))} rows"
            f"</summary>{tab}</details>"
        )
    return "<h3>Capacity requests</h3>" + tab
