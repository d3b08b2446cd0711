COPY billing.adjustments (claim_payment_id, line_payment_id, position, group_code, reason_code, amount,
                          quantity, remark_codes)
FROM STDIN
