-- The end of the next wave of the backlog (submission.run_pipeline with wave_claims): the id of the
-- %(claims)s-th lowest claim waiting in status new above %(after)s (the previous wave's end; NULL: any), or
-- of the highest one when fewer wait; NULL when none wait. Data quality, eligibility and scrubbing then
-- take only the new claims up to that id (through_claim_id): all three select status new, so a bound
-- fixed once per wave, not a count per stage, keeps a stage from taking claims an earlier one has not seen.
SELECT max(id) AS through_claim_id
FROM (SELECT id FROM billing.claims
       WHERE status = 'new' AND (%(after)s::bigint IS NULL OR id > %(after)s::bigint)
       ORDER BY id LIMIT %(claims)s) wave
