-- The oldest forwarding balance (PLB FB) of this payer with this reference that the given
-- amount nets (an FB and its opposite cancel out) and that nothing has netted yet.
SELECT pa.id
  FROM billing.provider_adjustments pa
  JOIN billing.remittances r ON r.id = pa.remittance_id AND r.state = 'posted'
 WHERE pa.applied_as = 'forwarding_balance'
   AND r.payer_identifier = %(payer_identifier)s
   AND pa.reference IS NOT DISTINCT FROM %(reference)s
   AND pa.amount = -%(amount)s
   AND pa.nets_adjustment_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM billing.provider_adjustments x WHERE x.nets_adjustment_id = pa.id)
 ORDER BY pa.id
 LIMIT 1
