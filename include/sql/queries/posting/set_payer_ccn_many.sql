-- CLP07 is the payer's claim control number: keep it for a replacement's REF*F8.
UPDATE billing.claims c
   SET payer_claim_control_number = v.pccn, updated_at = billing.clock()
  FROM unnest(%(claim_ids)s::bigint[], %(pccns)s::text[]) AS v(claim_id, pccn)
 WHERE c.id = v.claim_id AND v.pccn <> '' AND c.payer_claim_control_number IS DISTINCT FROM v.pccn
