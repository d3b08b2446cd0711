-- Everything an 837P needs for the claims of one batch, one row per claim (lines separately).
-- Read by name (submission.load_claims_837 uses namedtuple_row): every column has its own alias.
SELECT c.id AS cid, c.claim_number AS number, c.total_charge AS total, c.diagnosis_codes AS dx,
       c.frequency_code AS freq, c.payer_claim_control_number AS pccn, v.place_of_service AS pos,
       v.prior_authorization AS prior_auth, v.onset_date AS onset,
       v.accident_type AS acc_type, v.accident_state AS acc_state, v.accident_date AS acc_date,
       -- billing provider (2010AA) and pay-to (2010AB)
       bp.organization_name AS bp_name, bp.npi AS bp_npi, bp.tax_id AS bp_tax, bp.taxonomy_code AS bp_tax_code,
       bp.address1 AS bp_a1, bp.city AS bp_city, bp.state AS bp_state, bp.zip AS bp_zip,
       bp.pay_to_address1 AS pt_a1, bp.pay_to_city AS pt_city, bp.pay_to_state AS pt_state, bp.pay_to_zip AS pt_zip,
       -- subscriber (2010BA) and payer (2010BB)
       ip.member_id, ip.group_number, ip.relationship_code AS rel,
       ip.subscriber_last_name AS s_last, ip.subscriber_first_name AS s_first,
       ip.subscriber_birth_date AS s_birth, ip.subscriber_sex AS s_sex, ip.subscriber_address1 AS s_a1,
       ip.subscriber_city AS s_city, ip.subscriber_state AS s_state, ip.subscriber_zip AS s_zip,
       py.name AS py_name, py.payer_identifier AS py_ident, py.claim_filing_indicator AS py_cfi,
       py.address1 AS py_a1, py.city AS py_city, py.state AS py_state, py.zip AS py_zip,
       -- patient (2010CA when not the subscriber)
       pt.last_name AS p_last, pt.first_name AS p_first, pt.birth_date AS p_birth, pt.sex AS p_sex,
       pt.address1 AS p_a1, pt.city AS p_city, pt.state AS p_state, pt.zip AS p_zip,
       -- rendering, referring, facility
       rp.last_name AS r_last, rp.first_name AS r_first, rp.npi AS r_npi, rp.taxonomy_code AS r_tax,
       fp.last_name AS f_last, fp.first_name AS f_first, fp.npi AS f_npi,
       f.name AS fac_name, f.npi AS fac_npi, f.address1 AS fac_a1, f.city AS fac_city, f.state AS fac_state,
       f.zip AS fac_zip,
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
