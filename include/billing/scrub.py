"""Claim scrubbing: the checks a clearinghouse or payer would reject a claim for, run before sending.

The rules are one set-based query, include/sql/queries/submission/scrub_findings.sql: each rule's finding
code and its message, written out word for word, are there (the `findings` part, in rule order). It runs
over every claim waiting for this step (`scrub_pending_claims`: failures -> work queue, claim held; the
rest -> `ready`) and over one named claim in any status (`scrub_claims_sql`: a corrected claim released
from the work queue, include/billing/workqueue.py). The values a rule judges (NPI check digits, the
ICD-10-CM code set, blank clearinghouse payer ids) are judged here in Python once per distinct value and
passed to the query. The rules, in order (one finding per rule and claim):

  SCRUB_NPI                 billing NPI (and a rendering/referring NPI that is present) fails the check digit
  SCRUB_ICD10_NOT_BILLABLE  a diagnosis is not a billable (leaf) ICD-10-CM code (positions named, not codes)
  SCRUB_CPT_FORMAT          a procedure code is neither CPT (4 digits + digit/letter) nor HCPCS (letter + 4 digits)
  SCRUB_MODIFIER            a line has more than 4 modifiers, repeats one, or has one not in KNOWN_MODIFIERS
  SCRUB_MODIFIER_25         25 on a CPT code outside E/M (99202-99499), or with no other code billed that day
  SCRUB_MODIFIER_59         59 or XE/XP/XS/XU on an E/M code
  SCRUB_DX_POINTER          no diagnosis or more than 12; a line with 0 or more than 4 pointers, a pointer
                            outside the claim's diagnoses, or a repeated pointer
  SCRUB_TOTALS              no lines; claim total differs from the sum of its lines; total or a line not positive
  SCRUB_DOS_FUTURE          a date of service after today
  SCRUB_TIMELY_FILING       past the payer's limit from the date of service (a secondary: from the prior
                            payer's latest posted 835 payment date)
  SCRUB_DUPLICATE           a line repeats another visit's line (same patient, date, code, rendering provider)
                            already billed, or waiting with a lower claim id
  SCRUB_PAYER_UNKNOWN       the payer has no clearinghouse payer id

What SCRUB_ICD10_NOT_BILLABLE can't check: simple_icd_10_cm ships one release of the code
set (the fiscal-year file it was built from). A code is accepted when that release lists it
as a leaf (billable); codes that were valid only in an earlier year, or codes added after the
release, are judged by that one release. Effective-date windows per date of service, and
payer-specific edits (NCCI pairs, LCD/NCD coverage, sex/age edits), are not checked.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from include.billing.npi import is_valid_npi

# Modifiers the practice uses and payers accept (CPT level I and common HCPCS level II).
KNOWN_MODIFIERS = frozenset("""
22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 78 79 80 81 82
90 91 92 93 95 96 97 99 AA AD AI AS CR CS CT E1 E2 E3 E4 F1 F2 F3 F4 F5 F6 F7 F8 F9 FA FS FT FX FY
GA GC GE GN GO GP GT GV GW GX GY GZ JW JZ KO KP KQ KX LC LD LM LT Q5 Q6 QK QW QX QY QZ RC RI RT
CO CQ SA SB SG SL T1 T2 T3 T4 T5 T6 T7 T8 T9 TA TC XE XP XS XU
""".split())


@dataclass(frozen=True)
class Finding:
    code: str
    message: str


@lru_cache(maxsize=20000)
def _npi_ok(npi: str | None) -> bool:
    # a practice has a handful of providers: the check digit of each NPI is computed once per run
    return is_valid_npi(npi)


def _icd10_data_key() -> str:
    """The code set's identity: the package's version and its data files (names and sizes), read
    without importing it (the import parses a 10 MB XML file: 3-6 s)."""
    import importlib.metadata
    import importlib.util

    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("simple_icd_10_cm")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    files = sorted(f"{p.name}:{p.stat().st_size}" for p in data.iterdir() if p.is_file() and p.suffix != ".py")
    return f"{importlib.metadata.version('simple_icd_10_cm')}|{'|'.join(files)}"


def _icd10_table_from_package() -> dict[str, bool]:
    """Every item simple_icd_10_cm knows (chapters, blocks, categories, codes), and whether it is a
    leaf: the whole answer of `cm.is_valid_item` and `cm.is_leaf` as data."""
    from simple_icd_10_cm import simple_icd_10_cm as cm

    return {name: cm.is_leaf(name) for name in cm._code_to_node}     # the package's own index of its items


@lru_cache(maxsize=1)
def _icd10_table() -> dict[str, bool]:
    """The code-set table, from the worker's cache folder (BILLING_RUN_DIR/cache) when it holds one for
    this package version and data, else built from the package (and cached when a folder is set)."""
    from include.billing.settings import WORK_DIR_VAR, work_dir

    key = _icd10_data_key()
    path = work_dir("cache") / "icd10cm-items.json" if os.environ.get(WORK_DIR_VAR, "").strip() else None
    if path is not None:
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            if cached.get("key") == key:
                return {name: True for name in cached["leaves"]} | {name: False for name in cached["others"]}
        except (OSError, ValueError, KeyError, AttributeError):
            pass
    table = _icd10_table_from_package()
    if path is not None:
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, "leaves": sorted(k for k, v in table.items() if v),
                                   "others": sorted(k for k, v in table.items() if not v)}), encoding="utf-8")
        os.replace(tmp, path)
    return table


@lru_cache(maxsize=20000)
def icd10_billable(code: str) -> bool:
    """simple_icd_10_cm's `is_valid_item(code) and is_leaf(code)` (a code with or without its dot),
    answered from the table of its items (tests/unit/submission/test_scrub.py compares the two over the whole code set)."""
    table = _icd10_table()
    if not isinstance(code, str):
        return False
    if len(code) >= 4 and code[3] != ".":
        dotted = code[:3] + "." + code[3:]
        if dotted in table:            # the package's _add_dot_to_code prefers the dotted item
            return table[dotted]
    return table.get(code, False)


# Modifier 59 and its subsets XE/XP/XS/XU mark a distinct procedural service "other than E/M"
# (CPT modifier 59; CMS NCCI Policy Manual ch.1 §E; MLN Matters SE1418): never on an E/M code.
DISTINCT_SERVICE_MODIFIERS = ("59", "XE", "XP", "XS", "XU")


# --------------------------------------------------------------------------- the DB step

def _judged_values(conn, claim_ids: list[int] | None = None, through_claim_id: int | None = None) -> dict:
    """The parameters of scrub_findings: what the rules judge per value, judged once per distinct value of
    the claims to scrub (scrub_values: every waiting claim, or the named ones; ``through_claim_id``: only
    those up to that id, one wave of the backlog, submission.wave_end)."""
    from include.billing.rcm_sql import run

    judged: dict[str, list] = {"billing_provider": [], "provider": [], "payer": [], "diagnosis": []}
    bad_billing, bad_providers, non_billable, blank_payers = [], [], [], []
    params = {"claim_ids": claim_ids, "through_claim_id": through_claim_id}
    for r in run(conn, "submission", "scrub_values", params).fetchall():
        judged[r.kind].append(r.value if r.kind == "diagnosis" else r.id)
        if r.kind == "billing_provider" and not _npi_ok(r.value):
            bad_billing.append(r.id)
        elif r.kind == "provider" and r.value and not _npi_ok(r.value):      # SCRUB_NPI: an NPI that is there
            bad_providers.append(r.id)
        elif r.kind == "payer" and not (r.value and r.value.strip()):         # SCRUB_PAYER_UNKNOWN
            blank_payers.append(r.id)
        elif r.kind == "diagnosis" and not icd10_billable(r.value):
            non_billable.append(r.value)
    return {"bad_billing_providers": bad_billing, "bad_providers": bad_providers, "non_billable": non_billable,
            "blank_payers": blank_payers, "judged_billing_providers": judged["billing_provider"],
            "judged_providers": judged["provider"], "judged_payers": judged["payer"],
            "judged_codes": judged["diagnosis"], "known_modifiers": sorted(KNOWN_MODIFIERS),
            "distinct_service_modifiers": list(DISTINCT_SERVICE_MODIFIERS), **params}


@dataclass(frozen=True)
class Scrubbed:
    claim_id: int
    claim_number: str
    findings: list[Finding]      # the first finding of each rule, in rule order; empty: clean


def scrub_claims_sql(conn, claim_ids: list[int] | None, today: dt.date,
                     through_claim_id: int | None = None) -> dict[int, Scrubbed]:
    """The rules (scrub_findings) over the named claims, whatever their status, or every claim in status new
    (claim_ids None; with ``through_claim_id``, only those up to that id). A waiting claim that names a value
    not judged yet is left out (scrubbed next run)."""
    from include.billing.rcm_sql import query

    rows = conn.execute(query("submission", "scrub_findings"),
                        {**_judged_values(conn, claim_ids, through_claim_id), "today": today}).fetchall()
    return {claim_id: Scrubbed(claim_id, claim_number, [Finding(c, m) for c, m in zip(codes, messages)])
            for claim_id, claim_number, codes, messages in rows}


def scrub_pending_claims(conn, *, actor: str, today: dt.date, through_claim_id: int | None = None) -> dict:
    """Scrub every claim waiting for it (with ``through_claim_id``, only those up to that id: one wave of the
    backlog, submission.wave_end): failures -> work queue + held, the rest -> ready.

    Set-based: the rules run as one query (scrub_findings) over every waiting claim; what they judge per
    value (NPI check digits, the ICD-10-CM code set, blank payer ids) is judged here once per distinct
    value (tests/unit/submission/test_scrub_sql.py).
    """
    from include.billing.claims import WorkItem, hold_claims, move_claims

    rows = scrub_claims_sql(conn, None, today, through_claim_id)
    items: list[WorkItem] = []
    clean: list[int] = []
    for s in rows.values():
        if not s.findings:
            clean.append(s.claim_id)
        # one finding per rule, so one item per reason code (as a claim's first finding of each code)
        items += [WorkItem(claim_id=s.claim_id, source="scrubbing", reason_code=f.code, explanation=f.message,
                           details={"claim_number": s.claim_number}) for f in s.findings]
    held = hold_claims(conn, items, actor=actor, stage="scrubbing")
    ready = move_claims(conn, clean, from_status="new", to_status="ready", actor=actor,
                        event_type="scrubbed_clean", dedupe_prefix="ready")
    by_reason: dict[str, int] = {}
    for i in items:
        by_reason[i.reason_code] = by_reason.get(i.reason_code, 0) + 1
    return {"claims_scrubbed": len(rows), "claims_ready": len(ready), **held, "by_reason": by_reason}
