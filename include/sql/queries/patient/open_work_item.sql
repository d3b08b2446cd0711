-- A work item about a guarantor, a file or a visit (no claim); the same dedupe key twice is one item.
INSERT INTO billing.work_queue (visit_id, source, reason_code, explanation, details, dedupe_key, due_date)
VALUES (%(visit_id)s, %(source)s, %(reason_code)s, %(explanation)s, %(details)s, %(dedupe_key)s, %(due_date)s)
ON CONFLICT (dedupe_key) DO NOTHING
