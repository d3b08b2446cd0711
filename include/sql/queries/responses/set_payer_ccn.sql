-- The payer's claim control number (REF*1K / CLP07), sent back in REF*F8 on a replacement.
UPDATE billing.claims SET payer_claim_control_number = %(pccn)s, updated_at = billing.clock()
 WHERE id = %(claim_id)s AND payer_claim_control_number IS DISTINCT FROM %(pccn)s
