SELECT id FROM billing.work_queue WHERE dedupe_key = %(dedupe_key)s
