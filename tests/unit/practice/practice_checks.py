"""An independent referee for generated practices: which defects does each completed visit carry?

Works on rows in include.practice.generate.COLUMNS order, from the generator or read back from
the database, so the same rules judge both.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import simple_icd_10_cm as icd

from include.billing.npi import is_valid_npi
from include.practice.generate import COLUMNS


def billable(code: str) -> bool:
    return icd.is_valid_item(code) and icd.is_leaf(code)


def as_dicts(tables: dict[str, list[tuple]]) -> dict[str, list[dict]]:
    return {t: [dict(zip(COLUMNS[t], row, strict=True)) for row in rows] for t, rows in tables.items()}


def visit_defects(tables: dict[str, list[tuple]], today: date) -> dict[int, set[str]]:
    """visit id -> defects found (dirty-kind names), for every completed visit."""
    d = as_dicts(tables)
    npi = {p["id"]: p["npi"] for p in d["pm.providers"]}
    payers = {p["id"]: p for p in d["pm.payers"]}
    policies = defaultdict(list)
    for pol in d["pm.insurance_policies"]:
        policies[pol["patient_id"]].append(pol)
    plan_of_policy = {pl["policy_id"]: pl for pl in d["pm.synthetic_member_plans"] if pl["policy_id"]}
    dx = defaultdict(dict)
    for row in d["pm.visit_diagnoses"]:
        dx[row["visit_id"]][row["sequence"]] = row["icd10_code"]
    charges = defaultdict(list)
    for row in d["pm.charges"]:
        charges[row["visit_id"]].append(row)

    found: dict[int, set[str]] = {}
    for v in d["pm.visits"]:
        if v["status"] != "completed":
            continue
        vid, dos, defects = v["id"], v["date_of_service"], set()
        for pid in (v["rendering_provider_id"], v["referring_provider_id"]):
            if pid is not None and not is_valid_npi(npi[pid]):
                defects.add("invalid_npi")
        if any(not billable(code) for code in dx[vid].values()):
            defects.add("non_billable_icd10")
        for line in charges[vid]:
            pointers = [line[f"dx_pointer{i}"] for i in range(1, 5) if line[f"dx_pointer{i}"] is not None]
            if not pointers or any(p not in dx[vid] for p in pointers):
                defects.add("bad_dx_pointer")
        if dos > today:
            defects.add("future_dos")
        for pol in policies[v["patient_id"]]:
            if pol["priority"] == "primary" and not (pol["member_id"] or "").strip():
                defects.add("missing_member_id")
            plan = plan_of_policy.get(pol["id"])
            if plan is None or plan["status"] != "active" or plan["plan_begin"] > dos or \
                    (plan["plan_end"] is not None and plan["plan_end"] < dos):
                defects.add("terminated_coverage")
            if pol["priority"] == "primary" and dos <= today and \
                    dos < today - timedelta(days=payers[pol["payer_id"]]["timely_filing_days"]):
                defects.add("timely_filing")
        if not charges[vid] or not dx[vid]:
            defects.add("no_charges")
        found[vid] = defects
    return found


def duplicate_visits(tables: dict[str, list[tuple]]) -> list[tuple]:
    """(patient, date, rendering provider, procedure) that occur on more than one completed visit."""
    d = as_dicts(tables)
    visit = {v["id"]: v for v in d["pm.visits"] if v["status"] == "completed"}
    seen: dict[tuple, int] = {}
    dups = []
    for line in d["pm.charges"]:
        v = visit.get(line["visit_id"])
        if v is None:
            continue
        key = (v["patient_id"], v["date_of_service"], v["rendering_provider_id"], line["procedure_code"])
        if key in seen and seen[key] != v["id"]:
            dups.append(key)
        seen[key] = v["id"]
    return dups


def guarantor_defects(tables: dict[str, list[tuple]], today: date) -> list[tuple[str, int]]:
    """(defect, patient or guarantor id) for the guarantor rules of docs/patient_accounts.md:
    a minor on `today` has a guarantor other than themself; every guarantor named exists and has a
    mailing address (ZIP of 5 or 9 digits); 'parent'/'other' goes with a guarantor and 'self'
    without; a child on a parent's plan has that subscriber parent as guarantor, at the child's home."""
    d = as_dicts(tables)
    guarantors = {g["id"]: g for g in d["pm.guarantors"]}
    primary = {p["patient_id"]: p for p in d["pm.insurance_policies"] if p["priority"] == "primary"}
    out = []
    for g in guarantors.values():
        if not (g["address1"].strip() and g["city"].strip() and len(g["state"]) == 2
                and g["zip"].isdigit() and len(g["zip"]) in (5, 9)):
            out.append(("guarantor_address", g["id"]))
    for p in d["pm.patients"]:
        gid, rel = p["guarantor_id"], p["guarantor_relationship"]
        birthday_18 = p["birth_date"].replace(year=p["birth_date"].year + 18) if (
            p["birth_date"].month, p["birth_date"].day) != (2, 29) else date(p["birth_date"].year + 18, 3, 1)
        if birthday_18 > today and gid is None:
            out.append(("minor_own_guarantor", p["id"]))
        if gid is not None and gid not in guarantors:
            out.append(("guarantor_missing", p["id"]))
        if (gid is None) != (rel == "self"):
            out.append(("relationship", p["id"]))
        policy = primary.get(p["id"])
        if gid in guarantors and policy and policy["relationship_code"] == "19":
            g = guarantors[gid]
            if (g["last_name"], g["first_name"]) != (policy["subscriber_last_name"], policy["subscriber_first_name"]):
                out.append(("not_the_subscriber", p["id"]))
        if gid in guarantors and (guarantors[gid]["address1"], guarantors[gid]["zip"]) != (p["address1"], p["zip"]):
            out.append(("not_at_home", p["id"]))
    return out
