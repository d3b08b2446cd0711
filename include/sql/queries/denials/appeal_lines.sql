SELECT cl.line_number, cl.procedure_code, cl.modifiers, cl.service_date, cl.charge,
       coalesce(lp.paid, 0) AS paid,
       coalesce((SELECT string_agg(a.group_code || '-' || a.reason_code, ', ' ORDER BY a.position)
                   FROM billing.adjustments a WHERE a.line_payment_id = lp.id), '') AS codes
  FROM billing.claim_lines cl
  LEFT JOIN billing.line_payments lp ON lp.claim_line_id = cl.id AND lp.claim_payment_id = %(claim_payment_id)s
 WHERE cl.claim_id = %(claim_id)s
 ORDER BY cl.line_number
