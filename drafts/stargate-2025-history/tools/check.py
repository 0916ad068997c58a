"""Hand model of the draft stargate-2025 scenario: what the engines should compute from it.

Reads ../stargate-2025.yaml (and ../openai-demand.csv when --demand is not given) and prints
the expected value of every outcome figure, the implied contract values and the held
reference-accelerator-hours per year. It is a check of the draft's arithmetic, not the engine:
it assumes every dated capacity request is placed, in full, where the record says (the broker's
own decision may differ), holds pools of sites run by the lab (the joint venture) from their
date, and prices each hour by the price rule (contract price, else cost).

    python3 tools/check.py            # the report (markdown tables, used in NOTES.md)
    python3 tools/check.py --demand   # also write ../openai-demand.csv from the calibration
"""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent.parent
SC = yaml.safe_load((HERE / "stargate-2025.yaml").read_text())
OVER = SC["settings"]["server_overhead"]
R_TOK = SC["settings"]["reference_tokens_per_s"]
RATE = SC["settings"]["discount_rate"]
REF_CLASS = SC["settings"]["reference_class"]

ACC = {a["id"]: a for a in SC["accelerators"]}
PROV = {p["id"]: p for p in SC["providers"]}
SITE = {s["id"]: s for s in SC["sites"]}
GROUPS = {g["id"]: g for g in SC["provider_groups"]}
LAB = "openai"


def d(x) -> date:
    return x if isinstance(x, date) else date.fromisoformat(str(x))


def site_of(provider: str, accelerator: str, site: str | None) -> str:
    if site:
        return site
    for row in PROV[provider].get("capacity_model", []):
        if row["accelerator"] == accelerator and row.get("site"):
            return row["site"]
    sites = sorted(s["id"] for s in SC["sites"] if s["provider"] == provider)
    return sites[0]


def price_row(provider: str, site: str, accelerator: str):
    for r in SITE[site].get("prices", []):
        if r["accelerator"] == accelerator:
            return r
    for r in PROV[provider].get("prices", []):
        if r["accelerator"] == accelerator:
            return r
    return None


def crf(r: float, n: float) -> float:
    g = (1 + r) ** n
    return r * g / (g - 1)


def hourly(provider: str, site: str, accelerator: str) -> float:
    row = price_row(provider, site, accelerator)
    if row is not None:
        for c in row.get("contract_prices", []):
            if c["party"] == LAB:
                return float(c["usd_per_accelerator_hour"])
        return float(row.get("reserved_usd_per_accelerator_hour") or row["on_demand_usd_per_accelerator_hour"])
    s = SITE[site]
    c = s["costs"]
    a = ACC[accelerator]
    it_mw = a["tdp_w"] * OVER / 1e6
    unit = c.get("accelerator_unit_price_usd", {}).get(accelerator, a["unit_price_usd"])
    acc = unit * crf(RATE, c["accelerator_life_years"]) / 8760
    fac = c["facility_capex_usd_per_mw"] * it_mw * crf(RATE, c["facility_life_years"]) / 8760
    opex = c["opex_usd_per_mw_year"] * it_mw / 8760
    energy = it_mw * s["pue"] * s.get("energy_price_usd_per_mwh", 0)
    return acc + fac + opex + energy


def kw(accelerator: str, site: str) -> float:
    return ACC[accelerator]["tdp_w"] * OVER * SITE[site]["pue"] / 1000


def thr(accelerator: str, cls: str = REF_CLASS) -> float:
    return float(ACC[accelerator].get("throughput", {}).get(cls, 0.0))


@dataclass
class Hold:
    id: str
    provider: str
    site: str
    accelerator: str
    n: int
    start: date
    end: date
    decided: date
    kind: str  # reservation | request | owned
    agreement: str | None = None
    contract: str | None = None

    def on(self, day: date) -> bool:
        return self.start <= day <= self.end

    def days_in(self, a: date, b: date) -> int:
        lo, hi = max(a, self.start), min(b, self.end)
        return max(0, (hi - lo).days + 1)

    @property
    def price(self) -> float:
        return hourly(self.provider, self.site, self.accelerator)

    @property
    def mw(self) -> float:
        return self.n * kw(self.accelerator, self.site) / 1000


def holds(without: set[str] = frozenset()) -> list[Hold]:
    out = []
    for r in SC.get("reservations", []):
        out.append(Hold(r["id"], r["provider"], site_of(r["provider"], r["accelerator"], r.get("site")),
                        r["accelerator"], r["accelerators"], d(r["term"]["start"]), d(r["term"]["end"]),
                        d(SC["horizon"]["start"]), "reservation"))
    for q in SC.get("capacity_requests", []):
        if q.get("agreement") in without or q.get("contract") in without:
            continue
        (acc,) = q["accelerators"]["types"]
        prov = q["providers"][0]
        site = site_of(prov, acc, (q.get("sites") or [None])[0])
        out.append(Hold(q["id"], prov, site, acc, q["accelerators"]["count"], d(q["term"]["start"]),
                        d(q["term"]["end"]), d(q["date"]), "request", q.get("agreement"), q.get("contract")))
    for s in SC["sites"]:
        p = PROV[s["provider"]]
        if p.get("operator") != LAB:
            continue
        for pool in s.get("pools", []):
            if pool.get("status", "operational") == "planned":
                continue
            out.append(Hold(pool["id"], s["provider"], s["id"], pool["accelerator"], pool["count"],
                            d(pool["available_from"]), d(SC["horizon"]["end"]) + timedelta(days=3650),
                            d(pool["available_from"]), "owned"))
    return out


H = holds()
YEARS = range(2023, 2031)


def year_end(y: int) -> date:
    return date(y, 12, 31)


def held_gw(day: date, hs=H, pred=lambda h: True) -> float:
    return sum(h.mw for h in hs if h.on(day) and pred(h)) / 1000


def held_n(day: date, hs=H) -> int:
    return sum(h.n for h in hs if h.on(day))


def spend(y: int, hs=H, pred=lambda h: True) -> float:
    a, b = date(y, 1, 1), date(y, 12, 31)
    return sum(h.days_in(a, b) * 24 * h.n * h.price for h in hs if pred(h))


def ref_hours(y: int, hs=H, pred=lambda h: True, cls: str = REF_CLASS) -> float:
    a, b = date(y, 1, 1), date(y, 12, 31)
    return sum(h.days_in(a, b) * 24 * h.n * thr(h.accelerator, cls) for h in hs if pred(h))


def in_group(h: Hold, g: str) -> bool:
    grp = GROUPS[g]
    return h.provider in grp["providers"] or h.site in grp["sites"]


def phase_mw_at(site: str, day: date, planned_ok: bool) -> float:
    tot = 0.0
    for ph in SITE[site].get("phases", []):
        ann = d(ph.get("announced", SITE[site].get("announced", "1900-01-01")))
        canc = ph.get("cancelled")
        if ann > day or (canc and d(canc) <= day):
            continue
        if ph.get("status") == "planned" and not planned_ok:
            continue
        tot += ph["power_mw"]
    return tot


def site_planned_mw(site: str, day: date) -> float:
    """Planned (announced, not cancelled) power of a site on a day: its phases."""
    return phase_mw_at(site, day, True)


def site_online_mw(site: str, day: date) -> float:
    return sum(ph["power_mw"] for ph in SITE[site].get("phases", [])
               if d(ph["online"]) <= day and ph.get("status") != "planned" and not ph.get("cancelled"))


def contracted_gw(day: date, scope: str) -> float:
    """Contracted capacity on a day (decided by then, not yet expired): site power for sites
    with phases (counted once per site, announced by then), accelerator power elsewhere."""
    sites_counted = set()
    tot = 0.0
    for h in H:
        if h.decided > day or h.end < day:
            continue
        if scope != "openai" and not (in_group(h, scope) if scope in GROUPS else False):
            continue
        if SITE[h.site].get("phases"):
            sites_counted.add(h.site)
        else:
            tot += h.mw
    if scope in GROUPS:
        for s in GROUPS[scope]["sites"]:
            sites_counted.add(s)
        for s in SC["sites"]:
            if s["provider"] in GROUPS[scope]["providers"] and s.get("phases"):
                sites_counted.add(s["id"])
    if scope == "openai":
        for s in SC["sites"]:
            if PROV[s["provider"]].get("operator") == LAB and s.get("phases"):
                sites_counted.add(s["id"])
    for s in sites_counted:
        tot += site_planned_mw(s, day) if d(SITE[s].get("announced", "1900-01-01")) <= day else 0.0
    return tot / 1000


def supply_extra_gw(day: date) -> float:
    tot = 0.0
    for a in SC.get("supply_agreements", []):
        if d(a["announced"]) > day:
            continue
        covered = sum(SITE[s]["power_capacity_mw"] for s in a["deployed_at"]
                      if d(SITE[s].get("announced", "1900-01-01")) <= day) / 1000
        tot += max(0.0, a["power_gw"] - covered)
    return tot


def contract_value(pred) -> float:
    return sum(h.n * h.price * ((h.end - h.start).days + 1) * 24 for h in H if pred(h))


# ---------------------------------------------------------------------------------- ROFR
def rofr_outcomes():
    """Which dated requests the ROFR would see, and why each goes where it goes."""
    rofr_start, rofr_end = date(2025, 1, 21), date(2025, 10, 28)
    scope = {"frontier-training", "research-training", "chatgpt-inference", "batch-inference"}
    left: dict[tuple[str, str, int], int] = {}
    for i, row in enumerate(PROV["azure"]["capacity_model"]):
        left[(row["accelerator"], row.get("site") or "", i)] = row["accelerators"]
    out = []
    for q in sorted(SC["capacity_requests"], key=lambda q: (d(q["date"]), q["providers"] != ["azure"])):
        day = d(q["date"])
        (acc,) = q["accelerators"]["types"]
        n = q["accelerators"]["count"]
        ts = d(q["term"]["start"])
        rows = [(i, r) for i, r in enumerate(PROV["azure"]["capacity_model"])
                if r["accelerator"] == acc and d(r["start"]) <= ts <= d(r.get("end") or "2100-01-01")]
        if q["providers"] == ["azure"]:
            for i, r in rows:
                k = (acc, r.get("site") or "", i)
                if (q.get("sites") or [r.get("site")])[0] == r.get("site"):
                    take = min(n, left[k])
                    left[k] -= take
                    n -= take
            verdict = "accepted" if rofr_start <= day < rofr_end else ("exclusive" if day < rofr_start else "not_in_scope")
            out.append((q["id"], day, "azure", verdict, ""))
            continue
        if not (rofr_start <= day < rofr_end) or not scope & set(q["workload_classes"]):
            out.append((q["id"], day, q["providers"][0], "not_in_scope", ""))
            continue
        sites = q.get("sites") or []
        if sites and not any(SITE[s]["provider"] == "azure" for s in sites):
            out.append((q["id"], day, q["providers"][0], "released_unmet", f"Azure cannot deliver at {sites[0]}"))
            continue
        avail = sum(left[(acc, r.get("site") or "", i)] for i, r in rows)
        if avail < n:
            out.append((q["id"], day, q["providers"][0], "released_unmet", f"Azure offers {avail} {acc} for a term from {ts}"))
            continue
        ans = (q.get("holder_answer") or {}).get("answer", "accept")
        if ans == "decline":
            price = hourly("azure", "azure-us", acc)
            val = n * price * ((d(q["term"]["end"]) - ts).days + 1) * 24
            out.append((q["id"], day, q["providers"][0], "declined", f"offer value ${val/1e9:.2f}B at ${price}/h"))
        else:
            out.append((q["id"], day, "azure", "accepted (!)", "Azure could meet it"))
    return out


def fmt(x: float, nd: int = 2) -> str:
    return f"{x:,.{nd}f}"


def report() -> None:
    print("## Capacity held at year end (facility GW; accelerators) and spend by year\n")
    print("| year | GW held | accelerators | ref. accelerators | spend $B | of which Azure (own DCs) $B | Azure share (ref-h) | Stargate share (ref-h) |")
    print("|---|---|---|---|---|---|---|---|")
    for y in YEARS:
        ye = year_end(y)
        ref_end = sum(h.n * thr(h.accelerator) for h in H if h.on(ye))
        rh = ref_hours(y)
        az = ref_hours(y, pred=lambda h: h.provider == "azure") / rh if rh else 0
        sg = ref_hours(y, pred=lambda h: in_group(h, "stargate")) / rh if rh else 0
        print(f"| {y} | {fmt(held_gw(ye))} | {held_n(ye):,} | {ref_end:,.0f} | {fmt(spend(y)/1e9, 1)} | "
              f"{fmt(spend(y, pred=lambda h: h.site == 'azure-us')/1e9, 1)} | {az:.2f} | {sg:.2f} |")
    print("\n## Spend by provider and year ($B)\n")
    provs = sorted({h.provider for h in H})
    print("| year | " + " | ".join(provs) + " |")
    print("|---" * (len(provs) + 1) + "|")
    for y in YEARS:
        print(f"| {y} | " + " | ".join(fmt(spend(y, pred=lambda h, p=p: h.provider == p)/1e9, 1) for p in provs) + " |")
    print(f"\ncumulative 2025-2030: ${sum(spend(y) for y in range(2025, 2031))/1e9:,.0f}B; 2026-2030: ${sum(spend(y) for y in range(2026, 2031))/1e9:,.0f}B")
    print("\n## GW held at year end by provider\n")
    print("| year | " + " | ".join(provs) + " |")
    print("|---" * (len(provs) + 1) + "|")
    for y in YEARS:
        print(f"| {y} | " + " | ".join(fmt(held_gw(year_end(y), pred=lambda h, p=p: h.provider == p)) for p in provs) + " |")
    print("\n## Contracted capacity (GW)\n")
    for day, scope in [(date(2025, 7, 22), "oracle"), (date(2025, 9, 23), "stargate"), (date(2025, 10, 28), "openai"),
                       (date(2025, 10, 30), "stargate"), (date(2026, 4, 29), "stargate-platform")]:
        if scope == "oracle":
            v = sum(SITE[s]["power_capacity_mw"] for s in {h.site for h in H if h.contract == "oracle-openai-2025"}) / 1000
            print(f"- {day} oracle-openai-2025 placed requests at their sites' power: {v:.2f} GW")
        elif scope == "openai":
            base = contracted_gw(day, "openai")
            print(f"- {day} openai: contracted {base:.2f} GW + supply agreements not at a site {supply_extra_gw(day):.2f} GW = {base + supply_extra_gw(day):.2f} GW")
        else:
            print(f"- {day} {scope}: {contracted_gw(day, scope):.2f} GW")
    print("\n## Sites\n")
    print(f"- abilene online 2025-09-30: {site_online_mw('abilene', date(2025, 9, 30)):.0f} MW; 2026-04-17: {site_online_mw('abilene', date(2026, 4, 17)):.0f} MW; planned 2026-06-30: {SITE['abilene']['power_capacity_mw']} MW")
    print(f"- abilene-expansion planned 2025-10-01: {site_planned_mw('abilene-expansion', date(2025, 10, 1)):.0f} MW; 2026-03-06: {site_planned_mw('abilene-expansion', date(2026, 3, 6)):.0f} MW")
    print(f"- abilene GB200 pools: {sum(p['count'] for p in SITE['abilene']['pools']):,}")
    print("\n## Implied value of the placed requests ($B, price x accelerators x term hours)\n")
    for name, pred in [
        ("oracle-openai-2025 (4.5 GW)", lambda h: h.contract == "oracle-openai-2025"),
        ("  of which 2027-2031", None),
        ("abilene (to 2030-12-31)", lambda h: h.site == "abilene"),
        ("coreweave-2025-03", lambda h: h.id == "coreweave-2025-03"),
        ("coreweave-2025-05", lambda h: h.id == "coreweave-2025-05"),
        ("coreweave-2025-09", lambda h: h.id == "coreweave-2025-09"),
        ("aws 2025-11 ($38B)", lambda h: h.id.startswith("aws-2025-11")),
        ("aws 2026-02 ($100B)", lambda h: h.id.startswith("aws-2026-02")),
        ("azure, agreement microsoft-openai-2025-10 ($250B)", lambda h: h.agreement == "microsoft-openai-2025-10"),
        ("azure, agreement microsoft-openai-2025-01", lambda h: h.agreement == "microsoft-openai-2025-01"),
        ("google-2025-05", lambda h: h.id == "google-2025-05"),
    ]:
        if pred is None:
            a, b = date(2027, 1, 1), date(2031, 12, 31)
            v = sum(h.days_in(a, b) * 24 * h.n * h.price for h in H if h.contract == "oracle-openai-2025")
        else:
            v = contract_value(pred)
        print(f"- {name}: {v/1e9:,.1f}")
    print("\n## ROFR outcomes of the dated requests (hand model)\n")
    print("| request | date | goes to | ROFR | why |\n|---|---|---|---|---|")
    for rid, day, prov, verdict, why in rofr_outcomes():
        print(f"| {rid} | {day} | {prov} | {verdict} | {why} |")
    print("\n## Hourly prices used\n")
    seen = set()
    for h in H:
        k = (h.provider, h.site, h.accelerator)
        if k not in seen:
            seen.add(k)
            print(f"- {h.provider}/{h.site}/{h.accelerator}: ${h.price:.3f} per accelerator-hour, {kw(h.accelerator, h.site):.3f} kW facility each")
    print("\n## Without agreement microsoft-openai-2025-10 (the $250B requests off)\n")
    H2 = holds({"microsoft-openai-2025-10"})
    for y in (2027, 2030):
        print(f"- {y}: GW held {held_gw(year_end(y), H2):.2f} (with: {held_gw(year_end(y)):.2f}); spend ${spend(y, H2)/1e9:.1f}B (with: ${spend(y)/1e9:.1f}B)")


# ------------------------------------------------------------------------------- demand
UTIL = 0.80          # busy / held, the fleet-wide target
TRAIN_SHARE = {2023: 0.60, 2024: 0.62, 2025: 0.55, 2026: 0.45, 2027: 0.44, 2028: 0.42, 2029: 0.40, 2030: 0.38}
FRONTIER_OF_TRAIN = {2023: 0.25, 2024: 0.30, 2025: 0.35, 2026: 0.40, 2027: 0.45, 2028: 0.45, 2029: 0.45, 2030: 0.45}
# API tokens/s (annual averages): 2025 and 2026 fitted to the two API figures (NOTES.md), then
# growth that slows.
API = {2023: 4.0e6, 2024: 1.5e7, 2025: 6.0e7, 2026: 4.2e8, 2027: 1.0e9, 2028: 1.7e9, 2029: 2.2e9, 2030: 2.5e9}
BATCH_OF_INF = 0.08  # batch's share of inference work (assumption)


def inference_capacity_tokens(y: int, cls: str = "chatgpt-inference") -> float:
    """Tokens/s the fleet could serve in year y if all of it served class cls (average)."""
    return ref_hours(y, cls=cls) / 8760 * R_TOK


def demand_rows():
    rows = []
    for y in YEARS:
        rh_train = ref_hours(y)                 # frontier-training reference hours held
        tok_cap = inference_capacity_tokens(y)  # tokens/s if every accelerator served inference
        busy_share = UTIL
        train_h = busy_share * TRAIN_SHARE[y] * rh_train
        inf_tok = busy_share * (1 - TRAIN_SHARE[y]) * tok_cap
        batch = BATCH_OF_INF * inf_tok
        api = API[y]
        chat = inf_tok - batch - api
        fr = FRONTIER_OF_TRAIN[y]
        rows.append((y, "frontier-training", train_h * fr, None))
        rows.append((y, "research-training", train_h * (1 - fr), None))
        rows.append((y, "chatgpt-inference", None, chat))
        rows.append((y, "api-inference", None, api))
        rows.append((y, "batch-inference", None, batch))
    return rows


SRC = {
    "frontier-training": "calibrated: {share:.0%} of training; training {ts:.0%} of the fleet's busy reference-accelerator-hours at 80% utilization (NOTES.md)",
    "research-training": "calibrated: {share:.0%} of training (Epoch AI: most 2024 R&D compute went to experiments, https://thetradable.com/ai/openai-spent-7b-on-compute-in-2024-most-went-to-experiments-ig--m); NOTES.md",
    "chatgpt-inference": "calibrated: the inference capacity left after API and batch at 80% utilization, {rt} tokens/s per H100 (NOTES.md); cross-check: prompts/day x tokens per prompt",
    "api-inference": "{api_src}",
    "batch-inference": "assumption: 8% of inference work",
}
API_SRC = {
    2025: "fitted: with 2026, 6B tokens/min on 2025-10-06 (https://techbytes.app/posts/sam-altman-openai-devday-interview) on the curve through the year midpoints (NOTES.md)",
    2026: "fitted: with 2025, >15B tokens/min on 2026-03-31 (https://devlery.com/en/blog/openai-122b-superapp-flywheel) on the same curve (NOTES.md)",
}


def sig3(x: float) -> str:
    """An integer rounded to three significant digits (the CSV's numbers)."""
    if x == 0:
        return "0"
    k = int(math.floor(math.log10(abs(x)))) - 2
    return str(int(round(x / 10 ** k) * 10 ** k)) if k > 0 else str(int(round(x)))


def write_demand() -> None:
    path = HERE / "openai-demand.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["year", "workload_class", "accelerator_hours", "tokens_per_s", "source"])
        rows = demand_rows()
        for y, cls, hours, tok in sorted(rows, key=lambda r: (["frontier-training", "research-training", "chatgpt-inference", "api-inference", "batch-inference"].index(r[1]), r[0])):
            if cls == "api-inference":
                src = API_SRC.get(y, "assumption: growth slowing from 2.4x (2027) to 1.2x (2030), within the capacity of the record" if y > 2026 else "assumption: before the first public API figure, scaled with API revenue")
            else:
                src = SRC[cls].format(share=FRONTIER_OF_TRAIN[y] if cls == "frontier-training" else 1 - FRONTIER_OF_TRAIN[y], ts=TRAIN_SHARE[y], rt=R_TOK, api_src="")
            w.writerow([y, cls, sig3(hours) if hours is not None else "", sig3(tok) if tok is not None else "", src])
    print(f"wrote {path}")


def demand_report() -> None:
    print("\n## Demand calibration (annual averages)\n")
    print("| year | held ref-acc-hours (training basis) | training H100-h (busy) | inference tokens/s capacity | chatgpt tok/s | api tok/s | batch tok/s | api share of Azure inference capacity |")
    print("|---|---|---|---|---|---|---|---|")
    rows = {(y, c): (h, t) for y, c, h, t in demand_rows()}
    for y in YEARS:
        rh = ref_hours(y)
        cap = inference_capacity_tokens(y)
        tr = rows[(y, "frontier-training")][0] + rows[(y, "research-training")][0]
        az_cap = ref_hours(y, pred=lambda h: h.provider == "azure", cls="api-inference") / 8760 * R_TOK
        print(f"| {y} | {rh:.3g} | {tr:.3g} | {cap:.3g} | {rows[(y, 'chatgpt-inference')][1]:.3g} | {rows[(y, 'api-inference')][1]:.3g} | {rows[(y, 'batch-inference')][1]:.3g} | {rows[(y, 'api-inference')][1] / az_cap:.2f} |")
    # the API curve: annual averages read as mid-year levels, geometric in between
    def api_at(day: date) -> float:
        t = day.year + (day.timetuple().tm_yday - 0.5) / 365
        y0 = math.floor(t - 0.5)
        f = t - 0.5 - y0
        a, b = API[y0], API[y0 + 1]
        return a * (b / a) ** f
    for day in (date(2025, 10, 6), date(2026, 3, 31)):
        print(f"\napi tokens/s on {day} (mid-year levels, geometric): {api_at(day):.3g}")


if __name__ == "__main__":
    if "--demand" in sys.argv:
        write_demand()
    report()
    demand_report()


# ------------------------------------------------------------------------------ figures
def clause(cid: str):
    for c in SC["contracts"]:
        for cl in c["clauses"]:
            if cl["id"] == cid:
                return cl, c
        for ag in c.get("agreements", []):
            for cl in ag.get("adds", []):
                if cl["id"] == cid:
                    return cl, ag
    raise KeyError(cid)


def clause_end(cid: str):
    """First day the clause is not in force because an agreement ended or moved it."""
    for c in SC["contracts"]:
        for ag in sorted(c.get("agreements", []), key=lambda a: str(a["date"])):
            for ch in ag.get("changes", []):
                if ch["clause"] == cid and ch["action"] == "terminate":
                    return d(ag["date"])
    cl, _ = clause(cid)
    until = cl.get("until")
    for c in SC["contracts"]:
        for ag in c.get("agreements", []):
            for ch in ag.get("changes", []):
                if ch["clause"] == cid and ch["action"] == "modify" and "until" in ch.get("changes", {}):
                    until = ch["changes"]["until"]
    return d(until) if until else None


def model_value(f: dict):
    m, s, per = f["metric"], f["subject"], str(f["period"])
    if m == "capacity_held_gw":
        return held_gw(year_end(int(per)))
    if m == "accelerators_held":
        return held_n(d(per))
    if m == "provider_share_of_capacity":
        if ".." in per:
            a, b = per.split("..")
            ys = range(d(a).year, d(b).year + 1)
        else:
            ys = [int(per)]
        tot = sum(ref_hours(y) for y in ys)
        pred = (lambda h: in_group(h, s)) if s in GROUPS else (lambda h: h.provider == s)
        return sum(ref_hours(y, pred=pred) for y in ys) / tot
    if m == "compute_spend_usd":
        pred = (lambda h: h.site == s) if s in SITE else (lambda h: True)
        if ".." in per:
            a, b = per.split("..")
            return sum(spend(y, pred=pred) for y in range(d(a).year, d(b).year + 1))
        return spend(int(per), pred=pred)
    if m == "site_online_mw":
        return site_online_mw(s, d(per))
    if m == "site_planned_mw":
        if ".." in per:
            a, b = per.split("..")
            return site_planned_mw(s, d(a))
        return float(SITE[s]["power_capacity_mw"])
    if m == "accelerators_ordered":
        return sum(p["count"] for p in SITE[s]["pools"])
    if m == "contracted_capacity_gw":
        day = d(per.split("..")[0])
        if s == "oracle-openai-2025":
            return sum(SITE[x]["power_capacity_mw"] for x in {h.site for h in H if h.contract == s}) / 1000
        if s == "openai":
            return contracted_gw(day, "openai") + supply_extra_gw(day)
        return contracted_gw(day, s)
    if m == "contract_value_usd":
        return float(clause(s)[0]["amount_usd"])
    if m == "clause_end_date":
        return clause_end(s)
    if m == "clause_start_date":
        return d(clause(s)[0]["effective"]["start"])
    if m == "equity_stake_share":
        return float(clause(s)[0]["stake_percent"]) / 100
    if m == "declined_option_value_usd":
        for rid, day, prov, verdict, why in rofr_outcomes():
            if verdict == "declined":
                q = next(q for q in SC["capacity_requests"] if q["id"] == rid)
                (acc,) = q["accelerators"]["types"]
                return q["accelerators"]["count"] * hourly("azure", "azure-us", acc) * ((d(q["term"]["end"]) - d(q["term"]["start"])).days + 1) * 24
        return 0.0
    if m == "contract_reported_date":
        c = next(c for c in SC["contracts"] if c["id"] == s)
        return d(c["reported"])
    if m == "weekly_active_users":
        day = d(per)
        rows = [u for u in SC["usage"] if u["metric"] == m and d(u["date"]) <= day]
        return max(rows, key=lambda u: d(u["date"]))["value"] if rows else None
    if m == "annualized_revenue_usd":
        return sum(r.get("exit_annualized_usd", 0) for r in SC["revenue"] if r["year"] == int(per))
    if m == "api_tokens_per_s":
        day = d(per)
        t = day.year + (day.timetuple().tm_yday - 0.5) / 365
        y0 = math.floor(t - 0.5)
        f_ = t - 0.5 - y0
        a, b = API[y0], API[y0 + 1]
        return a * (b / a) ** f_
    if m == "budget_capex_usd":
        return float(next(x["capex_usd"] for x in SC["budget"]["milestones"] if per.endswith(str(x["by"]))))
    return None


def within(f: dict, v) -> tuple[str, str]:
    pub = f["value"]
    tol = float(f["tolerance"])
    if v is None:
        return "-", "?"
    if isinstance(v, date):
        pubd = d(pub)
        return f"{(v - pubd).days:+d} d", "yes" if abs((v - pubd).days) <= tol else "NO"
    if isinstance(pub, str) and pub.startswith(">="):
        lo = float(pub[2:])
        r = v / lo
        return f"{r:.2f}", "yes" if lo <= v <= lo * (1 + tol) else "NO"
    r = v / float(pub)
    return f"{r:.2f}", "yes" if abs(r - 1) <= tol + 1e-9 else "NO"


OUTCOME = {"capacity_held_gw", "accelerators_held", "provider_share_of_capacity", "compute_spend_usd",
           "site_online_mw", "api_tokens_per_s", "declined_option_value_usd", "contracted_capacity_gw"}


def figures_report() -> None:
    print("\n## Figures: public value beside the hand-computed model value\n")
    print("| id | kind | use | conf. | public | model | ratio / days | within |")
    print("|---|---|---|---|---|---|---|---|")
    n = {"fitted": 0, "checked": 0}
    for f in SC["figures"]:
        v = model_value(f)
        kind = "outcome" if f["metric"] in OUTCOME else "input"
        if kind == "outcome":
            n[f["use"]] += 1
        r, w = within(f, v)
        if isinstance(v, float):
            vs = f"{v:.3g}"
        elif v is None:
            vs = "-"
        else:
            vs = f"{v:,}" if isinstance(v, int) else str(v)
        print(f"| {f['id']} | {kind} | {f['use']} | {f['confidence']} | {f['value']} | {vs} | {r} | {w} |")
    print(f"\noutcome figures: {n['fitted']} fitted, {n['checked']} checked ({n['checked'] / (n['fitted'] + n['checked']):.0%} checked)")


if __name__ == "__main__":
    figures_report()


def breakdown_report() -> None:
    print("\n## Breakdowns: capacity held at the ends of 2023-2025, spend 2024-2026\n")
    for y in (2023, 2024, 2025):
        day = date(y, 12, 31)
        tot = 0.0
        print(f"\n### Held on {day}\n\n| holding | provider/site | accelerators | type | kW each (tdp x 1.4 x PUE) | MW |\n|---|---|---|---|---|---|")
        for h in H:
            if h.on(day):
                k = kw(h.accelerator, h.site)
                tot += h.mw
                print(f"| {h.id} | {h.provider}/{h.site} | {h.n:,} | {h.accelerator} | {ACC[h.accelerator]['tdp_w']} x 1.4 x {SITE[h.site]['pue']} = {k:.3f} | {h.mw:.1f} |")
        print(f"| **total** | | {held_n(day):,} | | | **{tot:.0f}** |")
    for y in (2024, 2025, 2026):
        print(f"\n### Spend in {y}\n\n| holding | site | accelerators | days in {y} | $/h | $B |\n|---|---|---|---|---|---|")
        a, b = date(y, 1, 1), date(y, 12, 31)
        tot = 0.0
        for h in H:
            dd = h.days_in(a, b)
            if dd:
                v = dd * 24 * h.n * h.price
                tot += v
                print(f"| {h.id} | {h.site} | {h.n:,} | {dd} | {h.price:.3f} | {v/1e9:.2f} |")
        print(f"| **total** | | | | | **{tot/1e9:.2f}** |")


if __name__ == "__main__":
    breakdown_report()
