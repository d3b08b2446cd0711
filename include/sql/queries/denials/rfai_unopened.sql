-- 277 answers with a request for additional information (category R*) that no work item covers
-- yet: one per (277 file, claim).
SELECT e.claim_id, e.source_file_id, f.content, c.claim_number, c.payer_claim_control_number
  FROM billing.claim_events e
  JOIN billing.edi_files f ON f.id = e.source_file_id
  JOIN billing.claims c ON c.id = e.claim_id
 WHERE e.base_event_type = 'status_277'            -- ignored or not: the request stands
   AND e.detail->>'category' LIKE 'R%%'
   AND NOT EXISTS (SELECT 1 FROM billing.work_queue w
                    WHERE w.dedupe_key = 'rfai:' || e.source_file_id || ':' || e.claim_id)
 ORDER BY e.id
