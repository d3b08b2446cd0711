"""Claim scrubbing: the checks a clearinghouse or payer would reject a claim for, run before sending.

Each rule is a small named function over a plain `ScrubClaim` that returns findings (code +
message, no PHI in the message); `RULES` lists them in order. `scrub_claim` runs them all (one claim:
a corrected claim released from the work queue). `scrub_pending_claims` runs the same rules as set-based
SQL over every claim waiting for this step (include/sql/queries/submission/scrub_findings.sql; the
values a rule judges, NPIs, diagnosis codes and payer ids, are judged here once per distinct value),
writes failures to the work queue (claim held) and moves the rest to `ready`.

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
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable

from include.billing.npi import is_valid_npi

CPT_HCPCS = re.compile(r"^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")

# Modifiers the practice uses and payers accept (CPT level I and common HCPCS level II).
KNOWN_MODIFIERS = frozenset("""
22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 78 79 80 81 82
90 91 92 93 95 96 97 99 AA AD AI AS CR CS CT E1 E2 E3 E4 F1 F2 F3 F4 F5 F6 F7 F8 F9 FA FS FT FX FY
GA GC GE GN GO GP GT GV GW GX GY GZ JW JZ KO KP KQ KX LC LD LM LT Q5 Q6 QK QW QX QY QZ RC RI RT
CO CQ SA SB SG SL T1 T2 T3 T4 T5 T6 T7 T8 T9 TA TC XE XP XS XU
""".split())


@dataclass
class ScrubLine:
    line_number: int
    procedure_code: str
    charge: Decimal
    units: Decimal = Decimal(1)
    modifiers: list[str] = field(default_factory=list)
    dx_pointers: list[int] = field(default_factory=list)
    service_date: dt.date | None = None
    duplicate_of: str | None = None     # claim number of an earlier billed line it duplicates


@dataclass
class ScrubClaim:
    claim_id: int
    claim_number: str
    date_of_service: dt.date
    total_charge: Decimal
    diagnosis_codes: list[str]
    lines: list[ScrubLine]
    billing_npi: str | None
    rendering_npi: str | None = None
    referring_npi: str | None = None
    payer_identifier: str | None = None
    timely_filing_days: int = 365
    filing_from: dt.date | None = None    # secondary claims: the prior payer's 835 payment date


@dataclass(frozen=True)
class Finding:
    code: str
    message: str


Rule = Callable[[ScrubClaim, dt.date], list[Finding]]


@lru_cache(maxsize=20000)
def _npi_ok(npi: str | None) -> bool:
    # a practice has a handful of providers: the check digit of each NPI is computed once per run
    return is_valid_npi(npi)


def rule_npi(c: ScrubClaim, today: dt.date) -> list[Finding]:
    out = []
    for role, npi in (("billing", c.billing_npi), ("rendering", c.rendering_npi), ("referring", c.referring_npi)):
        if role == "billing" or npi:
            if not _npi_ok(npi):
                out.append(Finding("SCRUB_NPI", f"The {role} provider NPI fails the NPI check-digit test "
                                                f"(10 digits, Luhn over prefix 80840); correct it in the provider file."))
    return out


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
    answered from the table of its items (tests/unit/scrub compares the two over the whole code set)."""
    table = _icd10_table()
    if not isinstance(code, str):
        return False
    if len(code) >= 4 and code[3] != ".":
        dotted = code[:3] + "." + code[3:]
        if dotted in table:            # the package's _add_dot_to_code prefers the dotted item
            return table[dotted]
    return table.get(code, False)


def rule_icd10_billable(c: ScrubClaim, today: dt.date) -> list[Finding]:
    bad = [i + 1 for i, code in enumerate(c.diagnosis_codes) if not icd10_billable(code)]
    if not bad:
        return []
    return [Finding("SCRUB_ICD10_NOT_BILLABLE",
                    f"Diagnosis position(s) {', '.join(map(str, bad))} are not billable ICD-10-CM codes "
                    f"(a category or header, or not in the code set); code to the highest specificity.")]


def rule_cpt_format(c: ScrubClaim, today: dt.date) -> list[Finding]:
    bad = [ln.line_number for ln in c.lines if not CPT_HCPCS.match(ln.procedure_code or "")]
    if not bad:
        return []
    return [Finding("SCRUB_CPT_FORMAT", f"Line(s) {', '.join(map(str, bad))}: procedure code is not a "
                                        f"CPT (5 characters) or HCPCS (letter + 4 digits) code.")]


def rule_modifiers(c: ScrubClaim, today: dt.date) -> list[Finding]:
    out = []
    for ln in c.lines:
        mods = ln.modifiers
        if len(mods) > 4:
            out.append(f"line {ln.line_number} has {len(mods)} modifiers (at most 4)")
        if len(set(mods)) != len(mods):
            out.append(f"line {ln.line_number} repeats a modifier")
        unknown = [m for m in mods if m not in KNOWN_MODIFIERS]
        if unknown:
            out.append(f"line {ln.line_number} has unknown modifier(s) {', '.join(unknown)}")
    if not out:
        return []
    return [Finding("SCRUB_MODIFIER", "Modifier problem: " + "; ".join(out) + ".")]


# Evaluation and management services: CPT 99202–99499 (the E/M section of CPT).
def is_em(code: str) -> bool:
    return len(code or "") == 5 and code.isdigit() and 99202 <= int(code) <= 99499


# Modifier 59 and its subsets XE/XP/XS/XU mark a distinct procedural service "other than E/M"
# (CPT modifier 59; CMS NCCI Policy Manual ch.1 §E; MLN Matters SE1418).
DISTINCT_SERVICE_MODIFIERS = ("59", "XE", "XP", "XS", "XU")


def rule_modifier_25(c: ScrubClaim, today: dt.date) -> list[Finding]:
    """Modifier 25 is a significant, separately identifiable E/M service on the same day as a
    procedure or other service (CPT modifier 25): it goes on an E/M code (a CPT code outside
    99202-99499 is flagged; HCPCS level II visit codes are not judged), and the claim bills
    another service (another code) on the same date."""
    out = []
    for ln in c.lines:
        if "25" not in ln.modifiers:
            continue
        if ln.procedure_code.isdigit() and not is_em(ln.procedure_code):
            # a CPT code outside E/M; HCPCS level II visit codes (G0402, G0438 ...) take 25 too
            out.append(f"line {ln.line_number}: modifier 25 is for E/M codes (99202-99499), not "
                       f"{ln.procedure_code}")
            continue
        day = ln.service_date or c.date_of_service
        others = [o for o in c.lines if o.line_number != ln.line_number
                  and (o.service_date or c.date_of_service) == day and o.procedure_code != ln.procedure_code]
        if not others:
            out.append(f"line {ln.line_number}: modifier 25 on {ln.procedure_code} needs another service billed "
                       f"on the same date on this claim; without one, remove it")
    if not out:
        return []
    return [Finding("SCRUB_MODIFIER_25", "Modifier 25 problem: " + "; ".join(out) + ".")]


def rule_modifier_59(c: ScrubClaim, today: dt.date) -> list[Finding]:
    bad = [f"line {ln.line_number} ({ln.procedure_code}-{m})" for ln in c.lines if is_em(ln.procedure_code)
           for m in ln.modifiers if m in DISTINCT_SERVICE_MODIFIERS]
    if not bad:
        return []
    return [Finding("SCRUB_MODIFIER_59", "Modifier 59 (or XE/XP/XS/XU) never goes on an E/M code: "
                                         + ", ".join(bad) + "; an E/M separate from a procedure takes 25.")]


def rule_dx_pointers(c: ScrubClaim, today: dt.date) -> list[Finding]:
    out = []
    n = len(c.diagnosis_codes)
    if n == 0:
        out.append("the claim has no diagnosis")
    if n > 12:
        out.append(f"the claim has {n} diagnoses (at most 12)")
    for ln in c.lines:
        p = ln.dx_pointers
        if not 1 <= len(p) <= 4:
            out.append(f"line {ln.line_number} has {len(p)} diagnosis pointers (1 to 4)")
        bad = [x for x in p if not 1 <= x <= min(n, 12)]
        if bad:
            out.append(f"line {ln.line_number} points to diagnosis {', '.join(map(str, bad))} "
                       f"but the claim has {n}")
        if len(set(p)) != len(p):
            out.append(f"line {ln.line_number} repeats a pointer")
    if not out:
        return []
    return [Finding("SCRUB_DX_POINTER", "Diagnosis pointer problem: " + "; ".join(out) + ".")]


def rule_totals(c: ScrubClaim, today: dt.date) -> list[Finding]:
    out = []
    if not c.lines:
        out.append("the claim has no service lines")
    line_sum = sum((ln.charge for ln in c.lines), Decimal(0))
    if line_sum != c.total_charge:
        out.append(f"claim total {c.total_charge} differs from the sum of its lines {line_sum}")
    if c.total_charge <= 0:
        out.append("the claim total is not positive")
    bad = [ln.line_number for ln in c.lines if ln.charge <= 0]
    if bad:
        out.append(f"line(s) {', '.join(map(str, bad))} have no positive charge")
    if not out:
        return []
    return [Finding("SCRUB_TOTALS", "Charge problem: " + "; ".join(out) + ".")]


def rule_dos_future(c: ScrubClaim, today: dt.date) -> list[Finding]:
    dates = [c.date_of_service] + [ln.service_date for ln in c.lines if ln.service_date]
    if max(dates) <= today:
        return []
    return [Finding("SCRUB_DOS_FUTURE", "The date of service is in the future; a claim can be billed "
                                        "only after the service was given.")]


def rule_timely_filing(c: ScrubClaim, today: dt.date) -> list[Finding]:
    """The payer's limit runs from the date of service, or for a secondary claim from the
    prior payer's 835 (its adjudication is what the secondary is billed with)."""
    if c.filing_from is not None:
        start, what = c.filing_from, "the prior payer's 835 payment date"
    else:
        start, what = min([c.date_of_service] + [ln.service_date for ln in c.lines if ln.service_date]), \
            "the date of service"
    deadline = start + dt.timedelta(days=c.timely_filing_days)
    if today <= deadline:
        return []
    return [Finding("SCRUB_TIMELY_FILING", f"The payer's timely-filing limit ({c.timely_filing_days} days "
                                           f"from {what}) passed on {deadline.isoformat()}; "
                                           f"send with proof of timely filing or write off.")]


def rule_duplicate(c: ScrubClaim, today: dt.date) -> list[Finding]:
    dups = [(ln.line_number, ln.duplicate_of) for ln in c.lines if ln.duplicate_of]
    if not dups:
        return []
    return [Finding("SCRUB_DUPLICATE", "Possible duplicate: " + "; ".join(
        f"line {n} repeats a line of claim {other} (same patient, date, code and rendering provider)"
        for n, other in dups) + ".")]


def rule_payer_unknown(c: ScrubClaim, today: dt.date) -> list[Finding]:
    if c.payer_identifier and c.payer_identifier.strip():
        return []
    return [Finding("SCRUB_PAYER_UNKNOWN", "The payer has no clearinghouse payer id; add it to the payer "
                                           "file before the claim can be sent.")]


RULES: list[tuple[str, Rule]] = [
    ("SCRUB_NPI", rule_npi),
    ("SCRUB_ICD10_NOT_BILLABLE", rule_icd10_billable),
    ("SCRUB_CPT_FORMAT", rule_cpt_format),
    ("SCRUB_MODIFIER", rule_modifiers),
    ("SCRUB_MODIFIER_25", rule_modifier_25),
    ("SCRUB_MODIFIER_59", rule_modifier_59),
    ("SCRUB_DX_POINTER", rule_dx_pointers),
    ("SCRUB_TOTALS", rule_totals),
    ("SCRUB_DOS_FUTURE", rule_dos_future),
    ("SCRUB_TIMELY_FILING", rule_timely_filing),
    ("SCRUB_DUPLICATE", rule_duplicate),
    ("SCRUB_PAYER_UNKNOWN", rule_payer_unknown),
]


def scrub_claim(c: ScrubClaim, today: dt.date) -> list[Finding]:
    """All findings of all rules for one claim (empty: the claim is clean)."""
    out: list[Finding] = []
    for _code, rule in RULES:
        out += rule(c, today)
    return out


# --------------------------------------------------------------------------- the DB step

def load_claims(conn, claim_ids=None) -> list[ScrubClaim]:
    """Claims in status new (they passed data quality and eligibility), with lines, set-based."""
    from include.billing.rcm_sql import query

    claims: dict[int, ScrubClaim] = {}
    for r in conn.execute(query("submission", "scrub_claims"), {"claim_ids": claim_ids}).fetchall():
        claims[r[0]] = ScrubClaim(
            claim_id=r[0], claim_number=r[1], date_of_service=r[2], total_charge=r[3],
            diagnosis_codes=list(r[4] or []), lines=[], billing_npi=r[5], rendering_npi=r[6],
            referring_npi=r[7], payer_identifier=r[8], timely_filing_days=r[9], filing_from=r[10])
    for r in conn.execute(query("submission", "scrub_lines"), {"claim_ids": claim_ids}).fetchall():
        c = claims.get(r[0])
        if c is not None:
            c.lines.append(ScrubLine(line_number=r[1], procedure_code=r[2], charge=r[3], units=r[4],
                                     modifiers=list(r[5] or []), dx_pointers=list(r[6] or []),
                                     service_date=r[7], duplicate_of=r[8]))
    return list(claims.values())


def _judged_values(conn, claim_ids: list[int] | None = None) -> dict:
    """The parameters of scrub_findings: what the rules judge per value, judged once per distinct value of
    the claims to scrub (scrub_values: every waiting claim, or the named ones)."""
    from include.billing.rcm_sql import run

    judged: dict[str, list] = {"billing_provider": [], "provider": [], "payer": [], "diagnosis": []}
    bad_billing, bad_providers, non_billable, blank_payers = [], [], [], []
    for r in run(conn, "submission", "scrub_values", {"claim_ids": claim_ids}).fetchall():
        judged[r.kind].append(r.value if r.kind == "diagnosis" else r.id)
        if r.kind == "billing_provider" and not _npi_ok(r.value):
            bad_billing.append(r.id)
        elif r.kind == "provider" and r.value and not _npi_ok(r.value):      # rule_npi: an NPI that is there
            bad_providers.append(r.id)
        elif r.kind == "payer" and not (r.value and r.value.strip()):         # rule_payer_unknown
            blank_payers.append(r.id)
        elif r.kind == "diagnosis" and not icd10_billable(r.value):
            non_billable.append(r.value)
    return {"bad_billing_providers": bad_billing, "bad_providers": bad_providers, "non_billable": non_billable,
            "blank_payers": blank_payers, "judged_billing_providers": judged["billing_provider"],
            "judged_providers": judged["provider"], "judged_payers": judged["payer"],
            "judged_codes": judged["diagnosis"], "known_modifiers": sorted(KNOWN_MODIFIERS),
            "distinct_service_modifiers": list(DISTINCT_SERVICE_MODIFIERS), "claim_ids": claim_ids}


@dataclass(frozen=True)
class Scrubbed:
    claim_id: int
    claim_number: str
    findings: list[Finding]      # the first finding of each rule, in rule order; empty: clean


def scrub_claims_sql(conn, claim_ids: list[int] | None, today: dt.date) -> dict[int, Scrubbed]:
    """The rules (scrub_findings) over the named claims, whatever their status, or every claim in status new
    (claim_ids None). A waiting claim that names a value not judged yet is left out (scrubbed next run)."""
    from include.billing.rcm_sql import query

    rows = conn.execute(query("submission", "scrub_findings"),
                        {**_judged_values(conn, claim_ids), "today": today}).fetchall()
    return {claim_id: Scrubbed(claim_id, claim_number, [Finding(c, m) for c, m in zip(codes, messages)])
            for claim_id, claim_number, codes, messages in rows}


def scrub_pending_claims(conn, *, actor: str, today: dt.date) -> dict:
    """Scrub every claim waiting for it: failures -> work queue + held, the rest -> ready.

    Set-based: the rules run as one query (scrub_findings) over every waiting claim; what they judge per
    value (NPI check digits, the ICD-10-CM code set, blank payer ids) is judged here once per distinct
    value. The findings are what scrub_claim finds, word for word (tests/unit/submission/test_scrub_sql.py).
    """
    from include.billing.claims import WorkItem, hold_claims, move_claims

    rows = scrub_claims_sql(conn, None, today)
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
