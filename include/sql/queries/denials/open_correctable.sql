-- Open denial items whose action is a correction or a new claim, oldest first (the demo clerk's worklist).
SELECT w.id, w.claim_id, w.reason_code, w.details->>'action' AS action, w.details->>'fix' AS fix
  FROM billing.work_queue w
  JOIN billing.claims c ON c.id = w.claim_id
 WHERE w.source = 'denial' AND w.state IN ('open', 'in_progress')
   AND w.details->>'action' IN ('correct_and_replace', 'new_claim')
   AND c.status IN ('denied', 'partially_paid')
 ORDER BY w.id
 LIMIT %(limit)s
