"""A seeded synthetic world for the sandbox tests: payers, a roster, 837P claims."""
from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

from include.billing.npi import npi_check_digit
from include.edi.model import (
    Address,
    Claim837,
    OtherPayerAdjudication,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)
from include.edi.x837p import build_837p

SUBMITTER = Submitter(name="ACME BILLING", id="ACME01")
RECEIVER = Receiver(name="SANDBOX CLEARINGHOUSE", id="SANDBOX")
PAYERS = [("BCBS01", "BLUE PLAN", "BL"), ("MCR01", "MEDICARE", "MB"), ("AETNA", "AETNA LIKE", "CI"),
          ("MCD01", "STATE MEDICAID", "MC"), ("UHC01", "UNITED LIKE", "CI"), ("CIGNA", "CIGNA LIKE", "CI"),
          ("BCHMO", "HMO LIKE", "HM")]
RECEIVED = dt.datetime(2026, 3, 2, 9, 0)
BILLABLE = ["J069", "E119", "I10", "Z0000", "R059", "K219", "F329", "M5450"]
CPT = [("99213", "120.00"), ("99214", "185.50"), ("36415", "18.00"), ("80053", "62.25"), ("93000", "75.00"),
       ("97110", "49.99"), ("90471", "31.10")]


def npi(n: int) -> str:
    base = f"1{n:08d}"
    return base + npi_check_digit(base)


def bad_npi(n: int) -> str:
    good = npi(n)
    return good[:9] + str((int(good[9]) + 1) % 10)


BILLING = Provider(org_name="ACME MEDICAL GROUP", npi=npi(1), taxonomy="207Q00000X", tax_id="123456789",
                   address=Address("100 MAIN ST", "SPRINGFIELD", "IL", "627011234"))


def roster_dict(n_members: int = 300, seed: int = 5) -> dict:
    rng = random.Random(seed)
    members = []
    for i in range(n_members):
        payer = PAYERS[i % len(PAYERS)][0]
        terminated = i % 25 == 24
        copay = rng.choice(["0.00", "25.00", "40.00"])
        members.append({
            "payer_id": payer, "member_id": f"MBR{i:06d}", "last_name": f"LAST{i}", "first_name": f"FIRST{i}",
            "birth_date": f"19{50 + i % 50:02d}-0{1 + i % 9}-1{i % 9}", "sex": "F" if i % 2 else "M",
            "group_number": f"GRP{i % 7}", "status": "terminated" if terminated else "active",
            "plan_begin": "2025-01-01", "plan_end": "2026-01-31" if terminated else None,
            "copay": copay, "coinsurance": rng.choice(["0.10", "0.20", "0.30"]),
            "deductible": rng.choice(["500.00", "1500.00", "3000.00"]),
            "deductible_met": rng.choice(["0.00", "250.00", "3000.00"]),
            "out_of_pocket_max": "6000.00"})
    return {"members": members, "payers": [{"payer_id": p, "name": n, "claim_filing_indicator": c}
                                           for p, n, c in PAYERS]}


def write_roster(path: Path, **kw) -> dict:
    d = roster_dict(**kw)
    path.write_text(json.dumps(d))
    return d


def make_claim(i: int, member: dict, rng: random.Random, *, lines: int | None = None, dx=None,
               rendering_npi: str | None = None, dos: dt.date | None = None, member_id: str | None = None,
               prior_auth: bool | None = None) -> Claim837:
    nlines = lines or rng.choice([1, 1, 2, 3, 4])
    dos = dos or (RECEIVED.date() - dt.timedelta(days=rng.randint(2, 30)))
    visit = f"V{i:07d}"
    claim_id = f"{visit}P1"
    ls = []
    for k in range(1, nlines + 1):
        code, charge = rng.choice(CPT)
        ls.append(ServiceLine(line_control_number=f"{claim_id}L{k}", procedure_code=code, charge=Decimal(charge),
                              units=Decimal(1), service_date=dos, dx_pointers=[1]))
    payer_id = member["payer_id"]
    pname = dict((p, n) for p, n, _ in PAYERS)[payer_id]
    sub = Subscriber(member_id=member_id if member_id is not None else member["member_id"],
                     last_name=member["last_name"], first_name=member["first_name"],
                     birth_date=dt.date.fromisoformat(member["birth_date"]), sex=member["sex"],
                     address=Address("1 ELM ST", "SPRINGFIELD", "IL", "62701"), group_number=member["group_number"],
                     claim_filing_indicator=dict((p, c) for p, _, c in PAYERS)[payer_id])
    return Claim837(claim_id=claim_id, total_charge=sum((x.charge for x in ls), Decimal(0)), place_of_service="11",
                    billing_provider=BILLING, subscriber=sub, payer=Payer(name=pname, payer_id=payer_id), lines=ls,
                    diagnosis_codes=dx or [rng.choice(BILLABLE)],
                    rendering_provider=Provider(last_name="SMITH", first_name="ANN", npi=rendering_npi or npi(7)),
                    prior_authorization=("AUTH" + str(i)) if (prior_auth if prior_auth is not None
                                                              else rng.random() < 0.5) else None)


def secondary_of(c: Claim837, primary_paid: Decimal, primary_pr: Decimal) -> Claim837:
    c.subscriber.payer_responsibility = "S"
    c.other_payers = [OtherPayerAdjudication(
        payer_name="FIRST PAYER", payer_id="FP001", subscriber_last_name=c.subscriber.last_name,
        subscriber_first_name=c.subscriber.first_name, subscriber_member_id="X999", payer_responsibility="P",
        paid_amount=primary_paid, adjustments=[("CO", "45", c.total_charge - primary_paid - primary_pr),
                                               ("PR", "2", primary_pr)],
        adjudication_date=RECEIVED.date() - dt.timedelta(days=1))]
    return c


def active_members(roster: dict) -> list[dict]:
    return [m for m in roster["members"] if m["status"] == "active"]


def build_file(claims: list[Claim837], icn: int, per_tx: int = 5000) -> bytes:
    return build_837p(claims, submitter=SUBMITTER, receiver=RECEIVER, interchange_control_number=icn,
                      group_control_number=icn, first_transaction_control_number=1,
                      max_claims_per_transaction=per_tx, created=RECEIVED)
