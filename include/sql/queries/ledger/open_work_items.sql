-- The one writer of billing.work_queue rows: open work items, one or many, in input order. An item
-- about a claim takes the claim's visit (unless it names one); an item about a file, a guarantor or
-- a visit names no claim; an item about a claim that does not exist is not opened. The same dedupe
-- key twice is one item (the one there stays as it is). due_soon: due three days from the
-- simulated clock. The run columns default to the run bound to the connection.
INSERT INTO billing.work_queue (claim_id, visit_id, edi_file_id, source, reason_code, explanation, details,
                                dedupe_key, due_date)
SELECT t.claim_id, coalesce(t.visit_id, c.visit_id), t.edi_file_id, t.source, t.reason_code, t.explanation,
       t.details, t.dedupe_key, CASE WHEN t.due_soon THEN billing.clock()::date + 3 ELSE t.due_date END
  FROM unnest(%(claim_ids)s::bigint[], %(visit_ids)s::int[], %(edi_file_ids)s::bigint[], %(sources)s::text[],
              %(reasons)s::text[], %(explanations)s::text[], %(details)s::jsonb[], %(keys)s::text[],
              %(due_soon)s::boolean[], %(due_dates)s::date[]) WITH ORDINALITY
       AS t(claim_id, visit_id, edi_file_id, source, reason_code, explanation, details, dedupe_key, due_soon,
            due_date, n)
  LEFT JOIN billing.claims c ON c.id = t.claim_id
 WHERE t.claim_id IS NULL OR c.id IS NOT NULL
 ORDER BY t.n
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, dedupe_key
