-- After review: forget a held payment run (it has no posted rows) so the next posting run retries
-- its file; the file goes back to 'stored'.
WITH gone AS (
    DELETE FROM billing.remittances WHERE id = %(remittance_id)s AND state = 'held'
    RETURNING edi_file_id, payer_identifier, trace_number
)
UPDATE billing.edi_files f SET state = 'stored', error = NULL, processed_at = NULL
  FROM gone WHERE f.id = gone.edi_file_id
RETURNING f.id, gone.payer_identifier, gone.trace_number
