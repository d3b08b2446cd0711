-- Ready claims that no live batch holds (a failed batch releases its claims) and that have no
-- open work item, grouped by trading partner and payer.
SELECT py.clearinghouse, c.payer_id, c.id, c.total_charge
FROM billing.claims c
JOIN pm.payers py ON py.id = c.payer_id
WHERE c.status = 'ready'
  AND NOT EXISTS (SELECT 1 FROM billing.batch_claims bc
                  JOIN billing.submission_batches b ON b.id = bc.batch_id
                  WHERE bc.claim_id = c.id AND b.state <> 'failed')
  AND NOT EXISTS (SELECT 1 FROM billing.work_queue w
                  WHERE w.claim_id = c.id AND w.state IN ('open', 'in_progress'))
ORDER BY py.clearinghouse, c.payer_id, c.claim_number
