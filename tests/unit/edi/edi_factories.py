"""Claim factories shared by the edi tests (imported as tests.unit.edi.factories or via conftest)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from include.edi.model import (
    Address,
    Claim837,
    LineAdjudication,
    OtherPayerAdjudication,
    PatientDependent,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)

SUBMITTER = Submitter(name="ACME BILLING", id="ACME01")
RECEIVER = Receiver(name="SANDBOX CLEARINGHOUSE", id="SANDBOX")
CREATED = dt.datetime(2026, 3, 1, 12, 30)

BILLING = Provider(org_name="ACME MEDICAL GROUP", npi="1234567893", taxonomy="207Q00000X",
                   tax_id="123456789",
                   address=Address("100 MAIN ST", "SPRINGFIELD", "IL", "627011234"))
PAYER = Payer(name="BIG HEALTH PLAN", payer_id="BHP01",
              address=Address("PO BOX 1", "CHICAGO", "IL", "606010001"))


def subscriber(n=1, rel="18"):
    return Subscriber(member_id=f"M{n:08d}", last_name="DOE", first_name=f"JANE{n}",
                      birth_date=dt.date(1980, 1, 1 + n % 27), sex="F",
                      address=Address("1 ELM ST", "SPRINGFIELD", "IL", "62701", line2="APT 2"),
                      group_number="GRP1", relationship_code=rel, claim_filing_indicator="CI",
                      payer_responsibility="P")


def line(i, code="99213", charge="100.00", **kw):
    return ServiceLine(line_control_number=f"L{i}", procedure_code=code, charge=Decimal(charge),
                       units=Decimal(1), service_date=dt.date(2026, 2, 1), **kw)


def claim(n=1, lines=1, **kw):
    ls = [line(i) for i in range(1, lines + 1)]
    base = dict(claim_id=f"C{n:06d}", total_charge=sum((x.charge for x in ls), Decimal(0)),
                place_of_service="11", billing_provider=BILLING, subscriber=subscriber(n),
                payer=PAYER, lines=ls, diagnosis_codes=["J069"])
    base.update(kw)
    return Claim837(**base)


def dependent_claim(n=1):
    c = claim(n, subscriber=subscriber(n, rel="19"))
    c.patient = PatientDependent(last_name="DOE", first_name="KID", birth_date=dt.date(2015, 5, 5),
                                 sex="M", relationship_code="19",
                                 address=Address("1 ELM ST", "SPRINGFIELD", "IL", "62701"))
    return c


def secondary_claim(n=1):
    c = claim(n, lines=2, subscriber=Subscriber(**{**subscriber(n).__dict__, "payer_responsibility": "S"}))
    c.other_payers = [OtherPayerAdjudication(
        payer_name="FIRST PAYER", payer_id="FP001", subscriber_last_name="DOE",
        subscriber_first_name="JANE", subscriber_member_id="X999", payer_responsibility="P",
        relationship_code="18", claim_filing_indicator="CI", paid_amount=Decimal("120.00"),
        adjustments=[("CO", "45", Decimal("50.00")), ("PR", "1", Decimal("30.00"))],
        adjudication_date=dt.date(2026, 2, 20))]
    c.lines[0].adjudications = [LineAdjudication(other_payer_id="FP001", paid=Decimal("60.00"),
                                                 procedure_code="99213", units=Decimal(1),
                                                 adjudication_date=dt.date(2026, 2, 20),
                                                 adjustments=[("CO", "45", Decimal("25.00"))])]
    return c


def rich_claim(n=1):
    """12 diagnoses, 4 modifiers, 50 lines, replacement with REF*F8, providers, accident."""
    ls = []
    for i in range(1, 51):
        ls.append(ServiceLine(line_control_number=f"R{n}-{i}", procedure_code="97110",
                              modifiers=["GP", "59", "KX", "76"], charge=Decimal("35.25"),
                              units=Decimal(2), service_date=dt.date(2026, 1, 1 + i % 28),
                              dx_pointers=[1, 2, 3, 4],
                              ndc="00002143301" if i == 1 else None,
                              ndc_units=Decimal("1.5") if i == 1 else None))
    return Claim837(
        claim_id=f"RICH{n}", total_charge=sum((x.charge for x in ls), Decimal(0)), place_of_service="11",
        billing_provider=BILLING, subscriber=subscriber(n), payer=PAYER, lines=ls,
        diagnosis_codes=["M545", "M5416", "G8929", "R262", "M6281", "Z9181", "M25561", "M25562",
                         "R531", "I10", "E119", "Z7901"],
        frequency_code="7", payer_claim_control_number="PCN123456", prior_authorization="AUTH77",
        onset_date=dt.date(2025, 12, 1), accident_type="AA", accident_state="IL",
        accident_date=dt.date(2025, 11, 30),
        rendering_provider=Provider(last_name="SMITH", first_name="ANN", npi="1987654320", taxonomy="225100000X"),
        referring_provider=Provider(last_name="JONES", first_name="BOB", npi="1112223330"),
        service_facility=Provider(org_name="ACME CLINIC EAST", npi="1444444440",
                                  address=Address("200 OAK ST", "SPRINGFIELD", "IL", "627020000")),
        pay_to=Provider(org_name="ACME LOCKBOX", address=Address("PO BOX 99", "SPRINGFIELD", "IL", "627030000")))
