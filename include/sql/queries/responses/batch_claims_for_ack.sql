-- The claims of the 837 transaction set a 999 answers: GS06 (AK102) + ST02 (AK202).
SELECT b.id AS batch_id, bc.claim_id, c.status
  FROM billing.submission_batches b
  JOIN billing.batch_claims bc ON bc.batch_id = b.id
  JOIN billing.claims c ON c.id = bc.claim_id
 WHERE b.trading_partner = %(trading_partner)s
   AND b.group_control_number = %(group_control_number)s
   AND (%(transaction_control_number)s::bigint IS NULL
        OR b.transaction_control_number = %(transaction_control_number)s)
 ORDER BY bc.claim_id
