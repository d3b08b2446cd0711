INSERT INTO billing.work_queue
    (claim_id, visit_id, edi_file_id, source, reason_code, explanation, details, due_date, dedupe_key)
VALUES (%(claim_id)s,
        (SELECT visit_id FROM billing.claims WHERE id = %(claim_id)s),
        %(edi_file_id)s, %(source)s, %(reason_code)s, %(explanation)s, %(details)s, %(due_date)s,
        %(dedupe_key)s)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
