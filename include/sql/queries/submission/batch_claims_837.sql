-- Everything an 837P needs for the claims of one batch, one row per claim (lines separately).
SELECT c.id, c.claim_number, c.total_charge, c.diagnosis_codes, c.frequency_code,
       c.payer_claim_control_number, v.place_of_service, v.prior_authorization, v.onset_date,
       v.accident_type, v.accident_state, v.accident_date,
       -- billing provider (2010AA) and pay-to (2010AB)
       bp.organization_name, bp.npi, bp.tax_id, bp.taxonomy_code, bp.address1, bp.city, bp.state, bp.zip,
       bp.pay_to_address1, bp.pay_to_city, bp.pay_to_state, bp.pay_to_zip,
       -- subscriber (2010BA) and payer (2010BB)
       ip.member_id, ip.group_number, ip.relationship_code, ip.subscriber_last_name, ip.subscriber_first_name,
       ip.subscriber_birth_date, ip.subscriber_sex, ip.subscriber_address1, ip.subscriber_city,
       ip.subscriber_state, ip.subscriber_zip,
       py.name, py.payer_identifier, py.claim_filing_indicator, py.address1, py.city, py.state, py.zip,
       -- patient (2010CA when not the subscriber)
       pt.last_name, pt.first_name, pt.birth_date, pt.sex, pt.address1, pt.city, pt.state, pt.zip,
       -- rendering, referring, facility
       rp.last_name, rp.first_name, rp.npi, rp.taxonomy_code,
       fp.last_name, fp.first_name, fp.npi,
       f.name, f.npi, f.address1, f.city, f.state, f.zip,
       c.responsibility
FROM billing.batch_claims bc
JOIN billing.claims c ON c.id = bc.claim_id
JOIN pm.visits v ON v.id = c.visit_id
JOIN pm.patients pt ON pt.id = v.patient_id
JOIN pm.billing_providers bp ON bp.id = v.billing_provider_id
JOIN pm.insurance_policies ip ON ip.id = c.policy_id
JOIN pm.payers py ON py.id = c.payer_id
LEFT JOIN pm.providers rp ON rp.id = v.rendering_provider_id
LEFT JOIN pm.providers fp ON fp.id = v.referring_provider_id
LEFT JOIN pm.facilities f ON f.id = v.facility_id
WHERE bc.batch_id = %(batch_id)s
ORDER BY c.claim_number
