"""Load the draft with TODAY's code: strip what is PROPOSED, turn agreements into clause
amendments (a later change of a clause closes an earlier open modify), and validate it with
stargate's own loader. Proves that everything the draft keeps from format 2 is valid as is.

    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/work/main/src python3 tools/validate_current.py
"""

from __future__ import annotations

import copy
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent.parent
OUT = HERE / "current-format"

PROPOSED_TOP = ["provider_groups", "supply_agreements", "revenue", "usage"]
PROPOSED_CLAUSE = {"ends_on_agi", "verified_by", "exclusive", "cap_usd"}
PROPOSED_CONTRACT = {"agreements", "capacity_gw", "reported"}
PROPOSED_REQUEST = {"holder_answer", "agreement", "contract"}
PROPOSED_PHASE = {"announced", "cancelled"}


def main() -> int:
    raw = (HERE / "stargate-2025.yaml").read_text()
    data = yaml.safe_load(raw)
    for k in PROPOSED_TOP:
        data.pop(k, None)
    for c in data["contracts"]:
        by_id = {cl["id"]: cl for cl in c["clauses"]}
        pending: dict[str, list] = {}
        for ag in sorted(c.get("agreements", []), key=lambda a: str(a["date"])):
            day = ag["date"]
            for ch in ag.get("changes", []):
                pending.setdefault(ch["clause"], []).append((day, ag["id"], ch))
            for add in ag.get("adds", []):
                cl = copy.deepcopy(add)
                by_id[cl["id"]] = cl
                c["clauses"].append(cl)
        for cid, items in pending.items():
            cl = by_id[cid]
            ams = []
            cumulative: dict = {}
            for i, (day, agid, ch) in enumerate(items):
                am = {"id": f"{agid}-{cid}"[:64], "effective": {"start": day}, "action": ch["action"],
                      "source": f"agreement {agid}"}
                if ch["action"] == "modify":
                    # agreements are cumulative: a modify reads on top of the earlier ones
                    cumulative.update({k: v for k, v in ch["changes"].items() if k not in PROPOSED_CLAUSE})
                    chg = dict(cumulative)
                    if not chg:
                        continue
                    am["changes"] = chg
                    if i + 1 < len(items):
                        nxt = items[i + 1][0]
                        am["effective"]["end"] = nxt - timedelta(days=1)
                ams.append(am)
            if ams:
                cl["amendments"] = ams
        for cl in c["clauses"]:
            for k in PROPOSED_CLAUSE:
                cl.pop(k, None)
        for k in PROPOSED_CONTRACT:
            c.pop(k, None)
    for q in data["capacity_requests"]:
        for k in PROPOSED_REQUEST:
            q.pop(k, None)
    for s in data["sites"]:
        for ph in s.get("phases", []):
            cancelled = ph.get("cancelled")
            for k in PROPOSED_PHASE:
                ph.pop(k, None)
    figs = []
    for f in data["figures"]:
        v = f["value"]
        figs.append({"id": f["id"], "value": str(v) if not isinstance(v, (int, float)) else v,
                     "unit": f["unit"], "source": f["source"]})
    data["figures"] = figs
    OUT.mkdir(exist_ok=True)
    (OUT / "stargate-2025.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10000))
    shutil.copy(HERE / "openai-demand.csv", OUT / "openai-demand.csv")

    import stargate
    from stargate.contracts import clauses_in_force

    sc = stargate.load_scenario(OUT / "stargate-2025.yaml")
    print(f"valid in today's format: {sc.id}: {len(sc.sites)} sites, {len(sc.providers)} providers, "
          f"{len(list(sc.clauses()))} clauses, {len(sc.reservations)} reservations, "
          f"{len(sc.capacity_requests)} capacity requests, "
          f"{sum(len(w.forecast) for w in sc.workload_sources)} forecast rows, {len(sc.figures)} figures")
    for day in (date(2024, 6, 1), date(2025, 6, 1), date(2025, 12, 1), date(2026, 6, 1)):
        ids = sorted(st.clause.id for st in clauses_in_force(sc, day) if st.clause.kind in
                     ("exclusivity", "right_of_first_refusal", "ip_rights", "agi_clause"))
        print(f"  {day}: {', '.join(ids)}")
    ip = next(cl for _, cl in sc.clauses() if cl.id == "microsoft-ip-rights")
    print("  microsoft-ip-rights in force 2032-06-01:", ip.in_force(date(2032, 6, 1)),
          "| 2033-01-01:", ip.in_force(date(2033, 1, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
