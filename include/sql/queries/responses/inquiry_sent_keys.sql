SELECT dedupe_key FROM billing.claim_events WHERE dedupe_key = ANY(%(keys)s)
