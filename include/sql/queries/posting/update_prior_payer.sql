-- A secondary claim not sent yet takes the primary's latest adjudication (2320/2430) in place.
UPDATE billing.claims
   SET prior_payer_paid = %(prior_payer_paid)s, prior_payer_adjustments = %(prior_payer_adjustments)s,
       updated_at = billing.clock()
 WHERE id = %(claim_id)s
