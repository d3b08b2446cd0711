"""A small ledger for the Billing UI tests: one practice, a few claims, work items of every kind.

Built with plain INSERTs so the tests do not depend on the DAGs. Returns the ids tests need.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from hashlib import sha256


def isa(gs_code: str, st: str, body: list[str]) -> bytes:
    segs = [
        "ISA*00*          *00*          *ZZ*SANDBOX        *ZZ*PRACTICE       *261127*0900*^*00501*000000101*0*T*:",
        f"GS*{gs_code}*SANDBOX*PRACTICE*20261127*0900*101*X*005010",
        f"ST*{st}*0001", *body, f"SE*{len(body) + 2}*0001", "GE*1*101", "IEA*1*000000101",
    ]
    return ("~\n".join(segs) + "~\n").encode()


@dataclass
class Ledger:
    payer_id: int
    other_payer_id: int
    provider_id: int
    claims: dict[str, int]          # name -> claim id
    items: dict[str, int]           # name -> work item id
    policy_ids: dict[str, int]
    files: dict[str, int]


def build_ledger(conn, today: date | None = None) -> Ledger:
    today = today or date.today()
    x = conn.execute
    bp = x("""INSERT INTO pm.billing_providers (npi, organization_name, tax_id, taxonomy_code, address1, city, state, zip)
              VALUES ('1234567893', 'Harbor Family Medicine', '123456789', '207Q00000X', '1 Main St', 'Springfield',
                      'IL', '627011234') RETURNING id""").fetchone()[0]
    prov = x("""INSERT INTO pm.providers (npi, last_name, first_name) VALUES ('1245319599', 'Okafor', 'Ada')
                RETURNING id""").fetchone()[0]
    payer = x("""INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator)
                 VALUES ('Acme Health', 'ACME1', 'CI') RETURNING id""").fetchone()[0]
    payer2 = x("""INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator)
                  VALUES ('Blue Plains', 'BLUE1', 'BL') RETURNING id""").fetchone()[0]
    for code, desc, amt in [("99213", "Office visit, established, low", "120.00"),
                            ("93000", "Electrocardiogram", "45.00")]:
        x("INSERT INTO pm.fee_schedule VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (code, desc, amt))

    claims, items, policies, files = {}, {}, {}, {}
    specs = [
        # name, payer, status, member id, dx codes, line pointers, pccn
        ("dq", payer, "held", None, ["E119", "I10"], [[1], [2]], None),
        ("scrub", payer, "held", "ACM100002", ["E11", "I10"], [[1], [3]], None),
        ("rej277", payer2, "rejected", "BLU100003", ["J069"], [[1], [1]], None),
        ("denied", payer, "denied", "ACM100004", ["M545"], [[1], [1]], "PCN0004"),
        ("paid", payer2, "paid", "BLU100005", ["Z0000"], [[1], [1]], "PCN0005"),
    ]
    for n, (name, pay, status, member, dx, pointers, pccn) in enumerate(specs, start=1):
        pat = x("""INSERT INTO pm.patients (mrn, last_name, first_name, birth_date, sex, address1, city, state, zip)
                   VALUES (%s, %s, 'Pat', '1970-01-01', 'F', '2 Elm St', 'Springfield', 'IL', '62701')
                   RETURNING id""", (f"MRN{n:04d}", f"Testperson{n}")).fetchone()[0]
        pol = x("""INSERT INTO pm.insurance_policies (patient_id, payer_id, priority, member_id,
                       subscriber_last_name, subscriber_first_name, subscriber_birth_date, subscriber_sex,
                       subscriber_address1, subscriber_city, subscriber_state, subscriber_zip, effective_date)
                   VALUES (%s, %s, 'primary', %s, %s, 'Pat', '1970-01-01', 'F', '2 Elm St', 'Springfield', 'IL',
                           '62701', '2020-01-01') RETURNING id""", (pat, pay, member, f"Testperson{n}")).fetchone()[0]
        dos = today - timedelta(days=10 + n)
        visit_number = f"V{n:07d}"
        visit = x("""INSERT INTO pm.visits (visit_number, patient_id, billing_provider_id, rendering_provider_id,
                         place_of_service, date_of_service, status, completed_at)
                     VALUES (%s, %s, %s, %s, '11', %s, 'completed', now()) RETURNING id""",
                  (visit_number, pat, bp, prov, dos)).fetchone()[0]
        number = f"{visit_number}P1"
        cid = x("""INSERT INTO billing.claims (claim_number, visit_id, policy_id, payer_id, status, total_charge,
                       diagnosis_codes, date_of_service, payer_claim_control_number, created_at)
                   VALUES (%s, %s, %s, %s, %s, 165.00, %s, %s, %s, now() - interval '9 days') RETURNING id""",
                (number, visit, pol, pay, status, dx, dos, pccn)).fetchone()[0]
        for ln, (code, amount) in enumerate([("99213", "120.00"), ("93000", "45.00")], start=1):
            x("""INSERT INTO billing.claim_lines (claim_id, line_number, line_control_number, procedure_code, units,
                     charge, dx_pointers, service_date) VALUES (%s, %s, %s, %s, 1, %s, %s, %s)""",
              (cid, ln, f"{number}L{ln}", code, amount, pointers[ln - 1], dos))
        x("""INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor, occurred_at,
                                                 dag_id, task_id, run_id, try_number, map_index)
             VALUES (%s, 'created', NULL, 'new', 'dag:claims_submission.build_claims', now() - interval '9 days',
                     'claims_submission', 'build_claims', 'scheduled__2026-01-01T00:00:00+00:00', 1, -1)""",
          (cid,))
        x("""INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor,
                                                 dag_id, task_id, run_id, try_number, map_index)
             VALUES (%s, 'status', 'new', %s, 'dag:claims_submission.scrub',
                     'claims_submission', 'scrub', 'manual__2026-11-27T09:00:00+00:00', 2, -1)""",
          (cid, status))
        claims[name], policies[name] = cid, pol

    # an 837 batch with the 277CA-rejected claim, and the 277CA and 835 files
    f837 = isa("HC", "837", ["BHT*0019*00*0001*20261127*0900*CH", "HL*1**20*1",
                             "CLM*V0000003P1*165***11:B:1*Y*A*Y*Y", "HI*ABK:J069", "LX*1",
                             "SV1*HC:99213*120*UN*1***1", "LX*2", "SV1*HC:93000*45*UN*1***1",
                             "CLM*V0000004P1*165***11:B:1*Y*A*Y*Y", "HI*ABK:M545"])
    f277 = isa("HN", "277", ["BHT*0085*08*277CA1*20261127*0900*TH", "HL*1**20*1", "NM1*PR*2*BLUE PLAINS*****PI*BLUE1",
                             "HL*3**19*2", "NM1*85*2*HARBOR*****XX*1234567893", "HL*4*3*PT",
                             "NM1*QC*1*TESTPERSON3*PAT****MI*BLU100003", "TRN*2*V0000003P1",
                             "STC*A7:562:85*20261127*U*165", "REF*1K*PCN0003", "HL*5*3*PT",
                             "NM1*QC*1*OTHER*PAT****MI*X", "TRN*2*V0000009P1", "STC*A2:20*20261127*WQ*10"])
    f835 = isa("HP", "835", ["BPR*I*0*C*NON************20261127", "TRN*1*TRACE1*1999999999", "N1*PR*ACME HEALTH",
                             "LX*1", "CLP*V0000004P1*4*165*0*0*12*PCN0004", "NM1*QC*1*TESTPERSON4*PAT****MI*ACM100004",
                             "SVC*HC:99213*120*0**1", "CAS*CO*16*120", "LQ*HE*M76", "SVC*HC:93000*45*0**1",
                             "CAS*CO*16*45", "CLP*V0000005P1*1*165*150*15*12*PCN0005"])
    for key, ttype, direction, content in [("837", "837P", "out", f837), ("277ca", "277CA", "in", f277),
                                           ("835", "835", "in", f835)]:
        files[key] = x("""INSERT INTO billing.edi_files (direction, transaction_type, file_name, sha256, size_bytes,
                              content, origin, state)
                          VALUES (%s, %s, %s, %s, %s, %s, 'test', 'applied') RETURNING id""",
                       (direction, ttype, f"test_{key}.x12", sha256(content).hexdigest(), len(content),
                        content)).fetchone()[0]
    batch = x("""INSERT INTO billing.submission_batches (batch_key, trading_partner, payer_id, interchange_control_number,
                     group_control_number, transaction_control_number, file_name, state, edi_file_id, claim_count,
                     total_charge) VALUES ('b1', 'sandbox', %s, 101, 101, 1, 'test_837.x12', 'uploaded', %s, 2, 330)
                 RETURNING id""", (payer2, files["837"])).fetchone()[0]
    for name in ("rej277", "denied"):
        x("INSERT INTO billing.batch_claims VALUES (%s, %s)", (batch, claims[name]))
    rem = x("""INSERT INTO billing.remittances (edi_file_id, transaction_index, payer_identifier, trace_number,
                   payment_amount, payment_date) VALUES (%s, 0, '1999999999', 'TRACE1', 150, %s) RETURNING id""",
            (files["835"], today)).fetchone()[0]
    cp = x("""INSERT INTO billing.claim_payments (remittance_id, clp_index, claim_id, status_code, charge, paid,
                  payer_claim_control_number) VALUES (%s, 0, %s, '4', 165, 0, 'PCN0004') RETURNING id""",
           (rem, claims["denied"])).fetchone()[0]
    x("""INSERT INTO billing.adjustments (claim_payment_id, position, group_code, reason_code, amount, remark_codes)
         VALUES (%s, 0, 'CO', '16', 165, '{M76}')""", (cp,))

    wq = [
        # name, claim, source, reason, explanation, file, due offset, details
        ("dq", "dq", "data_quality", "DQ_MEMBER_ID", "The policy's member id is missing.", None, 2,
         {"field": "member_id", "check": "not null"}),
        ("scrub", "scrub", "scrubbing", "SCRUB_DX_POINTER", "Line 2 points at diagnosis 3; the claim has 2.", None,
         5, {"line_number": 2, "pointer": 3}),
        ("rej277", "rej277", "277CA", "ACK277CA_REJECTED", "277CA A7:562: entity's NPI invalid.", "277ca", -1, {}),
        ("denied", "denied", "denial", "CARC_CO-16", "Denied: missing information (M76 diagnosis).", "835", 20,
         {"carc": "16", "rarcs": ["M76"]}),
        ("paid", "paid", "denial", "CARC_CO-4", "Line 1 modifier inconsistent with procedure.", "835", 30, {}),
    ]
    for name, claim, source, reason, explanation, file_key, due, details in wq:
        items[name] = x("""INSERT INTO billing.work_queue (claim_id, visit_id, edi_file_id, source, reason_code,
                               explanation, details, due_date, dedupe_key, created_at)
                           SELECT c.id, c.visit_id, %s, %s, %s, %s, %s, %s, %s, now() - interval '3 days'
                           FROM billing.claims c WHERE c.id = %s RETURNING id""",
                        (files.get(file_key), source, reason, explanation, json.dumps(details),
                         today + timedelta(days=due), f"{reason}:claim:{claims[claim]}", claims[claim])).fetchone()[0]
    conn.commit()
    return Ledger(payer, payer2, prov, claims, items, policies, files)
