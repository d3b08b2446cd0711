-- Work items this payment run settles, by dedupe key (denials whose adjudication was reversed,
-- crossover follow-ups a later payer answered): one statement for the whole run.
UPDATE billing.work_queue SET state = 'resolved', resolved_at = billing.clock(), resolved_by = %(actor)s
 WHERE dedupe_key = ANY(%(dedupe_keys)s) AND state IN ('open', 'in_progress')
