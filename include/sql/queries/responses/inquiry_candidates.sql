-- Claims sent before the cutoff (N days before the caller's clock) that have neither a 277CA nor an
-- 835 yet: still 'submitted' or 'acknowledged'. What a 276 asks about (PHI stays in the 276 file).
SELECT c.id, c.claim_number, c.total_charge, c.date_of_service, c.payer_claim_control_number,
       c.submitted_at, coalesce(py.clearinghouse, 'sandbox') AS partner,
       py.name AS payer_name, py.payer_identifier, bp.npi, bp.organization_name,
       ip.member_id, coalesce(ip.subscriber_last_name, pt.last_name), coalesce(ip.subscriber_first_name, pt.first_name),
       ip.subscriber_birth_date, ip.subscriber_sex
  FROM billing.claims c
  JOIN pm.visits v ON v.id = c.visit_id
  JOIN pm.patients pt ON pt.id = v.patient_id
  JOIN pm.billing_providers bp ON bp.id = v.billing_provider_id
  LEFT JOIN pm.payers py ON py.id = c.payer_id
  LEFT JOIN pm.insurance_policies ip ON ip.id = c.policy_id
 WHERE c.status IN ('submitted', 'acknowledged')
   AND c.submitted_at IS NOT NULL
   AND c.submitted_at <= %(cutoff)s
 ORDER BY c.id
