"""Write the `figures:` section of the draft from calibration.csv (same ids), adding the
subject, basis, use and a note on what each checks. Run: python3 make_figures.py"""
import csv, re, sys
from pathlib import Path

CAL = Path("/work/shared/data/reference/calibration.csv")
# id -> (subject, basis, use, note)
MAP = {
 "openai-capacity-gw-2023": ("openai", "facility", "fitted", "Azure's 2023 capacity-model rows and requests sized to it"),
 "openai-capacity-gw-2024": ("openai", "facility", "fitted", "Azure's 2024 rows and requests sized to it"),
 "openai-capacity-gw-2025": ("openai", "facility", "checked", "the sum of the 2025 contracts of the record"),
 "openai-gpus-online-2025": ("openai", None, "checked", "accelerators held on 2025-12-31"),
 "microsoft-share-openai-capacity-2023-2024": ("azure", None, "checked", "follows from azure-exclusivity"),
 "stargate-share-openai-capacity-2030": ("stargate", None, "checked", "provider group stargate; reference-accelerator-hours"),
 "openai-compute-spend-2024": ("openai", None, "fitted", "Azure's H100 contract price derived from it"),
 "openai-microsoft-compute-spend-2025": ("azure-us", None, "fitted", "Azure's 2025 GB200 rows sized to it; site azure-us = Microsoft's own data centers"),
 "openai-compute-spend-2026": ("openai", None, "fitted", "Azure's 2026 GB200 row sized to it"),
 "abilene-online-mw-2025-09": ("abilene", "facility", "fitted", "phase abilene-1 taken from the same release"),
 "abilene-planned-mw-2026": ("abilene", "facility", "fitted", "power_capacity_mw"),
 "abilene-online-mw-2026-04": ("abilene", "facility", "checked", "phase abilene-2 dated between the 2025-09 and mid-2026 records"),
 "abilene-gb200-ordered": ("abilene", None, "fitted", "the site's GB200 pools"),
 "abilene-expansion-planned-mw": ("abilene-expansion", "facility", "fitted", "the planned phase between announced and cancelled"),
 "stargate-planned-gw-2025-09-23": ("stargate", "facility", "checked", "sites announced by the date plus CoreWeave's placed requests"),
 "stargate-planned-gw-2025-10-30": ("stargate", "facility", "checked", "as above"),
 "stargate-secured-gw-2026-04-29": ("stargate-platform", "facility", "checked", "every US provider's contracted capacity in force or to come"),
 "azure-compute-exclusivity-end": ("azure-exclusivity", None, "fitted", "terminated by agreement microsoft-openai-2025-01"),
 "microsoft-rofr-compute-end": ("azure-rofr", None, "fitted", "terminated by agreement microsoft-openai-2025-10"),
 "microsoft-azure-incremental-commitment": ("azure-incremental-commitment", None, "fitted", "the committed_spend clause"),
 "microsoft-ip-rights-end": ("microsoft-ip-rights", None, "fitted", "until, as modified on 2025-10-28"),
 "microsoft-openai-equity-stake": ("microsoft-stake-2025", None, "fitted", "stake_percent / 100"),
 "agi-expert-panel-clause-start": ("agi-expert-panel", None, "fitted", "added by agreement microsoft-openai-2025-10"),
 "azure-api-exclusivity-end": ("api-exclusivity", None, "fitted", "terminated by agreement microsoft-openai-2026-04"),
 "openai-api-tokens-per-s-2025-10": ("api-inference", None, "fitted", "the 2025 and 2026 api-inference forecast rows"),
 "openai-api-tokens-per-s-2026-03": ("api-inference", None, "fitted", "the 2026 api-inference row's growth"),
 "oracle-openai-contracted-gw": ("oracle-openai-2025", "facility", "checked", "the contract's placed requests, at their sites' phase power"),
 "oracle-openai-contract-value": ("oracle-commitment", None, "fitted", "the committed_spend clause"),
 "coreweave-openai-contract-2025-03": ("coreweave-contract-2025-03", None, "fitted", "the committed_spend clause"),
 "coreweave-openai-contract-2025-05": ("coreweave-contract-2025-05", None, "fitted", "the committed_spend clause"),
 "coreweave-openai-contract-2025-09": ("coreweave-contract-2025-09", None, "fitted", "the committed_spend clause"),
 "microsoft-declined-coreweave-option": ("azure-rofr", None, "checked", "value of the offer Microsoft declined (request coreweave-2025-03 at Azure's price)"),
 "aws-openai-contract-2025-11-03": ("aws-commitment-2025-11", None, "fitted", "the committed_spend clause"),
 "aws-openai-contract-expansion-2026-02-27": ("aws-commitment-2026-02", None, "fitted", "the committed_spend clause"),
 "google-cloud-openai-contract": ("google-openai-2025", None, "fitted", "the contract's `reported` date"),
 "openai-committed-capacity-gw-2025-10": ("openai", "facility", "checked", "contracted capacity plus supply agreements not already at a site"),
 "chatgpt-wau-2025-02": ("chatgpt", None, "fitted", "usage row"),
 "chatgpt-wau-2025-10": ("chatgpt", None, "fitted", "usage row"),
 "chatgpt-wau-2026-03": ("chatgpt", None, "fitted", "usage row"),
 "openai-arr-2024": ("openai", None, "fitted", "revenue rows' exit_annualized_usd"),
 "openai-arr-2025": ("openai", None, "fitted", "revenue rows' exit_annualized_usd"),
}
EXTRA = [
 ("openai-compute-spend-2026-2030", "compute_spend_usd", "openai", "2026-01-01..2030-12-31", "600000000000", "USD", None, 0.2, "medium", "https://theledger.asia/openai-plans-massive-600-billion-compute-spend-through-2030-to-fuel-ai-growth/", "checked", "not in calibration.csv: Reuters 2026-02-21, ~$600B of compute spend by 2030 (read as 2026-2030); no input was tuned to it"),
 ("stargate-total-commitment", "budget_capex_usd", "stargate-jv", "2025-01-21..2029-01-21", "500000000000", "USD", None, 0.01, "high", "announcement", "fitted", "budget milestone four-year"),
 ("stargate-initial-deployment", "budget_capex_usd", "stargate-jv", "2025-01-21..2025-12-31", "100000000000", "USD", None, 0.01, "high", "announcement", "fitted", "budget milestone initial"),
]

def q(s):
    s = str(s)
    if re.fullmatch(r"[A-Za-z0-9_./:-]+", s) and not re.fullmatch(r"\d{4}(-\d\d-\d\d)?", s) and not s.startswith(">"):
        return s
    return '"' + s.replace('"', "'") + '"'

def val(v):
    if v.startswith(">="):
        return q(v)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", v):
        return v
    return v

rows = list(csv.DictReader(CAL.open()))
out = []
for r in rows:
    subj, basis, use, note = MAP[r["id"]]
    tol = r["tolerance"]
    parts = [f"id: {r['id']}", f"metric: {r['metric']}", f"subject: {subj}",
             f"period: {q(r['period'])}", f"value: {val(r['value'])}", f"unit: {q(r['unit'])}"]
    if basis:
        parts.append(f"basis: {basis}")
    parts += [f"tolerance: {tol}", f"confidence: {r['confidence']}", f"use: {use}",
              f"source: {q(r['source_url'])}", f"notes: {q(note)}"]
    out.append("  - {" + ", ".join(parts) + "}")
for (i, m, s, p, v, u, b, t, c, src, use, note) in EXTRA:
    out.append("  - {" + ", ".join([f"id: {i}", f"metric: {m}", f"subject: {s}", f"period: {q(p)}", f"value: {v}", f"unit: {u}", f"tolerance: {t}", f"confidence: {c}", f"use: {use}", f"source: {src}", f"notes: {q(note)}"]) + "}")
missing = {r['id'] for r in rows} - set(MAP)
assert not missing, missing
text = Path("/tmp/s11/stargate-2025.yaml").read_text()
block = "\n".join(out) + "\n"
if "FIGURES_PLACEHOLDER" in text:
    text = text.replace("FIGURES_PLACEHOLDER\n", block)
else:
    text = text.split("\nfigures:\n")[0] + "\nfigures:\n" + block
Path("/tmp/s11/stargate-2025.yaml").write_text(text)
print(len(rows), "calibration rows;", len(out), "figures written")
