-- Claims waiting for eligibility (status new: data quality passed) with what a 270 needs.
-- through_claim_id (NULL: every claim): one wave of the backlog, the claims up to that id (submission.wave_end).
SELECT c.id AS claim_id, c.policy_id, c.date_of_service,
       ip.member_id, ip.group_number, ip.relationship_code,
       ip.subscriber_last_name, ip.subscriber_first_name, ip.subscriber_birth_date, ip.subscriber_sex,
       pt.last_name AS patient_last_name, pt.first_name AS patient_first_name,
       pt.birth_date AS patient_birth_date, pt.sex AS patient_sex,
       py.name AS payer_name, coalesce(py.payer_identifier, '') AS payer_identifier, py.clearinghouse,
       bp.npi AS billing_npi, bp.organization_name
FROM billing.claims c
JOIN pm.visits v ON v.id = c.visit_id
JOIN pm.patients pt ON pt.id = v.patient_id
JOIN pm.insurance_policies ip ON ip.id = c.policy_id
JOIN pm.payers py ON py.id = c.payer_id
JOIN pm.billing_providers bp ON bp.id = v.billing_provider_id
WHERE c.status = 'new'
  AND (%(through_claim_id)s::bigint IS NULL OR c.id <= %(through_claim_id)s::bigint)
ORDER BY c.policy_id, c.date_of_service
