"""A small, hand-written ledger with known answers (see test_kpis.py for the arithmetic).

Report period: March 2026, as of 2026-03-31 (UTC). Two payers (Acme, Beta), two rendering
providers (Dr Avery, Dr Brook), 20 claims whose events, batches, remittances (with their
payment dates, BPR16, and service lines where a case needs them), adjustments, patient-ledger
entries and work items are written out below, each with the case it covers.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal

PERIOD_START, PERIOD_END, AS_OF = date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 31)


def T(month: int, day: int, hour: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


D = Decimal
ACK, ACC, SUB, REJ, RDY = "acknowledged", "accepted", "submitted", "rejected", "ready"

# key: (payer, provider, date of service, completed_at, charge, [(to_status, at, event_type)], extra)
CLAIMS = {
    # clean: accepted first pass, paid 80 + CO-45 20
    "C1": ("acme", "avery", date(2026, 3, 2), T(3, 2, 10), D("100.00"),
           [(RDY, T(3, 2, 11), "scrubbed_clean"), (SUB, T(3, 3, 10), "submitted"), (ACK, T(3, 3, 12), "999_accepted"), (ACC, T(3, 4, 10), "277ca_accepted"),
            ("paid", T(3, 10, 10), "835_paid")], {}),
    # clean, partially paid: 120 + CO-45 50 + PR-1 30 (patient pays 10 of it)
    "C2": ("acme", "avery", date(2026, 3, 2), T(3, 2, 12), D("200.00"),
           [(RDY, T(3, 2, 13), "scrubbed_clean"), (SUB, T(3, 3, 10), "submitted"), (ACK, T(3, 3, 12), "999_accepted"), (ACC, T(3, 4, 10), "277ca_accepted"),
            ("partially_paid", T(3, 12, 10), "835_partially_paid")], {}),
    # 999 rejection of its first batch, corrected, resubmitted, accepted, paid in full
    "C3": ("beta", "brook", date(2026, 3, 2), T(3, 2, 9), D("150.00"),
           [(RDY, T(3, 2, 10), "scrubbed_clean"), (SUB, T(3, 4, 9), "submitted"), (REJ, T(3, 4, 11), "999_rejected"), ("ready", T(3, 5, 9), "corrected"),
            (SUB, T(3, 6, 9), "submitted"), (ACK, T(3, 6, 11), "999_accepted"), (ACC, T(3, 7, 9), "277ca_accepted"),
            ("paid", T(3, 15, 9), "835_paid")], {}),
    # 999 accepted, 277CA A1 from the clearinghouse (receipt: stays acknowledged, an event that changes
    # no status), then the payer's A3: rejected at as_of (payer A/R, work item open); fails first pass
    "C4": ("beta", "avery", date(2026, 3, 5), T(3, 5, 10), D("300.00"),
           [(RDY, T(3, 5, 11), "scrubbed_clean"), (SUB, T(3, 6, 10), "submitted"), (ACK, T(3, 6, 12), "999_accepted"),
            (ACK, T(3, 6, 14), "ack_277ca_clearinghouse"), (REJ, T(3, 7, 10), "277ca_rejected")], {}),
    # denied CO-16, denial work item open -> under review, stays in payer A/R
    "C5": ("acme", "brook", date(2026, 3, 6), T(3, 6, 10), D("250.00"),
           [(RDY, T(3, 6, 11), "scrubbed_clean"), (SUB, T(3, 7, 10), "submitted"), (ACK, T(3, 7, 12), "999_accepted"), (ACC, T(3, 8, 22), "277ca_accepted"),
            ("denied", T(3, 16, 10), "835_denied")], {}),
    # denied CO-4, then replaced by C6R (frequency 7)
    "C6": ("beta", "brook", date(2026, 3, 6), T(3, 6, 11), D("400.00"),
           [(RDY, T(3, 6, 12), "scrubbed_clean"), (SUB, T(3, 7, 10), "submitted"), (ACK, T(3, 7, 12), "999_accepted"), (ACC, T(3, 8, 10), "277ca_accepted"),
            ("denied", T(3, 14, 10), "835_denied"), ("replaced", T(3, 17, 10), "replaced")], {}),
    # the replacement of C6: version 2, frequency 7, same visit; paid 300 + CO-45 100
    "C6R": ("beta", "brook", date(2026, 3, 6), None, D("400.00"),
            [(RDY, T(3, 17, 11), "released"), (SUB, T(3, 17, 12), "submitted"), (ACK, T(3, 17, 14), "999_accepted"), (ACC, T(3, 18, 12), "277ca_accepted"),
             ("paid", T(3, 25, 12), "835_paid")], {"replaces": "C6", "created_at": T(3, 17, 10)}),
    # paid 100 + CO-45 20, then the payer reversed the payment (CLP02 22)
    "C7": ("acme", "avery", date(2026, 3, 9), T(3, 9, 10), D("120.00"),
           [(RDY, T(3, 9, 11), "scrubbed_clean"), (SUB, T(3, 10, 10), "submitted"), (ACK, T(3, 10, 12), "999_accepted"), (ACC, T(3, 11, 10), "277ca_accepted"),
            ("paid", T(3, 18, 10), "835_paid"), ("reversed", T(3, 25, 10), "835_reversed")], {}),
    # submitted on the last day, no answer yet
    "C8": ("acme", "brook", date(2026, 3, 30), T(3, 30, 22), D("90.00"),
           [(RDY, T(3, 30, 23), "scrubbed_clean"), (SUB, T(3, 31, 10), "submitted")], {}),
    # held by scrubbing, never submitted: not A/R
    "C9": ("beta", "avery", date(2026, 3, 20), T(3, 20, 10), D("75.00"),
           [("held", T(3, 20, 12), "scrub_failed")], {}),
    # January claim still pending at the payer (age 80 days)
    "C10": ("acme", "avery", date(2026, 1, 10), T(1, 10, 10), D("500.00"),
            [(RDY, T(1, 10, 11), "scrubbed_clean"), (SUB, T(1, 11, 10), "submitted"), (ACK, T(1, 11, 12), "999_accepted"), (ACC, T(1, 12, 10), "277ca_accepted"),
             ("pending", T(2, 1, 10), "277_pending")], {}),
    # November 2025 claim accepted and never paid (age 150 days)
    "C11": ("beta", "brook", date(2025, 11, 1), T(11, 1, 10, 2025), D("60.00"),
            [(RDY, T(11, 1, 11, 2025), "scrubbed_clean"), (SUB, T(11, 2, 10, 2025), "submitted"), (ACC, T(11, 3, 10, 2025), "277ca_accepted")], {}),
    # February: submitted and paid before the period (85 + PR-2 25 the patient still owes)
    "C12": ("acme", "avery", date(2026, 2, 10), T(2, 10, 10), D("110.00"),
            [(RDY, T(2, 10, 11), "scrubbed_clean"), (SUB, T(2, 11, 10), "submitted"), (ACK, T(2, 11, 12), "999_accepted"), (ACC, T(2, 12, 10), "277ca_accepted"),
             ("paid", T(2, 20, 10), "835_paid")], {}),
    # 277CA arrived before the 999: the late 999 is an '_ignored' event; paid 64 + CO-45 16
    "C14": ("acme", "brook", date(2026, 3, 10), T(3, 10, 16), D("80.00"),
            [(RDY, T(3, 10, 17), "scrubbed_clean"), (SUB, T(3, 11, 10), "submitted"), (ACC, T(3, 11, 16), "277ca_accepted"),
             (ACC, T(3, 11, 17), "999_accepted_ignored"), ("paid", T(3, 20, 10), "835_paid")], {}),
    # submitted in March, 277CA acceptance only after as_of (acknowledged at as_of); a person looked at
    # its eligibility (W9) between the edits and the submission: not a clean claim
    "C15": ("acme", "avery", date(2026, 3, 26), T(3, 26, 10), D("130.00"),
            [(RDY, T(3, 26, 11), "scrubbed_clean"), (SUB, T(3, 29, 10), "submitted"), (ACK, T(3, 29, 12), "999_accepted"), (ACC, T(4, 2, 10), "277ca_accepted")], {}),
    # February claim accepted, unpaid (age 44 days)
    "C16": ("beta", "brook", date(2026, 2, 15), T(2, 15, 10), D("210.00"),
            [(RDY, T(2, 15, 11), "scrubbed_clean"), (SUB, T(2, 16, 10), "submitted"), (ACC, T(2, 17, 10), "277ca_accepted")], {}),
    # December 2025 claim acknowledged only (age 101 days)
    "C17": ("acme", "avery", date(2025, 12, 20), T(12, 20, 10, 2025), D("95.00"),
            [(RDY, T(12, 20, 11, 2025), "scrubbed_clean"), (SUB, T(12, 21, 10, 2025), "submitted"), (ACK, T(12, 21, 14, 2025), "999_accepted")], {}),
    # all to the deductible: paid 0, CO-45 15, PR-1 75 (T12, BPR16 3/13, posted 3/21). Processed, the patient
    # owes 75: NOT a denial, whatever status posting gave it (here 'denied', as posting did before issue 14)
    "C18": ("beta", "brook", date(2026, 3, 9), T(3, 9, 12), D("90.00"),
            [(RDY, T(3, 9, 13), "scrubbed_clean"), (SUB, T(3, 10, 9), "submitted"), (ACK, T(3, 10, 11), "999_accepted"),
             (ACC, T(3, 11, 9), "277ca_accepted"), ("denied", T(3, 21, 10), "835_denied")], {}),
    # primary with two lines (T14, BPR16 3/22, posted 3/23): 99213 100 -> paid 60, CO-45 20, PR-1 20;
    # 36415 20 -> paid 0, CO-97 20 (a line denial). The 20 PR goes to the secondary, C20
    "C19": ("acme", "avery", date(2026, 3, 16), T(3, 16, 10), D("120.00"),
            [(RDY, T(3, 16, 11), "scrubbed_clean"), (SUB, T(3, 17, 10), "submitted"), (ACK, T(3, 17, 12), "999_accepted"),
             (ACC, T(3, 18, 10), "277ca_accepted"), ("paid", T(3, 23, 10), "835_paid")], {}),
    # C19's secondary (Beta, responsibility S, full charge 120, prior payer paid 60). While open it is
    # worth what the primary left: 20. T13 (BPR16 3/30, posted 3/31): its allowed is 70 for the visit,
    # so 99213 -> paid 10, OA-23 60 (prior payer), CO-45 30; 36415 -> paid 0, CO-97 20; patient owes 0
    "C20": ("beta", "avery", date(2026, 3, 16), None, D("120.00"),
            [(RDY, T(3, 24, 9), "scrubbed_clean"), (SUB, T(3, 24, 10), "submitted"), (ACK, T(3, 24, 12), "999_accepted"),
             (ACC, T(3, 25, 10), "277ca_accepted"), ("paid", T(3, 31, 10), "835_paid")],
            {"secondary_of": "C19", "created_at": T(3, 23, 11), "prior_payer_paid": D("60.00")}),
}

# batches: (key, payer, created_at, state, claims)
BATCHES = [
    ("B1", "acme", T(3, 3, 10), "accepted", ["C1", "C2"]),
    ("B2", "beta", T(3, 4, 9), "rejected", ["C3"]),
    ("B3", "beta", T(3, 6, 9), "accepted", ["C3", "C4"]),
    ("B4", "acme", T(3, 7, 10), "accepted", ["C5", "C6"]),
]

# remittances: (trace, payer, posted_at, amount, state, [(claim, CLP02, charge, paid, patient_resp, reversal,
#               [(group, carc, amount)])])
REMITTANCES = [
    ("T1", "acme", T(3, 10, 10), D("80.00"), "posted", [("C1", "1", D("100"), D("80"), D("0"), False, [("CO", "45", D("20"))])]),
    ("T2", "acme", T(3, 12, 10), D("120.00"), "posted",
     [("C2", "1", D("200"), D("120"), D("30"), False, [("CO", "45", D("50")), ("PR", "1", D("30"))])]),
    ("T3", "beta", T(3, 14, 10), D("0.00"), "posted", [("C6", "4", D("400"), D("0"), D("0"), False, [("CO", "4", D("400"))])]),
    ("T4", "beta", T(3, 15, 9), D("150.00"), "posted", [("C3", "1", D("150"), D("150"), D("0"), False, [])]),
    ("T5", "acme", T(3, 16, 10), D("0.00"), "posted", [("C5", "4", D("250"), D("0"), D("0"), False, [("CO", "16", D("250"))])]),
    ("T6", "acme", T(3, 18, 10), D("100.00"), "posted", [("C7", "1", D("120"), D("100"), D("0"), False, [("CO", "45", D("20"))])]),
    ("T7", "acme", T(3, 20, 10), D("64.00"), "posted", [("C14", "1", D("80"), D("64"), D("0"), False, [("CO", "45", D("16"))])]),
    ("T8", "beta", T(3, 25, 12), D("300.00"), "posted", [("C6R", "1", D("400"), D("300"), D("0"), False, [("CO", "45", D("100"))])]),
    ("T9", "acme", T(3, 25, 10), D("-100.00"), "posted",
     [("C7", "22", D("-120"), D("-100"), D("0"), True, [("CO", "45", D("-20"))])]),
    ("T10", "acme", T(2, 20, 10), D("85.00"), "posted", [("C12", "1", D("110"), D("85"), D("25"), False, [("PR", "2", D("25"))])]),
    ("T11", "beta", T(3, 26, 10), D("55.00"), "held", []),
    ("T12", "beta", T(3, 21, 10), D("0.00"), "posted",
     [("C18", "1", D("90"), D("0"), D("75"), False, [("CO", "45", D("15")), ("PR", "1", D("75"))])]),
    ("T13", "beta", T(3, 31, 10), D("10.00"), "posted", [("C20", "2", D("120"), D("10"), D("0"), False, [])]),
    ("T14", "acme", T(3, 23, 10), D("60.00"), "posted", [("C19", "1", D("120"), D("60"), D("20"), False, [])]),
]

# the 835's payment date (BPR16) where it is not the posting day
PAYMENT_DATES = {"T12": date(2026, 3, 13), "T13": date(2026, 3, 30), "T14": date(2026, 3, 22)}

# service lines (SVC) of a claim payment, with their adjustments: (trace, claim) ->
#   [(procedure, charge, paid, [(group, carc, amount)])]
LINES = {
    ("T14", "C19"): [("99213", D("100"), D("60"), [("CO", "45", D("20")), ("PR", "1", D("20"))]),
                     ("36415", D("20"), D("0"), [("CO", "97", D("20"))])],
    ("T13", "C20"): [("99213", D("100"), D("10"), [("OA", "23", D("60")), ("CO", "45", D("30"))]),
                     ("36415", D("20"), D("0"), [("CO", "97", D("20"))])],
}

# patient ledger: (patient, claim or None, entry_type, amount, created_at)
PATIENT_LEDGER = [
    ("p2", "C2", "patient_responsibility", D("30.00"), T(3, 12, 10)),
    ("p2", "C2", "patient_payment", D("-10.00"), T(3, 20, 10)),
    ("p3", None, "adjustment", D("15.00"), T(3, 21, 10)),
    ("p1", "C12", "patient_responsibility", D("25.00"), T(2, 20, 10)),
    ("p4", "C18", "patient_responsibility", D("75.00"), T(3, 21, 10)),
]

# work items: (key, claim, visit (when no claim), source, reason, state, created_at, resolved_at)
WORK_ITEMS = [
    ("W1", "C3", None, "999", "ACK999_REJECTED", "resolved", T(3, 4, 11), T(3, 5, 9)),
    ("W2", "C4", None, "277CA", "ACK277CA_REJECTED", "open", T(3, 7, 10), None),
    ("W3", "C5", None, "denial", "CARC_CO-16", "open", T(3, 16, 11), None),
    ("W4", "C6", None, "denial", "CARC_CO-4", "resolved", T(3, 14, 11), T(3, 17, 10)),
    ("W5", "C9", None, "scrubbing", "SCRUB_NPI", "open", T(3, 20, 12), None),
    ("W6", None, "V0000099", "data_quality", "DQ_MEMBER_ID", "open", T(3, 25, 8), None),
    ("W7", "C8", None, "eligibility", "ELIG_ERROR", "open", T(4, 1, 1), None),        # after as_of
    ("W8", "C16", None, "eligibility", "ELIG_UNKNOWN", "resolved", T(3, 28, 0), T(4, 1, 6)),  # open at as_of
    ("W9", "C15", None, "eligibility", "ELIG_UNKNOWN", "resolved", T(3, 27, 9), T(3, 28, 9)),  # before submission
]

PATIENTS = {"p1": "0001", "p2": "0002", "p3": "0003", "p4": "0004"}
CLAIM_PATIENT = {"C2": "p2", "C18": "p4"}  # everyone else is p1 (patients don't matter to any KPI but patient A/R)


def build(conn) -> dict[str, int]:
    """Insert the ledger; returns claim key -> claim id."""
    x = conn.execute
    bp = x("""INSERT INTO pm.billing_providers (npi, organization_name, tax_id, taxonomy_code, address1, city, state, zip)
              VALUES ('1234567893', 'Riverside Family Practice', '123456789', '207Q00000X', '1 Main St', 'Springfield',
                      'IL', '627010001') RETURNING id""").fetchone()[0]
    prov = {k: x("INSERT INTO pm.providers (npi, last_name, first_name) VALUES (%s, %s, %s) RETURNING id",
                 (npi, last, first)).fetchone()[0]
            for k, npi, last, first in [("avery", "1245319599", "Avery", "Dana"), ("brook", "1679576722", "Brook", "Sam")]}
    payer = {k: x("""INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator) VALUES (%s, %s, 'CI')
                     RETURNING id""", (name, ident)).fetchone()[0]
             for k, name, ident in [("acme", "Acme Health", "ACME"), ("beta", "Beta Insurance", "BETA")]}
    pat = {k: x("""INSERT INTO pm.patients (mrn, last_name, first_name, birth_date, sex, address1, city, state, zip)
                   VALUES (%s, 'Testpatient', 'Pat', '1980-01-01', 'U', '2 Oak St', 'Springfield', 'IL', '62701')
                   RETURNING id""", (f"MRN{mrn}",)).fetchone()[0] for k, mrn in PATIENTS.items()}

    def visit(number, patient, provider, dos, completed):
        return x("""INSERT INTO pm.visits (visit_number, patient_id, billing_provider_id, rendering_provider_id,
                        place_of_service, date_of_service, status, completed_at)
                    VALUES (%s, %s, %s, %s, '11', %s, 'completed', %s) RETURNING id""",
                 (number, patient, bp, provider, dos, completed)).fetchone()[0]

    ids: dict[str, int] = {}
    visits: dict[str, int] = {"V0000099": visit("V0000099", pat["p3"], prov["avery"], date(2026, 3, 24), T(3, 24, 10))}
    for n, (key, (py, pr, dos, completed, charge, events, extra)) in enumerate(CLAIMS.items(), start=1):
        replaces, secondary_of = extra.get("replaces"), extra.get("secondary_of")
        resp, prior = "P", None
        if replaces:
            visit_id, number = ids[replaces + ":visit"], ids[replaces + ":number"]
            version, freq = 2, "7"
        elif secondary_of:
            visit_id, number = ids[secondary_of + ":visit"], ids[secondary_of + ":number"]
            version, freq, resp = 1, "1", "S"
            prior = json.dumps({"primary_claim_id": ids[secondary_of]})
        else:
            number = f"V{n:07d}"
            visit_id = visit(number, pat[CLAIM_PATIENT.get(key, "p1")], prov[pr], dos, completed)
            version, freq = 1, "1"
        created = extra.get("created_at") or completed
        final = max(events, key=lambda e: e[1])[0]
        first_sub = min((e[1] for e in events if e[0] == SUB), default=None)
        cid = x("""INSERT INTO billing.claims (claim_number, visit_id, payer_id, responsibility, version, frequency_code,
                       replaces_claim_id, status, total_charge, date_of_service, created_at, submitted_at,
                       prior_payer_paid, prior_payer_adjustments)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                (f"{number}{resp}{version}", visit_id, payer[py], resp, version, freq, ids.get(replaces), final, charge,
                 dos, created, first_sub, extra.get("prior_payer_paid"), prior)).fetchone()[0]
        ids[key], ids[key + ":visit"], ids[key + ":number"] = cid, visit_id, number
        status = "new"
        for to_status, at, event_type in sorted(events, key=lambda e: e[1]):
            x("""INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor, occurred_at)
                 VALUES (%s, %s, %s, %s, 'test:ledger', %s)""", (cid, event_type, status, to_status, at))
            status = to_status

    for n, (key, py, created, state, claims) in enumerate(BATCHES, start=1):
        bid = x("""INSERT INTO billing.submission_batches (batch_key, trading_partner, payer_id, interchange_control_number,
                       group_control_number, transaction_control_number, file_name, state, claim_count, created_at)
                   VALUES (%s, 'sandbox', %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                (key, payer[py], n, n, n, f"{key}.837", state, len(claims), created)).fetchone()[0]
        for c in claims:
            x("INSERT INTO billing.batch_claims (batch_id, claim_id) VALUES (%s, %s)", (bid, ids[c]))

    for trace, py, posted, amount, state, clps in REMITTANCES:
        content = f"835 {trace}".encode()
        fid = x("""INSERT INTO billing.edi_files (direction, transaction_type, file_name, sha256, size_bytes, content, origin)
                   VALUES ('in', '835', %s, %s, %s, %s, 'test') RETURNING id""",
                (f"{trace}.835", hashlib.sha256(content).hexdigest(), len(content), content)).fetchone()[0]
        rid = x("""INSERT INTO billing.remittances (edi_file_id, transaction_index, payer_identifier, trace_number,
                       payment_amount, payment_date, state, posted_at)
                   VALUES (%s, 1, %s, %s, %s, %s, %s, %s) RETURNING id""",
                (fid, py.upper(), trace, amount, PAYMENT_DATES.get(trace, posted.date()), state, posted)).fetchone()[0]
        for i, (claim, code, charge, paid, resp, reversal, adjs) in enumerate(clps, start=1):
            reverses = None
            if reversal:
                reverses = x("SELECT id FROM billing.claim_payments WHERE claim_id = %s AND NOT is_reversal",
                             (ids[claim],)).fetchone()[0]
            cpid = x("""INSERT INTO billing.claim_payments (remittance_id, clp_index, claim_id, status_code, charge, paid,
                            patient_responsibility, is_reversal, reverses_payment_id)
                        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                     (rid, i, ids[claim], code, charge, paid, resp, reversal, reverses)).fetchone()[0]
            pos = 0
            for group, carc, amt in adjs:
                pos += 1
                x("""INSERT INTO billing.adjustments (claim_payment_id, position, group_code, reason_code, amount)
                     VALUES (%s, %s, %s, %s, %s)""", (cpid, pos, group, carc, amt))
            for svc, (proc, l_charge, l_paid, l_adjs) in enumerate(LINES.get((trace, claim), []), start=1):
                lpid = x("""INSERT INTO billing.line_payments (claim_payment_id, svc_index, procedure_code, charge, paid)
                            VALUES (%s, %s, %s, %s, %s) RETURNING id""", (cpid, svc, proc, l_charge, l_paid)).fetchone()[0]
                for group, carc, amt in l_adjs:
                    pos += 1
                    x("""INSERT INTO billing.adjustments (claim_payment_id, line_payment_id, position, group_code,
                             reason_code, amount) VALUES (%s, %s, %s, %s, %s, %s)""", (cpid, lpid, pos, group, carc, amt))

    for n, (p, claim, entry, amount, created) in enumerate(PATIENT_LEDGER, start=1):
        x("""INSERT INTO billing.patient_ledger (patient_id, claim_id, entry_type, amount, source_key, created_at)
             VALUES (%s, %s, %s, %s, %s, %s)""", (pat[p], ids.get(claim), entry, amount, f"test:{n}", created))

    for key, claim, visit_number, source, reason, state, created, resolved in WORK_ITEMS:
        x("""INSERT INTO billing.work_queue (claim_id, visit_id, source, reason_code, explanation, details, state,
                 dedupe_key, created_at, resolved_at)
             VALUES (%s, %s, %s, %s, 'fixture item', %s, %s, %s, %s, %s)""",
          (ids.get(claim), visits.get(visit_number) if visit_number else ids.get(claim + ":visit"), source, reason,
           json.dumps({}), state, key, created, resolved))
    conn.commit()
    return ids
