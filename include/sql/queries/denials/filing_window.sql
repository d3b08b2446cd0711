-- What the timely-filing check of a claim needs: its date of service, its payer's filing limit
-- (the payer's own setting, else the default of its claim filing indicator, applied by the
-- caller) and, for a secondary or tertiary claim, the payment date of the prior payer's latest
-- 835 for the same visit (the window runs from it).
SELECT c.date_of_service, c.responsibility, py.timely_filing_days, py.claim_filing_indicator,
       (SELECT max(r.payment_date)
          FROM billing.claims p
          JOIN billing.claim_payments cp ON cp.claim_id = p.id AND NOT cp.is_reversal
          JOIN billing.remittances r ON r.id = cp.remittance_id AND r.state = 'posted'
         WHERE p.visit_id = c.visit_id AND p.responsibility < c.responsibility) AS prior_payer_paid_on
  FROM billing.claims c
  LEFT JOIN pm.payers py ON py.id = c.payer_id
 WHERE c.id = %(claim_id)s
