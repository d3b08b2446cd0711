"""The billing state of a database by natural keys, for "equal to an uninterrupted run" checks.

Surrogate ids, clocks and keys built from ids are left out: a transaction rolled back by a
crash still consumes sequence values, so two databases that did the same work can differ in
ids and nothing else. Foreign keys are replaced by the natural key they point to.
"""

from __future__ import annotations

import psycopg


def _rows(conn, query: str) -> list[tuple]:
    rows = [tuple(str(v) if v is not None else None for v in row) for row in conn.execute(query)]
    return sorted(rows, key=lambda row: tuple((v is not None, v or "") for v in row))   # NULLs first


def posted_ledger(db_url: str) -> dict:
    """The posted ledger: payments, adjustments, patient ledger, remittances, PLB, claim statuses."""
    with psycopg.connect(db_url) as conn:
        return {
            "payments": _rows(conn, """
                SELECT r.payer_identifier, r.trace_number, r.state, cp.clp_index, c.claim_number, cp.status_code,
                       cp.charge, cp.paid, cp.patient_responsibility, cp.is_reversal
                  FROM billing.claim_payments cp JOIN billing.remittances r ON r.id = cp.remittance_id
                  JOIN billing.claims c ON c.id = cp.claim_id"""),
            "adjustments": _rows(conn, """
                SELECT r.trace_number, cp.clp_index, a.position, a.group_code, a.reason_code, a.amount
                  FROM billing.adjustments a JOIN billing.claim_payments cp ON cp.id = a.claim_payment_id
                  JOIN billing.remittances r ON r.id = cp.remittance_id"""),
            "patient_ledger": _rows(conn, """
                SELECT c.claim_number, l.entry_type, l.category, l.amount
                  FROM billing.patient_ledger l JOIN billing.claims c ON c.id = l.claim_id"""),
            "remittances": _rows(conn, "SELECT payer_identifier, trace_number, state, payment_amount "
                                       "FROM billing.remittances"),
            "plb": _rows(conn, "SELECT r.trace_number, p.position, p.reason_code, p.amount "
                               "FROM billing.provider_adjustments p JOIN billing.remittances r "
                               "ON r.id = p.remittance_id"),
            "statuses": _rows(conn, "SELECT claim_number, status FROM billing.claims"),
        }


def billing_state(db_url: str) -> dict:
    """Everything the billing schema holds, by natural keys: the posted ledger plus claims and
    their lines, the event history (in order, per claim), work items, eligibility results,
    submission batches, control numbers and the stored EDI files."""
    state = posted_ledger(db_url)
    with psycopg.connect(db_url) as conn:
        state["claims"] = _rows(conn, """
            SELECT c.claim_number, c.visit_id, c.responsibility, c.version, c.frequency_code, r.claim_number,
                   c.payer_claim_control_number, c.status, c.total_charge, c.diagnosis_codes, c.date_of_service,
                   c.prior_payer_paid, c.prior_payer_adjustments, c.submitted_at IS NOT NULL
              FROM billing.claims c LEFT JOIN billing.claims r ON r.id = c.replaces_claim_id""")
        state["claim_lines"] = _rows(conn, """
            SELECT c.claim_number, l.line_number, l.line_control_number, l.procedure_code, l.modifiers, l.units,
                   l.charge, l.dx_pointers, l.service_date
              FROM billing.claim_lines l JOIN billing.claims c ON c.id = l.claim_id""")
        # per claim, in the order they happened (ids increase within one database)
        state["claim_events"] = [tuple(map(str, r)) for r in conn.execute("""
            SELECT c.claim_number, e.event_type, e.from_status, e.to_status, e.actor, f.file_name
              FROM billing.claim_events e JOIN billing.claims c ON c.id = e.claim_id
              LEFT JOIN billing.edi_files f ON f.id = e.source_file_id
             ORDER BY c.claim_number, e.id""")]
        state["work_queue"] = _rows(conn, """
            SELECT c.claim_number, w.visit_id, f.file_name, w.source, w.reason_code, w.explanation, w.state,
                   w.assignee, w.due_date, w.resolved_by
              FROM billing.work_queue w LEFT JOIN billing.claims c ON c.id = w.claim_id
              LEFT JOIN billing.edi_files f ON f.id = w.edi_file_id""")
        state["eligibility_checks"] = _rows(conn, """
            SELECT e.policy_id, e.service_date, e.transport, e.status, e.plan_begin, e.plan_end, e.copay,
                   e.coinsurance_percent, e.deductible, e.deductible_remaining, e.out_of_pocket_remaining,
                   e.reject_reason, rq.file_name, rs.file_name
              FROM billing.eligibility_checks e
              LEFT JOIN billing.edi_files rq ON rq.id = e.request_file_id
              LEFT JOIN billing.edi_files rs ON rs.id = e.response_file_id""")
        state["submission_batches"] = _rows(conn, """
            SELECT b.batch_key, b.trading_partner, b.payer_id, b.transaction_type, b.interchange_control_number,
                   b.group_control_number, b.transaction_control_number, b.file_name, b.state, b.claim_count,
                   b.total_charge, f.file_name, b.uploaded_at IS NOT NULL
              FROM billing.submission_batches b LEFT JOIN billing.edi_files f ON f.id = b.edi_file_id""")
        state["batch_claims"] = _rows(conn, """
            SELECT b.file_name, c.claim_number FROM billing.batch_claims bc
              JOIN billing.submission_batches b ON b.id = bc.batch_id JOIN billing.claims c ON c.id = bc.claim_id""")
        state["control_numbers"] = _rows(conn, "SELECT trading_partner, kind, last_value FROM billing.control_numbers")
        # Files from the clearinghouse's mailbox are its bytes. Outbound files carry this run's clock
        # (ISA09/10) and real-time 270/271 pairs the payer's clock and trace numbers.
        state["edi_files"] = _rows(conn, """
            SELECT direction, transaction_type, file_name, CASE WHEN direction = 'in' AND origin NOT LIKE 'http%'
                   THEN sha256 END, CASE WHEN origin NOT LIKE 'http%' THEN size_bytes END,
                   regexp_replace(origin, '^sftp:.*/', 'sftp:'), trading_partner, state, error
              FROM billing.edi_files""")
        state["skipped_visits"] = _rows(conn, "SELECT visit_id, reason, actor FROM billing.skipped_visits")
    return state


def differences(expected: dict, actual: dict, limit: int = 5) -> dict:
    """Per table, a few rows only one side has (empty when the states are equal)."""
    out = {}
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table, []), actual.get(table, [])
        if want == got:
            continue
        missing = [r for r in want if r not in got][:limit]
        extra = [r for r in got if r not in want][:limit]
        out[table] = {"only_uninterrupted": missing, "only_faulted": extra,
                      "rows": (len(want), len(got))}
    return out
