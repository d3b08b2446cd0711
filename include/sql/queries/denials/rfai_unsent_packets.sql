-- Answered requests for additional information whose records packet has not been delivered to
-- the clearinghouse yet (no 'information_uploaded' event for the item).
SELECT w.id, w.claim_id, w.details, c.claim_number, c.payer_claim_control_number, py.payer_identifier
  FROM billing.work_queue w
  JOIN billing.claims c ON c.id = w.claim_id
  LEFT JOIN pm.payers py ON py.id = c.payer_id
 WHERE w.source = 'rfai' AND w.state = 'resolved' AND w.details ? 'answer'
   AND NOT EXISTS (SELECT 1 FROM billing.claim_events e
                    WHERE e.dedupe_key = 'information_uploaded:' || w.id)
 ORDER BY w.id
