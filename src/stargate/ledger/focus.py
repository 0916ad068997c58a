"""The ledger's charges as a FOCUS 1.2 cost and usage dataset (CSV or Parquet):
``stargate ledger export --format focus OUT``. docs/ledger.md "FOCUS export" says how each
column is filled; the rules in short:

* a month of a **reservation** (take-or-pay, billed monthly) is three rows under one
  ``CommitmentDiscountId``: the recurring **Purchase** (``BilledCost`` = the month's committed
  amount, ``EffectiveCost`` 0: it covers the month's usage), and two **Usage** rows,
  ``CommitmentDiscountStatus`` ``Used`` (``EffectiveCost`` = the used amount) and ``Unused``
  (the idle amount), both ``BilledCost`` 0. So per commitment the Usage rows' EffectiveCost add
  up to the Purchase's BilledCost (FOCUS's rule), and nothing is counted twice: the
  BilledCost total is what the ledger's charges bill, the EffectiveCost total what they cost
  amortised;
* a month of the lab's **own capacity** is one Usage row without a commitment (billed and
  effective cost = its cost, the used and idle parts in ``x_`` columns);
* a **commitment shortfall** (a committed-spend clause's true-up) is an ``Adjustment``;
* ``ListCost`` = ``ListUnitPrice`` × ``PricingQuantity`` (the price rule's on-demand price for
  usage; an unused commitment and a purchase are listed at the commitment's own price, so no
  saving is claimed on idle capacity), ``ContractedCost`` = ``ContractedUnitPrice`` ×
  ``PricingQuantity``, each to the cent (FOCUS's "MUST match", within half a cent of the
  unrounded product);
* periods are ``[start, end)`` in UTC (``2025-02-01T00:00:00Z`` ends January).

Columns Stargate adds are prefixed ``x_`` (FOCUS's custom columns): the run, the ledger entry,
the site, accelerator type, workload class, reservation, ROFR offer, and provenance.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

from stargate.errors import InputError, Problem
from stargate.ledger.entry import Entry

FOCUS_VERSION = "1.2"
CURRENCY = "USD"
PRICING_UNIT = "Accelerator-Hours"
CENT = Decimal("0.01")
#: Decimal places of quantities and unit prices (Parquet's decimal scale).
SCALE = 10
_Q = Decimal(1).scaleb(-SCALE)

Kind = Literal["decimal", "datetime", "string"]

#: FOCUS 1.2 columns written (the mandatory ones, the conditional ones that apply to capacity
#: bought from providers, and the recommended ChargeFrequency, InvoiceId and
#: ServiceSubcategory), then Stargate's ``x_`` columns. Name → kind.
FOCUS_COLUMNS: dict[str, Kind] = {
    "BilledCost": "decimal",
    "BillingAccountId": "string",
    "BillingAccountName": "string",
    "BillingAccountType": "string",
    "BillingCurrency": "string",
    "BillingPeriodEnd": "datetime",
    "BillingPeriodStart": "datetime",
    "CapacityReservationId": "string",
    "CapacityReservationStatus": "string",
    "ChargeCategory": "string",
    "ChargeClass": "string",
    "ChargeDescription": "string",
    "ChargeFrequency": "string",
    "ChargePeriodEnd": "datetime",
    "ChargePeriodStart": "datetime",
    "CommitmentDiscountCategory": "string",
    "CommitmentDiscountId": "string",
    "CommitmentDiscountName": "string",
    "CommitmentDiscountQuantity": "decimal",
    "CommitmentDiscountStatus": "string",
    "CommitmentDiscountType": "string",
    "CommitmentDiscountUnit": "string",
    "ConsumedQuantity": "decimal",
    "ConsumedUnit": "string",
    "ContractedCost": "decimal",
    "ContractedUnitPrice": "decimal",
    "EffectiveCost": "decimal",
    "InvoiceId": "string",
    "InvoiceIssuerName": "string",
    "ListCost": "decimal",
    "ListUnitPrice": "decimal",
    "PricingCategory": "string",
    "PricingQuantity": "decimal",
    "PricingUnit": "string",
    "ProviderName": "string",
    "PublisherName": "string",
    "RegionId": "string",
    "RegionName": "string",
    "ResourceId": "string",
    "ResourceName": "string",
    "ResourceType": "string",
    "ServiceCategory": "string",
    "ServiceName": "string",
    "ServiceSubcategory": "string",
    "SkuId": "string",
    "SkuMeter": "string",
    "SkuPriceDetails": "string",
    "SkuPriceId": "string",
    "SubAccountId": "string",
    "SubAccountName": "string",
    "SubAccountType": "string",
    "Tags": "string",
}
X_COLUMNS: dict[str, Kind] = {
    "x_RunId": "string",
    "x_LedgerEntryId": "string",
    "x_ChargeType": "string",
    "x_Site": "string",
    "x_Accelerator": "string",
    "x_WorkloadClass": "string",
    "x_ReservationId": "string",
    "x_RofrOfferId": "string",
    "x_HeldKind": "string",
    "x_CommittedCost": "decimal",
    "x_UsedCost": "decimal",
    "x_IdleCost": "decimal",
    "x_UsedAcceleratorHours": "decimal",
    "x_CommitmentClauseId": "string",
    "x_ScenarioId": "string",
    "x_ScenarioSha256": "string",
    "x_StargateVersion": "string",
    "x_Seed": "string",
}
COLUMNS: dict[str, Kind] = {**FOCUS_COLUMNS, **X_COLUMNS}


def _money(v: Any) -> Decimal:
    return Decimal(str(v)).quantize(CENT, rounding=ROUND_HALF_UP)


def _qty(v: Any) -> Decimal:
    return Decimal(str(v)).quantize(_Q, rounding=ROUND_HALF_UP).normalize() + 0


def _day(v: Any) -> datetime:
    d = date.fromisoformat(str(v))
    return datetime(d.year, d.month, d.day)


@dataclass(frozen=True)
class Totals:
    """What the ledger's charges bill and cost amortised (``billed_cost_usd`` and
    ``effective_cost_usd`` summed over the ``charge`` entries)."""

    billed_usd: Decimal
    effective_usd: Decimal
    charges: int


def ledger_totals(entries: Iterable[Entry]) -> Totals:
    billed = effective = Decimal(0)
    n = 0
    for e in entries:
        if e.kind != "charge":
            continue
        n += 1
        billed += Decimal(str(e.body["billed_cost_usd"]))
        effective += Decimal(str(e.body["effective_cost_usd"]))
    return Totals(billed, effective, n)


def _base(e: Entry, b: dict[str, Any]) -> dict[str, Any]:
    """The columns every row of entry ``e`` shares."""
    prov = e.provenance
    buyer = str(b.get("buyer") or e.actor)
    provider = b.get("provider")
    seller = b.get("seller") or provider or "unknown"
    return {
        "BillingAccountId": f"{buyer}@{seller}",
        "BillingAccountName": f"{buyer} at {seller}",
        "BillingAccountType": "Customer",
        "BillingCurrency": CURRENCY,
        "BillingPeriodStart": _day(b["billing_period_start"]),
        "BillingPeriodEnd": _day(b["billing_period_end_exclusive"]),
        "ChargeClass": None,
        "InvoiceId": None,  # a simulated run has no invoice (FOCUS: null when none)
        "InvoiceIssuerName": str(seller),
        "ProviderName": str(provider or seller),
        "PublisherName": str(provider or seller),
        "RegionId": b.get("site"),
        "RegionName": b.get("site"),
        "ServiceCategory": "Compute",
        "ServiceSubcategory": "Virtual Machines",
        "ServiceName": "Accelerator capacity",
        "SubAccountId": None,
        "SubAccountName": None,
        "SubAccountType": None,
        "SkuPriceId": None,
        "SkuMeter": None,
        "SkuPriceDetails": None,
        "Tags": None,
        "x_RunId": e.run_id,
        "x_LedgerEntryId": e.id,
        "x_ChargeType": b.get("charge_type"),
        "x_Site": b.get("site"),
        "x_Accelerator": b.get("accelerator"),
        "x_WorkloadClass": b.get("workload_class"),
        "x_ScenarioId": prov.get("scenario_id"),
        "x_ScenarioSha256": prov.get("scenario_sha256"),
        "x_StargateVersion": prov.get("stargate_version"),
        "x_Seed": None if prov.get("seed") is None else str(prov.get("seed")),
    }


def _blank() -> dict[str, Any]:
    return dict.fromkeys(COLUMNS)


def focus_rows(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """The FOCUS rows of the ``charge`` entries among ``entries``, in ledger order (other
    kinds are skipped: reservations and draw-downs bill nothing of their own)."""
    rows: list[dict[str, Any]] = []
    for e in entries:
        if e.kind != "charge":
            continue
        b = e.body
        base = _base(e, b)
        if b.get("charge_type") == "commitment_shortfall":
            amount = _money(b["billed_cost_usd"])
            row = {
                **_blank(),
                **base,
                "BilledCost": amount,
                "EffectiveCost": _money(b["effective_cost_usd"]),
                "ListCost": _money(b["list_cost_usd"]),
                "ContractedCost": _money(b["contracted_cost_usd"]),
                "ChargeCategory": "Adjustment",
                "ChargeFrequency": "One-Time",
                "ChargeDescription": f"Shortfall of committed spend {b['clause_id']} "
                f"(take-or-pay true-up): {b['commitment_usd']} committed, "
                f"{b['drawn_usd']} drawn",
                "ChargePeriodStart": _day(b["period_start"]),
                "ChargePeriodEnd": _day(b["period_end_exclusive"]),
                "ServiceName": "Committed spend",
                "ServiceCategory": "Other",
                "ServiceSubcategory": "Other (Other)",
                "x_CommitmentClauseId": b.get("clause_id"),
            }
            rows.append(row)
            continue
        for part in b.get("parts", []):
            rows.extend(_part_rows(base, b, part))
    return rows


def _part_rows(
    base: dict[str, Any], b: dict[str, Any], part: dict[str, Any]
) -> list[dict[str, Any]]:
    held = str(part["held_id"])
    reservation = part.get("held_kind") == "reservation"
    price = _qty(part["contract_price_usd_per_accelerator_hour"])
    list_price = _qty(part["list_price_usd_per_accelerator_hour"])
    hours_held = _qty(part["accelerator_hours_committed"])
    hours_used = _qty(part["accelerator_hours_used"])
    hours_idle = hours_held - hours_used
    committed = _money(part["committed_usd"])
    used = _money(part["used_usd"])
    idle = _money(part["idle_usd"])
    provider = b.get("provider")
    month = str(b["billing_period_start"])[:7]
    common = {
        **_blank(),
        **base,
        "ChargePeriodStart": _day(part["period_start"]),
        "ChargePeriodEnd": _day(part["period_end_exclusive"]),
        "PricingUnit": PRICING_UNIT,
        "ResourceId": f"{provider}/{b.get('site')}/{held}",
        "ResourceName": held,
        "ResourceType": "Reservation" if reservation else "Owned capacity",
        "SkuId": f"{provider}/{b.get('accelerator')}",
        "SkuMeter": "Accelerator hours",
        "SkuPriceId": f"{provider}/{b.get('accelerator')}/{'committed' if reservation else 'own'}",
        "x_ReservationId": part.get("reservation_id"),
        "x_RofrOfferId": part.get("rofr_offer_id"),
        "x_HeldKind": part.get("held_kind"),
        "x_CommittedCost": committed,
        "x_UsedCost": used,
        "x_IdleCost": idle,
        "x_UsedAcceleratorHours": hours_used,
    }
    what = f"{part['accelerators']} {b.get('accelerator')} at {b.get('site')} ({provider}), {month}"
    if not reservation:
        return [
            {
                **common,
                "BilledCost": committed,
                "EffectiveCost": committed,
                "ListUnitPrice": list_price,
                "ListCost": _money(list_price * hours_held),
                "ContractedUnitPrice": price,
                "ContractedCost": committed,
                "PricingQuantity": hours_held,
                "ConsumedQuantity": hours_held,
                "ConsumedUnit": PRICING_UNIT,
                "ChargeCategory": "Usage",
                "ChargeFrequency": "Usage-Based",
                "PricingCategory": "Other",
                "ChargeDescription": f"Own capacity {held}: {what}, at cost "
                f"({used} used, {idle} idle)",
                "InvoiceIssuerName": str(b.get("buyer") or base["InvoiceIssuerName"]),
            }
        ]
    commitment = {
        "CommitmentDiscountId": f"stargate:{provider}:reservation/{held}",
        "CommitmentDiscountName": held,
        "CommitmentDiscountType": "Reservation",
        "CommitmentDiscountCategory": "Usage",
        "CommitmentDiscountUnit": PRICING_UNIT,
        "CapacityReservationId": f"stargate:{provider}:reservation/{held}",
        "PricingCategory": "Committed",
    }
    out = [
        {
            **common,
            **commitment,
            "BilledCost": committed,
            "EffectiveCost": Decimal("0.00"),
            "ListUnitPrice": price,
            "ListCost": committed,
            "ContractedUnitPrice": price,
            "ContractedCost": committed,
            "PricingQuantity": hours_held,
            "CommitmentDiscountQuantity": hours_held,
            "ChargeCategory": "Purchase",
            "ChargeFrequency": "Recurring",
            "ChargeDescription": f"Reservation {held}: {what}, take-or-pay, billed monthly",
        }
    ]
    if used or hours_used:
        out.append(
            {
                **common,
                **commitment,
                "BilledCost": Decimal("0.00"),
                "EffectiveCost": used,
                "ListUnitPrice": list_price,
                "ListCost": _money(list_price * hours_used),
                "ContractedUnitPrice": price,
                "ContractedCost": used,
                "PricingQuantity": hours_used,
                "ConsumedQuantity": hours_used,
                "ConsumedUnit": PRICING_UNIT,
                "CommitmentDiscountQuantity": hours_used,
                "CommitmentDiscountStatus": "Used",
                "CapacityReservationStatus": "Used",
                "ChargeCategory": "Usage",
                "ChargeFrequency": "Usage-Based",
                "ChargeDescription": f"Use of reservation {held}: {what}",
            }
        )
    if idle or hours_idle:
        out.append(
            {
                **common,
                **commitment,
                "BilledCost": Decimal("0.00"),
                "EffectiveCost": idle,
                "ListUnitPrice": price,
                "ListCost": idle,
                "ContractedUnitPrice": price,
                "ContractedCost": idle,
                "PricingQuantity": hours_idle,
                "CommitmentDiscountQuantity": hours_idle,
                "CommitmentDiscountStatus": "Unused",
                "CapacityReservationStatus": "Unused",
                "ChargeCategory": "Usage",
                "ChargeFrequency": "Usage-Based",
                "ChargeDescription": f"Unused part of reservation {held}: {what}",
            }
        )
    return out


def _text(value: Any, kind: Kind) -> str:
    """A cell as CSV text: decimals in plain notation, instants as ``YYYY-MM-DDTHH:mm:ssZ``,
    null as the empty string."""
    if value is None:
        return ""
    if kind == "datetime":
        assert isinstance(value, datetime)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "decimal":
        text = format(Decimal(value), "f")
        return text if "." in text else text + ".0"  # a decimal, also to readers that guess
    return str(value)


def _write_csv(rows: Sequence[dict[str, Any]], f: Any) -> None:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(list(COLUMNS))
    for row in rows:
        w.writerow([_text(row.get(c), k) for c, k in COLUMNS.items()])


def _write_parquet(rows: Sequence[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    types = {
        "decimal": pa.decimal128(38, SCALE),
        "datetime": pa.timestamp("ms", tz="UTC"),  # Parquet has no unit of seconds
        "string": pa.string(),
    }
    arrays = []
    for c, k in COLUMNS.items():
        values = [row.get(c) for row in rows]
        if k == "decimal":
            values = [None if v is None else Decimal(v).quantize(_Q) for v in values]
        arrays.append(pa.array(values, type=types[k]))
    table = pa.Table.from_arrays(arrays, names=list(COLUMNS))
    meta = {b"focus_version": FOCUS_VERSION.encode(), b"generator": b"stargate"}
    pq.write_table(table.replace_schema_metadata(meta), path)


def format_of(path: Path) -> Literal["csv", "parquet"]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise InputError(
        Problem(
            f"cannot tell the file format of {path}",
            path="OUT",
            expected="a name ending in .csv or .parquet",
        )
    )


def write_focus(rows: Sequence[dict[str, Any]], out: Path) -> None:
    """Write ``rows`` to ``out`` (CSV or Parquet by its suffix) through a temporary file in
    the same folder, replaced into place at the end: an unwritable path is an
    :class:`InputError` and leaves nothing behind; an existing file is replaced whole."""
    fmt = format_of(out)
    folder = out.parent
    if not folder.is_dir():
        raise InputError(Problem(f"no folder {folder} to write {out.name} in", path="OUT"))
    tmp = folder / f".{out.name}.tmp-{os.getpid()}"
    try:
        if fmt == "csv":
            with open(tmp, "x", encoding="utf-8", newline="") as f:
                _write_csv(rows, f)
                f.flush()
                os.fsync(f.fileno())
        else:
            _write_parquet(rows, tmp)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(
            Problem(f"cannot write {out}: {exc.strerror or exc}", path="OUT")
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Export:
    """What an export wrote: rows, the run, and the totals (exported and the ledger's)."""

    path: Path
    rows: int
    run_id: str | None
    billed_usd: Decimal
    effective_usd: Decimal
    ledger: Totals

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "focus_version": FOCUS_VERSION,
            "rows": self.rows,
            "run_id": self.run_id,
            "billed_cost_usd": str(self.billed_usd),
            "effective_cost_usd": str(self.effective_usd),
            "ledger_billed_usd": str(self.ledger.billed_usd),
            "ledger_effective_usd": str(self.ledger.effective_usd),
            "charges": self.ledger.charges,
        }


def charges_of(ledger: Any, run_id: str | None) -> list[Entry]:
    """The ``charge`` entries of ``run_id`` (None: the live record, entries without a run
    id). An empty selection is an :class:`InputError` that names the runs there are."""
    picked = [
        e
        for e in ledger.entries(kind="charge", run_id=run_id)
        if run_id is not None or e.run_id is None
    ]
    if picked:
        return picked
    runs = sorted({str(e.run_id) for e in ledger.entries(kind="charge") if e.run_id is not None})
    what = f"run '{run_id}'" if run_id is not None else "the live record (entries without a run id)"
    shown = ", ".join(runs[:10]) + (f" and {len(runs) - 10} more" if len(runs) > 10 else "")
    raise InputError(
        Problem(
            f"no charges of {what} in the ledger at {ledger.url}",
            path="--run",
            hint=f"runs with charges: {shown}; give --run RUN"
            if runs
            else "record a run first: stargate simulate ... --db URL",
        )
    )


def export_focus(ledger: Any, out: Path, run_id: str | None = None) -> Export:
    """Export the charges of ``run_id`` (None: the live record) to ``out`` as FOCUS 1.2."""
    format_of(out)  # the name first: nothing is read for a file that cannot be written
    entries = charges_of(ledger, run_id)
    rows = focus_rows(entries)
    totals = ledger_totals(entries)
    billed = sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))
    effective = sum((Decimal(r["EffectiveCost"]) for r in rows), Decimal(0))
    if billed != totals.billed_usd or effective != totals.effective_usd:
        from stargate.errors import InternalError

        raise InternalError(
            f"FOCUS totals {billed}/{effective} differ from the ledger's "
            f"{totals.billed_usd}/{totals.effective_usd}"
        )
    write_focus(rows, out)
    return Export(out, len(rows), run_id, billed, effective, totals)


__all__ = [
    "COLUMNS",
    "FOCUS_COLUMNS",
    "FOCUS_VERSION",
    "X_COLUMNS",
    "Export",
    "Totals",
    "charges_of",
    "export_focus",
    "focus_rows",
    "ledger_totals",
    "write_focus",
]
