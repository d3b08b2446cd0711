"""The denial routing table (include/billing/codes/denial_routes.csv) and the choice of a route.

A denial — claim level (CLP02=4, or nothing paid and nothing allowed) or line level (one SVC
adjusted in full) — is routed by its group code, CARC and RARCs to a category, an action, the
next step a person takes and a one-line reason with its source. The table is data: a denial
specialist reads and signs off the CSV, and tests/unit/denials/test_routing_table.py runs every
row against PostgreSQL. Actions:

- ``correct_and_replace``  fix what the item names and send a replacement (frequency 7, REF*F8)
- ``new_claim``            a new claim (frequency 1); COB rows (fix = coverage_order) first open a
                           coverage work item: the visit's coverage order is checked and updated
- ``appeal``               an appeal packet carrying the evidence the row names
- ``bill_patient``         the patient owes it (PR group only: CO/PI/OA never reach the patient)
- ``write_off``            a write-off with the row's adjustment reason
- ``follow_up``            nothing to send yet; check again by the due date

Look-up order: (group, CARC, one of the RARCs, condition), then (group, CARC, no RARC,
condition). PI (payer initiated) and OA (other adjustment) amounts are, like CO, never the
patient's: when they have no row of their own they take the CO row. A code with no row at all
goes to a person (``follow_up``: look the code up). The only condition today is CO-29's:
``filed_in_time`` when our 999/277CA acknowledgments show the claim reached the clearinghouse
or payer inside the payer's filing limit, else ``filed_late``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROUTES_FILE = Path(__file__).resolve().parent / "codes" / "denial_routes.csv"
ACTIONS = ("correct_and_replace", "new_claim", "appeal", "bill_patient", "write_off", "follow_up")
GROUPS = ("CO", "PR", "OA", "PI", "CR")
CONDITIONS = ("", "filed_in_time", "filed_late")
# what a correction or new claim may change; coverage_order is the visit's payer order (PM system)
FIX_FIELDS = ("", "member_id", "prior_authorization", "diagnosis", "modifiers", "dx_pointers", "procedure_code",
              "coverage_order")
EVIDENCE = {
    "proof_of_timely_filing": "Proof of timely filing: the clearinghouse's 999 and the payer's 277CA for the "
                              "original submission, with their dates and control numbers",
    "medical_records": "The visit's medical records (progress note, orders, results)",
    "letter_of_medical_necessity": "The treating physician's letter of medical necessity",
    "coverage_policy": "How the service meets the coverage policy named on the remittance (LCD/NCD)",
    "authorization_record": "The authorization record: number, date obtained, services approved",
}
# write-off reasons (include.billing.workqueue.WRITE_OFF_REASONS keys)
WRITE_OFF_REASONS = ("timely_filing", "non_covered", "bundled", "administrative")


@dataclass(frozen=True)
class Route:
    group: str
    carc: str
    rarc: str
    condition: str
    category: str
    action: str
    fix: str
    write_off_reason: str
    evidence: tuple[str, ...]
    next_step: str
    reason: str
    source: str

    @property
    def key(self) -> str:
        """e.g. CO-29/filed_in_time, CO-22/MA04."""
        k = f"{self.group}-{self.carc}"
        if self.rarc:
            k += f"/{self.rarc}"
        if self.condition:
            k += f"/{self.condition}"
        return k

    @property
    def opens_coverage_item(self) -> bool:
        return self.action == "new_claim" and self.fix == "coverage_order"

    def to_dict(self) -> dict:
        return {"route": self.key, "category": self.category, "action": self.action, "fix": self.fix or None,
                "write_off_reason": self.write_off_reason or None, "evidence": list(self.evidence),
                "next_step": self.next_step, "reason": self.reason, "source": self.source}


@lru_cache(maxsize=None)
def load_routes() -> dict[tuple[str, str, str, str], Route]:
    """The table, keyed by (group, carc, rarc, condition); a bad row names the line and what is wrong."""
    out: dict[tuple[str, str, str, str], Route] = {}
    with ROUTES_FILE.open(newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            r = Route(group=row["group"].strip(), carc=row["carc"].strip(), rarc=row["rarc"].strip(),
                      condition=row["condition"].strip(), category=row["category"].strip(),
                      action=row["action"].strip(), fix=row["fix"].strip(),
                      write_off_reason=row["write_off_reason"].strip(),
                      evidence=tuple(e for e in row["evidence"].strip().split(";") if e),
                      next_step=row["next_step"].strip(), reason=row["reason"].strip(),
                      source=row["source"].strip())
            problems = []
            if r.group not in GROUPS:
                problems.append(f"group {r.group!r}")
            if r.action not in ACTIONS:
                problems.append(f"action {r.action!r}")
            if r.condition not in CONDITIONS:
                problems.append(f"condition {r.condition!r}")
            if r.fix not in FIX_FIELDS:
                problems.append(f"fix {r.fix!r}")
            if r.action == "bill_patient" and r.group != "PR":
                problems.append("only the PR group is billed to the patient")
            if r.action == "write_off" and r.write_off_reason not in WRITE_OFF_REASONS:
                problems.append(f"write-off reason {r.write_off_reason!r}")
            if r.action == "appeal" and not r.evidence:
                problems.append("an appeal names its evidence")
            if any(e not in EVIDENCE for e in r.evidence):
                problems.append(f"evidence {r.evidence!r}")
            if not (r.next_step and r.reason and r.source):
                problems.append("next step, reason and source are required")
            if (r.group, r.carc, r.rarc, r.condition) in out:
                problems.append("duplicate row")
            if problems:
                raise ValueError(f"{ROUTES_FILE.name} line {n} ({r.key}): " + "; ".join(problems))
            out[(r.group, r.carc, r.rarc, r.condition)] = r
    return out


def conditions_of(carc: str) -> tuple[str, ...]:
    """The conditions the table distinguishes for a CARC ('' when none)."""
    return tuple(sorted({k[3] for k in load_routes() if k[1] == carc})) or ("",)


def needs_filing_proof(carc: str) -> bool:
    return "filed_in_time" in conditions_of(carc)


def route(group: str, carc: str, rarcs=(), *, condition: str = "") -> Route:
    """The route of one denied adjustment (group code, CARC, its RARCs)."""
    table = load_routes()
    rarcs = [r for r in rarcs if r]
    groups = [group] + (["CO"] if group in ("OA", "PI") else [])
    for g in groups:
        for r in rarcs:
            hit = table.get((g, carc, r, condition))
            if hit:
                return hit
        hit = table.get((g, carc, "", condition))
        if hit:
            return hit
    if group == "PR":
        return Route(group, carc, "", condition, "patient responsibility", "bill_patient", "", "", (),
                     "Bill the patient", "PR group: the payer assigned the amount to the patient", "X12 group code PR")
    return Route(group, carc, "", condition, "unrouted", "follow_up", "", "", (),
                 f"Look up {group}-{carc} in the X12 CARC list and decide the action; add a row to the routing table",
                 "This code has no row in the routing table: a person decides", "include/billing/codes/denial_routes.csv")
