-- The claims' new statuses, after their events are recorded (ledger.set_status / set_statuses),
-- and the payer's claim control number (835 CLP07, kept for a replacement's REF*F8) where one is
-- given: a NULL status or number leaves that column as it is; a row that changes neither is not
-- touched.
UPDATE billing.claims c
   SET status = coalesce(m.status, c.status),
       payer_claim_control_number = coalesce(m.pccn, c.payer_claim_control_number),
       updated_at = billing.clock()
  FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(pccns)s::text[]) AS m(id, status, pccn)
 WHERE c.id = m.id
   AND (m.status IS NOT NULL OR c.payer_claim_control_number IS DISTINCT FROM m.pccn)
