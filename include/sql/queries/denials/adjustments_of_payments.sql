SELECT claim_payment_id, group_code, reason_code, amount, remark_codes, line_payment_id
  FROM billing.adjustments
 WHERE claim_payment_id = ANY(%(payment_ids)s)
 ORDER BY claim_payment_id, position
