-- A claim's payer's deadline settings (NULL: the filing indicator's default applies).
SELECT py.timely_filing_days, py.claim_filing_indicator, py.appeal_first_level_days, py.appeal_second_level_days
  FROM billing.claims c
  JOIN pm.payers py ON py.id = c.payer_id
 WHERE c.id = %(claim_id)s
