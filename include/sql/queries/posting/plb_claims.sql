-- Claims a PLB03-2 reference may name: our claim number (CLM01) or the payer's claim number.
SELECT id, claim_number, payer_claim_control_number
  FROM billing.claims
 WHERE claim_number = ANY(%(refs)s) OR payer_claim_control_number = ANY(%(refs)s)
 ORDER BY id
