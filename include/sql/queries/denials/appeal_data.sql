-- What an appeal letter or a records cover shows: the claim, the provider, the payer, the patient
-- (PHI stays in the 0600 file). Read by name: appeals.letter_parties.
SELECT c.id AS claim_id, c.claim_number, c.date_of_service, c.total_charge, c.payer_claim_control_number,
       bp.organization_name AS provider_name, bp.npi AS provider_npi, bp.address1 AS provider_address1,
       bp.city AS provider_city, bp.state AS provider_state, bp.zip AS provider_zip,
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
