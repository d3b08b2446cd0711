"""Golden scenarios: a visit and its coverage, the 835s that arrive, and the account a billing
office expects after each one — run through the real posting and denial code on PostgreSQL.

A scenario (tests/golden/scenarios.yaml) reads:

    name: commercial primary, commercial secondary pays the coinsurance
    rule: why the expected figures are what they are (hand-worked, with the source)
    visit: {lines: [{code: "99213", charge: "150.00"}, ...], date: 2026-03-02}
    coverage: [{payer: BCBS01, type: CI}, {payer: AETNA, type: CI}]    # primary, secondary, tertiary
    xfail: why the code does not meet these hand-worked figures yet (a strict xfail; optional)
    steps:
      - submit: [S1]                       # optional: claims that went out (status 'submitted')
        remit:                             # one 835 transaction set from the payer of `payer`
          payer: BCBS01
          trace: T1
          claims:
            - claim: P1                    # CLP01 = visit number + this suffix
              clp02: "1"
              remarks: [MA18]              # MOA remark codes
              adjustments: ["CO-45 10.00"] # claim-level CAS
              lines:                       # SVC per billed line, in order (line: N to pick one)
                - {paid: "64.00", adj: ["CO-45 20.00", "PR-2 16.00"], remarks: [N130]}   # remarks: LQ*HE
                # code: the adjudicated code (SVC01) when the payer re-coded the line, billed_code: the
                # submitted one (SVC06); no_ref: true leaves out REF*6R
              reverses: T1                 # a CLP02=22 that negates this claim's CLP in trace T1
          plb: [["WO", "P1", "10.00"]]     # reason, reference (a claim suffix or literal), amount
        route: false                       # post only; denial routing runs after each 835 unless false
                                           # (route: true on a step without an 835 runs it alone)
      - ack277ca:                          # a 277CA (005010X214, the project's builder), applied by the
          date: 2026-03-03                 # real acknowledgment processing; STC02/DTP*050 = date
          from: clearinghouse              # who sends it (the file's payer name), clearinghouse | payer
          claims:
            - {claim: P1, status: "A1:19:PR"}      # STC01 category:status[:entity]; pccn: REF*1K
        expect:
          account: {insurance_paid: "64.00", contractual_adjustments: "20.00", ...}
          status: {P1: paid, S1: ready}
          work_items: [FOLLOW_UP_CROSSOVER]      # reason codes of open items, sorted
          plb: [[WO, claim_recoupment]]
          file: quarantined                      # the step's 835 file state when not 'applied'
          open_work: true                        # at least one open work item (whatever its reason)
          matched_lines: [2, 1]                  # the billed line each SVC of the step's 835 posted to
          first_pass: {first_submitted: 1, accepted_first_pass: 0}   # the KPI (payer level) today
          events: [appeal_packet]                # event types the visit's claims have (a subset)

CLP03 is the billed lines' charges, CLP04 the lines' paid, CLP05 the PR adjustments, and BPR02
Σ CLP04 − Σ PLB: the 835 balances unless the scenario says otherwise (`bpr`, `clp05`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import yaml

from include.billing.accounts import load_accounts
from include.billing.acknowledgments import apply_pending_responses
from include.billing.denials import route_denials
from include.billing.inbox import store_inbound
from include.billing.posting import post_stored_remittances
from include.billing.status import set_status
from include.edi.x277ca import ClaimStatus, Status, build_277ca
from include.edi.x835 import Adjustment, ClaimPayment, ProviderAdjustment, Remittance835, ServicePayment, build_835

SCENARIOS = Path(__file__).with_name("scenarios.yaml")
ACTOR = "test:golden"
NPI = "1234567893"


def load_scenarios() -> list[dict]:
    return yaml.safe_load(SCENARIOS.read_text())


def money(v) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.01"))


def _adj(text: str) -> Adjustment:
    code, amount = text.split()
    group, reason = code.split("-", 1)
    return Adjustment(group, reason, money(amount))


def seed(conn, scenario: dict, number: int) -> dict:
    """The practice side of a scenario: payers, patient, policies, visit, charges, claim P1."""
    visit = scenario["visit"]
    dos = dt.date.fromisoformat(str(visit.get("date", "2026-03-02")))
    conn.execute("""INSERT INTO pm.billing_providers (npi, organization_name, tax_id, taxonomy_code, address1,
                        city, state, zip) VALUES (%s, 'ACME MEDICAL', '123456789', '207Q00000X', '1 MAIN ST',
                        'SPRINGFIELD', 'IL', '627011234') ON CONFLICT DO NOTHING""", (NPI,))
    bp = conn.execute("SELECT id FROM pm.billing_providers WHERE npi = %s", (NPI,)).fetchone()[0]
    patient = conn.execute("""INSERT INTO pm.patients (mrn, last_name, first_name, birth_date, sex, address1, city,
                                  state, zip) VALUES (%s, 'DOE', 'PAT', DATE '1950-01-01', 'F', '1 ELM',
                                  'SPRINGFIELD', 'IL', '62701') RETURNING id""", (f"G{number}",)).fetchone()[0]
    policies = []
    for priority, cov in zip(("primary", "secondary", "tertiary"), scenario["coverage"]):
        conn.execute("""INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator)
                        VALUES (%s, %s, %s) ON CONFLICT DO NOTHING""",
                     (cov["payer"], cov["payer"], cov.get("type", "CI")))
        payer_id = conn.execute("SELECT id FROM pm.payers WHERE payer_identifier = %s",
                                (cov["payer"],)).fetchone()[0]
        policies.append((conn.execute(
            """INSERT INTO pm.insurance_policies (patient_id, payer_id, priority, member_id, subscriber_last_name,
                   subscriber_first_name, subscriber_birth_date, subscriber_sex, subscriber_address1, subscriber_city,
                   subscriber_state, subscriber_zip, effective_date)
               VALUES (%s, %s, %s, %s, 'DOE', 'PAT', DATE '1950-01-01', 'F', '1 ELM', 'SPRINGFIELD', 'IL', '62701',
                       DATE '2025-01-01') RETURNING id""",
            (patient, payer_id, priority, f"M{number}{priority[0]}")).fetchone()[0], payer_id))
    visit_number = f"V{number:07d}"
    visit_id = conn.execute("""INSERT INTO pm.visits (visit_number, patient_id, billing_provider_id, place_of_service,
                                   date_of_service, status, completed_at)
                               VALUES (%s, %s, %s, '11', %s, 'completed', now()) RETURNING id""",
                            (visit_number, patient, bp, dos)).fetchone()[0]
    lines = visit["lines"]
    total = sum((money(ln["charge"]) for ln in lines), Decimal(0))
    claim_id = conn.execute("""INSERT INTO billing.claims (claim_number, visit_id, policy_id, payer_id, status,
                                   total_charge, diagnosis_codes, date_of_service, submitted_at)
                               VALUES (%s, %s, %s, %s, 'submitted', %s, '{J069}', %s, now()) RETURNING id""",
                            (visit_number + "P1", visit_id, policies[0][0], policies[0][1], total, dos)).fetchone()[0]
    for n, ln in enumerate(lines, start=1):
        mods = (list(ln.get("modifiers", [])) + [None] * 4)[:4]
        charge_id = conn.execute("""INSERT INTO pm.charges (visit_id, line_number, procedure_code, modifier1,
                                        modifier2, modifier3, modifier4, units, amount, dx_pointer1)
                                    VALUES (%s, %s, %s, %s, %s, %s, %s, 1, %s, 1) RETURNING id""",
                                 (visit_id, n, ln["code"], *mods, money(ln["charge"]))).fetchone()[0]
        conn.execute("""INSERT INTO billing.claim_lines (claim_id, line_number, charge_id, line_control_number,
                            procedure_code, modifiers, units, charge, dx_pointers, service_date)
                        VALUES (%s, %s, %s, %s, %s, %s, 1, %s, '{1}', %s)""",
                     (claim_id, n, charge_id, f"{visit_number}P1L{n}", ln["code"], ln.get("modifiers", []),
                      money(ln["charge"]), dos))
    conn.execute("""INSERT INTO billing.claim_events (claim_id, event_type, to_status, actor, dedupe_key)
                    VALUES (%s, 'created', 'submitted', %s, %s)""", (claim_id, ACTOR, f"created:{claim_id}"))
    conn.commit()
    return {"visit_id": visit_id, "visit_number": visit_number, "dos": dos, "lines": lines}


def _claim_lines(conn, claim_number: str) -> list[tuple]:
    return conn.execute("""SELECT cl.line_number, cl.line_control_number, cl.procedure_code, cl.modifiers,
                                  cl.charge, cl.service_date
                             FROM billing.claim_lines cl JOIN billing.claims c ON c.id = cl.claim_id
                            WHERE c.claim_number = %s ORDER BY cl.line_number""", (claim_number,)).fetchall()


def _negated(clp: ClaimPayment) -> ClaimPayment:
    def adj(a):
        return Adjustment(a.group, a.reason, -a.amount, a.quantity)
    return ClaimPayment(
        claim_id=clp.claim_id, status_code="22", charge=-clp.charge, paid=-clp.paid,
        patient_responsibility=-(clp.patient_responsibility or 0), filing_indicator=clp.filing_indicator,
        payer_claim_control_number=clp.payer_claim_control_number, adjustments=[adj(a) for a in clp.adjustments],
        lines=[ServicePayment(procedure_code=s.procedure_code, modifiers=s.modifiers, charge=-s.charge, paid=-s.paid,
                              units=s.units, service_date=s.service_date, line_control_number=s.line_control_number,
                              adjustments=[adj(a) for a in s.adjustments]) for s in clp.lines])


def build_clp(conn, ctx: dict, spec: dict, sent: dict) -> ClaimPayment:
    """One CLP from its compact form (see the module docstring)."""
    number = ctx["visit_number"] + spec["claim"]
    if "reverses" in spec:
        return _negated(sent[(spec["reverses"], spec.get("of", spec["claim"]))])
    # lines billed on the claim the payer adjudicates; a crossover payer answers on the primary's number
    own = _claim_lines(conn, number) or _claim_lines(conn, ctx["visit_number"] + "P1")
    svcs = []
    for i, ln_spec in enumerate(spec.get("lines", [])):
        line_no = ln_spec.get("line", i + 1)
        _, lcn, code, mods, charge, dos = own[line_no - 1]
        adjs = [_adj(a) for a in ln_spec.get("adj", [])]
        svcs.append(ServicePayment(
            procedure_code=ln_spec.get("code", code), modifiers=list(ln_spec.get("modifiers", mods or [])),
            charge=money(ln_spec.get("charge", charge)), paid=money(ln_spec.get("paid", 0)), units=Decimal(1),
            original_procedure=ln_spec.get("billed_code"), service_date=dos,
            line_control_number=None if ln_spec.get("no_ref") else lcn, adjustments=adjs,
            remark_codes=list(ln_spec.get("remarks", [])),
            allowed_amount=money(ln_spec["allowed"]) if "allowed" in ln_spec else None))
    claim_adjs = [_adj(a) for a in spec.get("adjustments", [])]
    pr = sum((a.amount for a in claim_adjs + [a for s in svcs for a in s.adjustments] if a.group == "PR"),
             Decimal(0))
    charge = money(spec["charge"]) if "charge" in spec else sum((s.charge for s in svcs), Decimal(0))
    paid = sum((s.paid for s in svcs), Decimal(0)) + money(spec.get("claim_paid", 0))
    return ClaimPayment(claim_id=spec.get("clp01", number), status_code=str(spec.get("clp02", "1")), charge=charge,
                        paid=paid, patient_responsibility=money(spec["clp05"]) if "clp05" in spec else pr,
                        filing_indicator=spec.get("filing", "CI"),
                        payer_claim_control_number=spec.get("pccn", f"ICN{number}"), adjustments=claim_adjs,
                        remark_codes=list(spec.get("remarks", [])), lines=svcs)


def build_file(conn, ctx: dict, remit: dict, sent: dict, icn: int) -> bytes:
    clps = [build_clp(conn, ctx, spec, sent) for spec in remit.get("claims", [])]
    trace = remit.get("trace", f"T{icn}")
    for spec, clp in zip(remit.get("claims", []), clps):
        if clp.status_code != "22":
            sent[(trace, spec["claim"])] = clp
    plbs = []
    for code, ref, amount in remit.get("plb", []):
        ref = ctx["visit_number"] + ref if ref and ref[0] in "PST" and ref[1:].isdigit() else ref
        plbs.append(ProviderAdjustment(NPI, dt.date(2026, 12, 31), code, ref, money(amount)))
    total = sum((c.paid for c in clps), Decimal(0)) - sum((p.amount for p in plbs), Decimal(0))
    pay_date = dt.date.fromisoformat(str(remit.get("date", "2026-03-20")))
    r = Remittance835(payment_amount=money(remit["bpr"]) if "bpr" in remit else total, trace_number=trace,
                      payment_method="ACH" if total > 0 else "NON", payment_date=pay_date,
                      payer_trace_id="1" + remit["payer"][:9], payer_name=remit["payer"], payer_id=remit["payer"],
                      payee_name="ACME MEDICAL", payee_id=NPI, claims=clps, provider_adjustments=plbs)
    data = build_835([r], sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=icn,
                     group_control_number=icn, created=dt.datetime(2026, 3, 20, 9, 0))
    for old, new in (remit.get("corrupt") or {}).items():     # "{V}" stands for the visit number
        old, new = (x.replace("{V}", ctx["visit_number"]).encode() for x in (old, new))
        assert old in data, f"corrupt: {old!r} is not in the built 835"
        data = data.replace(old, new)
    return data


def build_277ca_file(conn, ctx: dict, ack: dict, icn: int) -> bytes:
    """One 277CA from its compact form: per claim STC01 ('A1:19:PR'), dated `date`."""
    day = dt.date.fromisoformat(str(ack.get("date", "2026-03-03")))
    statuses = []
    for spec in ack["claims"]:
        number = ctx["visit_number"] + spec["claim"]
        total = conn.execute("SELECT total_charge FROM billing.claims WHERE claim_number = %s",
                             (number,)).fetchone()[0]
        parts = str(spec["status"]).split(":")
        statuses.append(ClaimStatus(claim_id=number, statuses=[Status(parts[0], parts[1] if len(parts) > 1 else "",
                                                                      parts[2] if len(parts) > 2 else None)],
                                    effective_date=day, total_charge=total,
                                    payer_claim_control_number=spec.get("pccn")))
    sender = "SANDBOX CLEARINGHOUSE" if ack.get("from", "payer") == "clearinghouse" else ack.get("payer", "PAYER")
    return build_277ca(statuses, sender_id="SANDBOX", receiver_id="ACME01", interchange_control_number=icn,
                       group_control_number=icn, payer_name=sender, receiver_name="ACME BILLING",
                       created=dt.datetime.combine(day, dt.time(9)), received=day)


def first_pass(conn, ctx: dict) -> dict:
    """The first-pass acceptance KPI (payer level) over claims first submitted around today."""
    from include.billing.reports.queries import run_metric

    today = dt.date.today()
    rows = run_metric(conn, "first_pass_acceptance", period_start=today - dt.timedelta(days=1),
                      period_end=today + dt.timedelta(days=1), as_of=today + dt.timedelta(days=1))
    conn.commit()
    overall = next((r for r in rows if r["dimension"] == "overall"), {})
    return {k: overall.get(k, 0) for k in ("first_submitted", "accepted_first_pass", "awaiting_response")}


def claim_statuses(conn, ctx: dict) -> dict[str, str]:
    rows = conn.execute("SELECT claim_number, status FROM billing.claims WHERE visit_id = %s",
                        (ctx["visit_id"],)).fetchall()
    return {n.removeprefix(ctx["visit_number"]): s for n, s in rows}


def open_items(conn, ctx: dict) -> list[str]:
    rows = conn.execute("""SELECT w.reason_code FROM billing.work_queue w
                            WHERE w.state IN ('open', 'in_progress')
                              AND (w.visit_id = %s OR w.claim_id IS NULL)""", (ctx["visit_id"],)).fetchall()
    return sorted(r[0] for r in rows)


def run_step(conn, ctx: dict, step: dict, sent: dict, icn: int, tmp_path) -> dict:
    """Apply one step; return what the expectations are compared with."""
    for suffix in step.get("submit", []):
        cid = conn.execute("SELECT id FROM billing.claims WHERE claim_number = %s",
                           (ctx["visit_number"] + suffix,)).fetchone()[0]
        set_status(conn, cid, "submitted", actor=ACTOR, event_type="submitted")
        conn.commit()
    file_id = None
    if "ack277ca" in step:
        data = build_277ca_file(conn, ctx, step["ack277ca"], icn)
        file_id = store_inbound(conn, f"golden-{icn}.277ca", data, origin="test").file_id
        conn.commit()
        apply_pending_responses(conn, actor=ACTOR)
    if "remit" in step:
        data = build_file(conn, ctx, step["remit"], sent, icn)
        file_id = store_inbound(conn, f"golden-{icn}.835", data, origin="test").file_id
        conn.commit()
        post_stored_remittances(conn, actor=ACTOR)
    if step.get("route", "remit" in step):
        route_denials(conn, actor=ACTOR, today=dt.date(2026, 3, 21), appeal_dir=tmp_path / "appeals")
    [account] = load_accounts(conn, [ctx["visit_id"]]) or [None]
    plb = conn.execute("""SELECT pa.reason_code, pa.applied_as FROM billing.provider_adjustments pa
                            JOIN billing.remittances r ON r.id = pa.remittance_id
                           WHERE r.edi_file_id = %s ORDER BY pa.position""", (file_id,)).fetchall() if file_id else []
    matched = [r[0] for r in conn.execute(
        """SELECT cl.line_number FROM billing.line_payments lp
             JOIN billing.claim_payments cp ON cp.id = lp.claim_payment_id
             JOIN billing.remittances r ON r.id = cp.remittance_id
             LEFT JOIN billing.claim_lines cl ON cl.id = lp.claim_line_id
            WHERE r.edi_file_id = %s ORDER BY cp.clp_index, lp.svc_index""", (file_id,)).fetchall()] if file_id else []
    state = conn.execute("SELECT state, error FROM billing.edi_files WHERE id = %s",
                         (file_id,)).fetchone() if file_id else None
    events = sorted({r[0] for r in conn.execute(
        """SELECT e.event_type FROM billing.claim_events e JOIN billing.claims c ON c.id = e.claim_id
            WHERE c.visit_id = %s""", (ctx["visit_id"],)).fetchall()})
    return {"account": account.to_dict() if account else None, "status": claim_statuses(conn, ctx),
            "events": events, "first_pass": first_pass(conn, ctx),
            "work_items": open_items(conn, ctx), "plb": [list(r) for r in plb], "matched_lines": matched,
            "file": state[0] if state else None, "file_error": state[1] if state else None}
