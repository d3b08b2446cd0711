-- Open requests for additional information whose due date passed unanswered.
SELECT w.id, w.claim_id, w.due_date
  FROM billing.work_queue w
 WHERE w.source = 'rfai' AND w.state IN ('open', 'in_progress') AND w.due_date < %(today)s
   AND NOT coalesce((w.details->>'expired')::boolean, false)
 ORDER BY w.id
