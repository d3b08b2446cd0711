"""A tiny practice with claims in the ledger, and 835/999/277CA files built with include.edi.

Shared by tests/unit/{responses,posting,denials} and the posting bench (import as
tests.unit.posting.factory). Rows are inserted set-based so 10,000 claims take a second.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from include.edi.x835 import Adjustment, ClaimPayment, ProviderAdjustment, Remittance835, ServicePayment, build_835

DOS = dt.date(2026, 3, 2)
PAY_DATE = dt.date(2026, 3, 20)
SENDER, RECEIVER = "SANDBOX", "ACME01"


def seed_practice(conn, n_claims: int = 3, *, lines: int = 2, status: str = "submitted",
                  secondary_for: set[int] = frozenset(), charge: str = "100.00") -> list[dict]:
    """n claims (V0000001P1 …) for n patients, each with `lines` lines of `charge`. Returns claim dicts."""
    conn.execute("""INSERT INTO pm.billing_providers (npi, organization_name, tax_id, taxonomy_code, address1,
                        city, state, zip) VALUES ('1234567893', 'ACME MEDICAL', '123456789', '207Q00000X',
                        '1 MAIN ST', 'SPRINGFIELD', 'IL', '627011234') ON CONFLICT DO NOTHING""")
    conn.execute("""INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator) VALUES
                        ('BIG HEALTH', 'BHP01', 'CI'), ('SECOND PLAN', 'SEC01', 'CI') ON CONFLICT DO NOTHING""")
    conn.execute("""INSERT INTO pm.fee_schedule VALUES ('99213', 'office visit', 100), ('85025', 'cbc', 100),
                        ('36415', 'venipuncture', 100) ON CONFLICT DO NOTHING""")
    bp = conn.execute("SELECT id FROM pm.billing_providers WHERE npi = '1234567893'").fetchone()[0]
    p1 = conn.execute("SELECT id FROM pm.payers WHERE payer_identifier = 'BHP01'").fetchone()[0]
    p2 = conn.execute("SELECT id FROM pm.payers WHERE payer_identifier = 'SEC01'").fetchone()[0]
    start = conn.execute("SELECT count(*) FROM pm.visits").fetchone()[0]
    rng = list(range(start + 1, start + n_claims + 1))
    conn.execute("""INSERT INTO pm.patients (mrn, last_name, first_name, birth_date, sex, address1, city, state, zip)
                    SELECT 'MRN' || g, 'DOE', 'PAT' || g, DATE '1980-01-01', 'F', '1 ELM', 'SPRINGFIELD', 'IL', '62701'
                      FROM unnest(%s::int[]) g""", (rng,))
    conn.execute("""INSERT INTO pm.insurance_policies (patient_id, payer_id, priority, member_id,
                        subscriber_last_name, subscriber_first_name, subscriber_birth_date, subscriber_sex,
                        subscriber_address1, subscriber_city, subscriber_state, subscriber_zip, effective_date)
                    SELECT p.id, %s, 'primary', 'M' || g, 'DOE', 'PAT', DATE '1980-01-01', 'F', '1 ELM',
                           'SPRINGFIELD', 'IL', '62701', DATE '2025-01-01'
                      FROM unnest(%s::int[]) g JOIN pm.patients p ON p.mrn = 'MRN' || g""", (p1, rng))
    if secondary_for:
        sec = [start + i for i in secondary_for]
        conn.execute("""INSERT INTO pm.insurance_policies (patient_id, payer_id, priority, member_id,
                            subscriber_last_name, subscriber_first_name, subscriber_birth_date, subscriber_sex,
                            subscriber_address1, subscriber_city, subscriber_state, subscriber_zip, effective_date)
                        SELECT p.id, %s, 'secondary', 'S' || g, 'DOE', 'PAT', DATE '1980-01-01', 'F', '1 ELM',
                               'SPRINGFIELD', 'IL', '62701', DATE '2025-01-01'
                          FROM unnest(%s::int[]) g JOIN pm.patients p ON p.mrn = 'MRN' || g""", (p2, sec))
    conn.execute("""INSERT INTO pm.visits (visit_number, patient_id, billing_provider_id, place_of_service,
                        date_of_service, status, completed_at)
                    SELECT 'V' || lpad(g::text, 7, '0'), p.id, %s, '11', %s, 'completed', now()
                      FROM unnest(%s::int[]) g JOIN pm.patients p ON p.mrn = 'MRN' || g""", (bp, DOS, rng))
    codes = ["99213", "85025", "36415"]
    conn.execute("""INSERT INTO pm.charges (visit_id, line_number, procedure_code, units, amount, dx_pointer1)
                    SELECT v.id, n, (%s::text[])[1 + (n - 1) %% 3], 1, %s, 1
                      FROM unnest(%s::int[]) g JOIN pm.visits v ON v.visit_number = 'V' || lpad(g::text, 7, '0')
                     CROSS JOIN generate_series(1, %s) n""", (codes, Decimal(charge), rng, lines))
    total = Decimal(charge) * lines
    conn.execute("""INSERT INTO billing.claims (claim_number, visit_id, policy_id, payer_id, status, total_charge,
                        diagnosis_codes, date_of_service, submitted_at)
                    SELECT v.visit_number || 'P1', v.id, ip.id, %s, %s, %s, '{J069}', v.date_of_service, now()
                      FROM unnest(%s::int[]) g JOIN pm.visits v ON v.visit_number = 'V' || lpad(g::text, 7, '0')
                      JOIN pm.insurance_policies ip ON ip.patient_id = v.patient_id AND ip.priority = 'primary'""",
                 (p1, status, total, rng))
    conn.execute("""INSERT INTO billing.claim_lines (claim_id, line_number, charge_id, line_control_number,
                        procedure_code, units, charge, dx_pointers, service_date)
                    SELECT c.id, ch.line_number, ch.id, c.claim_number || 'L' || ch.line_number, ch.procedure_code,
                           ch.units, ch.amount, '{1}', c.date_of_service
                      FROM billing.claims c JOIN pm.charges ch ON ch.visit_id = c.visit_id
                     WHERE c.claim_number = ANY(%s)""", ([f"V{g:07d}P1" for g in rng],))
    conn.execute("""INSERT INTO billing.claim_events (claim_id, event_type, to_status, actor, dedupe_key)
                    SELECT id, 'created', status, 'test', 'created:' || id FROM billing.claims
                     WHERE claim_number = ANY(%s)""", ([f"V{g:07d}P1" for g in rng],))
    conn.commit()
    rows = conn.execute("""SELECT c.id, c.claim_number, c.total_charge, v.patient_id FROM billing.claims c
                             JOIN pm.visits v ON v.id = c.visit_id WHERE c.claim_number = ANY(%s)
                            ORDER BY c.id""", ([f"V{g:07d}P1" for g in rng],)).fetchall()
    out = []
    for cid, number, tot, pid in rows:
        lines_ = conn.execute("""SELECT line_control_number, procedure_code, charge FROM billing.claim_lines
                                  WHERE claim_id = %s ORDER BY line_number""", (cid,)).fetchall()
        out.append({"id": cid, "claim_number": number, "total": tot, "patient_id": pid,
                    "lines": [{"lcn": a, "code": b, "charge": c} for a, b, c in lines_]})
    return out


def paid_clp(claim: dict, *, paid_pct: Decimal = Decimal("0.70"), deductible: Decimal = Decimal("0"),
             copay: Decimal = Decimal("0"), coinsurance: Decimal = Decimal("0"), drop_ref: bool = False,
             pccn: str | None = None) -> ClaimPayment:
    """A balanced CLP: each line allowed = 80%, paid = allowed·paid_pct-ish minus patient shares on line 1."""
    lines, paid_total, pr_total = [], Decimal(0), Decimal(0)
    for i, ln in enumerate(claim["lines"]):
        allowed = (ln["charge"] * Decimal("0.80")).quantize(Decimal("0.01"))
        adjs = [Adjustment("CO", "45", ln["charge"] - allowed)]
        pr = []
        if i == 0:
            for code, amt in (("1", deductible), ("2", coinsurance), ("3", copay)):
                if amt:
                    pr.append(Adjustment("PR", code, amt))
        pr_sum = sum((a.amount for a in pr), Decimal(0))
        paid = allowed - pr_sum
        adjs += pr
        paid_total += paid
        pr_total += pr_sum
        lines.append(ServicePayment(procedure_code=ln["code"], charge=ln["charge"], paid=paid, units=Decimal(1),
                                    service_date=DOS, line_control_number=None if drop_ref else ln["lcn"],
                                    adjustments=adjs, allowed_amount=allowed))
    return ClaimPayment(claim_id=claim["claim_number"], status_code="1", charge=claim["total"], paid=paid_total,
                        patient_responsibility=pr_total, filing_indicator="CI",
                        payer_claim_control_number=pccn or f"PCN{claim['id']:08d}", lines=lines)


def denied_clp(claim: dict, group: str = "CO", carc: str = "16", rarc: str | None = None) -> ClaimPayment:
    lines = [ServicePayment(procedure_code=ln["code"], charge=ln["charge"], paid=Decimal(0), units=Decimal(1),
                            service_date=DOS, line_control_number=ln["lcn"],
                            adjustments=[Adjustment(group, carc, ln["charge"])],
                            remark_codes=[rarc] if rarc else [])
             for ln in claim["lines"]]
    # CLP05 is the patient's share: the whole charge when the payer assigned it to the patient (PR)
    return ClaimPayment(claim_id=claim["claim_number"], status_code="4", charge=claim["total"], paid=Decimal(0),
                        patient_responsibility=claim["total"] if group == "PR" else Decimal(0), filing_indicator="CI",
                        payer_claim_control_number=f"PCN{claim['id']:08d}", lines=lines,
                        remark_codes=[rarc] if rarc else [])


def negate(clp: ClaimPayment) -> ClaimPayment:
    """The reversal (CLP02=22) of a CLP: every amount negated."""
    def adj(a):
        return Adjustment(a.group, a.reason, -a.amount, a.quantity)
    return ClaimPayment(claim_id=clp.claim_id, status_code="22", charge=-clp.charge, paid=-clp.paid,
                        patient_responsibility=-(clp.patient_responsibility or 0), filing_indicator="CI",
                        payer_claim_control_number=clp.payer_claim_control_number,
                        adjustments=[adj(a) for a in clp.adjustments],
                        lines=[ServicePayment(procedure_code=s.procedure_code, charge=-s.charge, paid=-s.paid,
                                              units=s.units, service_date=s.service_date,
                                              line_control_number=s.line_control_number,
                                              adjustments=[adj(a) for a in s.adjustments])
                               for s in clp.lines])


def remittance(clps: list[ClaimPayment], trace: str = "TRACE1", plb: list[tuple[str, str]] = (),
               payment_amount: Decimal | None = None) -> Remittance835:
    plbs = [ProviderAdjustment("1234567893", dt.date(2026, 12, 31), code, "REF1", Decimal(amt))
            for code, amt in plb]
    total = sum((c.paid for c in clps), Decimal(0)) - sum((p.amount for p in plbs), Decimal(0))
    return Remittance835(payment_amount=total if payment_amount is None else payment_amount, trace_number=trace,
                         payment_method="ACH", payment_date=PAY_DATE, payer_trace_id="1999999999",
                         payer_name="BIG HEALTH", payer_id="BHP01", payee_name="ACME MEDICAL",
                         payee_id="1234567893", claims=clps, provider_adjustments=plbs)


_icn = [100]


def file_835(remittances: list[Remittance835]) -> bytes:
    _icn[0] += 1
    return build_835(remittances, sender_id=SENDER, receiver_id=RECEIVER, interchange_control_number=_icn[0],
                     group_control_number=_icn[0], created=dt.datetime(2026, 3, 20, 9, 0))


def store(conn, name: str, data: bytes) -> int:
    from include.billing.inbox import store_inbound

    f = store_inbound(conn, name, data, origin="test")
    conn.commit()
    return f.file_id


def snapshot(conn) -> dict:
    """Every billing table's rows, as JSON text, for before/after comparisons."""
    out = {}
    for t in ("claims", "claim_lines", "claim_events", "remittances", "claim_payments", "line_payments",
              "adjustments", "provider_adjustments", "patient_ledger", "work_queue", "edi_files"):
        cols = "*" if t != "edi_files" else "id, sha256, state, error, transaction_type"
        rows = conn.execute(f"SELECT {cols} FROM billing.{t} ORDER BY id").fetchall()  # noqa: S608 (fixed names)
        out[t] = json.dumps([list(r) for r in rows], default=str)
    return out
