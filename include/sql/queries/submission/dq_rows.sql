-- What data quality checks of every claim waiting for it (status new), in one statement (one snapshot):
-- one claim row per claim (claim_row true: the claim's, patient's, subscriber's and providers' fields)
-- and its line rows (claim_row false: the line fields), so a claim's fields travel once, not once per
-- line. A claim without lines gives one line row with empty line fields (scrubbing rejects it:
-- SCRUB_TOTALS). Dates as ISO text so the checks see exactly what the 837P will carry. No order: the
-- results name claims by id. through_claim_id (NULL: every claim): one wave of the backlog, the claims up
-- to that id (submission.wave_end).
SELECT c.id AS claim_id, true AS claim_row,
       ip.member_id,
       pt.last_name AS patient_last_name, pt.first_name AS patient_first_name,
       to_char(pt.birth_date, 'YYYY-MM-DD') AS patient_birth_date, pt.sex AS patient_sex,
       pt.address1 AS patient_address1, pt.city AS patient_city, pt.state AS patient_state,
       pt.zip AS patient_zip,
       ip.subscriber_last_name, ip.subscriber_first_name,
       to_char(ip.subscriber_birth_date, 'YYYY-MM-DD') AS subscriber_birth_date, ip.subscriber_sex,
       ip.subscriber_address1, ip.subscriber_city, ip.subscriber_state, ip.subscriber_zip,
       ip.relationship_code,
       c.payer_id::text AS payer_id, py.name AS payer_name,
       bp.npi AS billing_npi, bp.tax_id AS billing_tax_id, bp.state AS billing_state, bp.zip AS billing_zip,
       rp.npi AS rendering_npi, fp.npi AS referring_npi,
       v.place_of_service,
       to_char(c.date_of_service, 'YYYY-MM-DD') AS date_of_service,
       nullif(array_to_string(c.diagnosis_codes, ','), '') AS diagnosis_codes,
       NULL::text AS procedure_code,
       NULL::text AS modifier1, NULL::text AS modifier2, NULL::text AS modifier3, NULL::text AS modifier4,
       NULL::float8 AS units, NULL::float8 AS charge, NULL::text AS service_date
FROM billing.claims c
JOIN pm.visits v ON v.id = c.visit_id
JOIN pm.patients pt ON pt.id = v.patient_id
LEFT JOIN pm.insurance_policies ip ON ip.id = c.policy_id
LEFT JOIN pm.payers py ON py.id = c.payer_id
JOIN pm.billing_providers bp ON bp.id = v.billing_provider_id
LEFT JOIN pm.providers rp ON rp.id = v.rendering_provider_id
LEFT JOIN pm.providers fp ON fp.id = v.referring_provider_id
WHERE c.status = 'new'
  AND (%(through_claim_id)s::bigint IS NULL OR c.id <= %(through_claim_id)s::bigint)
UNION ALL
SELECT c.id, false,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       l.procedure_code,
       l.modifiers[1], l.modifiers[2], l.modifiers[3], l.modifiers[4],
       l.units::float8,          -- checked for > 0 only; money stays NUMERIC in the ledger
       l.charge::float8,
       to_char(l.service_date, 'YYYY-MM-DD')
FROM billing.claims c
LEFT JOIN billing.claim_lines l ON l.claim_id = c.id
WHERE c.status = 'new'
  AND (%(through_claim_id)s::bigint IS NULL OR c.id <= %(through_claim_id)s::bigint)
