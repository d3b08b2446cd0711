-- One audit row on a guarantor's account (dedupe_key NULL: always recorded).
INSERT INTO billing.guarantor_events (guarantor_key, event_type, actor, detail, dedupe_key)
VALUES (%(key)s, %(event_type)s, %(actor)s, %(detail)s, %(dedupe_key)s)
ON CONFLICT (dedupe_key) DO NOTHING
