-- Denial items a person resolved after correcting the claim, whose claim was not replaced yet
-- and has no other open item (e.g. the coverage check of a COB denial).
SELECT w.id, w.claim_id, w.details->>'action' AS action
  FROM billing.work_queue w
  JOIN billing.claims c ON c.id = w.claim_id
 WHERE w.source = 'denial' AND w.state = 'resolved'
   AND w.details->>'action' IN ('correct_and_replace', 'new_claim')
   AND c.status IN ('denied', 'partially_paid')
   AND (c.payer_claim_control_number IS NOT NULL OR w.details->>'action' = 'new_claim')
   AND EXISTS (SELECT 1 FROM billing.claim_events e
                WHERE e.claim_id = c.id AND e.event_type = 'corrected' AND e.occurred_at >= w.created_at)
   AND NOT EXISTS (SELECT 1 FROM billing.claims r WHERE r.replaces_claim_id = c.id)
   AND NOT EXISTS (SELECT 1 FROM billing.work_queue o
                    WHERE o.claim_id = c.id AND o.id <> w.id AND o.state IN ('open', 'in_progress'))
 ORDER BY w.id
