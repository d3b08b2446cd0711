-- Appeal packets whose letter has no PDF yet (printed after routing, outside its transactions).
SELECT id, details->'appeal_packet'->'files' AS files
  FROM billing.work_queue
 WHERE source = 'denial' AND details ? 'appeal_packet'
   AND jsonb_array_length(details->'appeal_packet'->'files') = 1
   AND NOT coalesce((details->'appeal_packet'->>'pdf_failed')::boolean, false)
 ORDER BY id
 LIMIT %(limit)s
