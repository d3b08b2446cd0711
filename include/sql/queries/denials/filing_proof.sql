-- Proof that a claim reached the clearinghouse or payer: the accepting 999s and the 277CAs of
-- every version of the claim (same visit and responsibility), with the acknowledgment files.
-- The filing window of a secondary claim starts at the primary's latest 835 payment date.
SELECT e.event_type, c.claim_number, e.detail, f.id AS file_id, f.file_name, f.transaction_type, f.content,
       e.occurred_at
  FROM billing.claims me
  JOIN billing.claims c ON c.visit_id = me.visit_id AND c.responsibility = me.responsibility
  JOIN billing.claim_events e ON e.claim_id = c.id
  JOIN billing.edi_files f ON f.id = e.source_file_id
 WHERE me.id = %(claim_id)s
   AND e.base_event_type IN ('ack_999', 'ack_277ca', 'ack_277ca_info')      -- ignored ones are proof too
 ORDER BY e.occurred_at, e.id
