-- What an appeal letter shows: the claim, the provider, the payer, the patient (PHI stays in the 0600 file).
SELECT c.id, c.claim_number, c.date_of_service, c.total_charge, c.payer_claim_control_number,
       bp.organization_name, bp.npi, bp.address1, bp.city, bp.state, bp.zip,
       py.name AS payer_name, py.address1 AS payer_address1, py.city AS payer_city, py.state AS payer_state,
       py.zip AS payer_zip,
       pt.last_name, pt.first_name, pt.birth_date, ip.member_id
  FROM billing.claims c
  JOIN pm.visits v ON v.id = c.visit_id
  JOIN pm.billing_providers bp ON bp.id = v.billing_provider_id
  JOIN pm.patients pt ON pt.id = v.patient_id
  LEFT JOIN pm.payers py ON py.id = c.payer_id
  LEFT JOIN pm.insurance_policies ip ON ip.id = c.policy_id
 WHERE c.id = %(claim_id)s
