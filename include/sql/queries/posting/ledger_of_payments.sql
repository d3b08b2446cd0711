-- Patient-ledger entries a claim payment created (source_key 'cp:<payment id>:<position>').
SELECT id, patient_id, claim_id, category, amount, split_part(source_key, ':', 2)::bigint AS claim_payment_id
  FROM billing.patient_ledger
 WHERE claim_id = ANY(%(claim_ids)s)
   AND source_key LIKE 'cp:%%'
   AND split_part(source_key, ':', 2)::bigint = ANY(%(payment_ids)s)
 ORDER BY id
