-- Denial items a person resolved after correcting the claim, whose claim was not replaced yet.
SELECT w.id, w.claim_id
  FROM billing.work_queue w
  JOIN billing.claims c ON c.id = w.claim_id
 WHERE w.source = 'denial' AND w.state = 'resolved'
   AND c.status IN ('denied', 'partially_paid')
   AND c.payer_claim_control_number IS NOT NULL
   AND EXISTS (SELECT 1 FROM billing.claim_events e
                WHERE e.claim_id = c.id AND e.event_type = 'corrected' AND e.occurred_at >= w.created_at)
   AND NOT EXISTS (SELECT 1 FROM billing.claims r WHERE r.replaces_claim_id = c.id)
 ORDER BY w.id
