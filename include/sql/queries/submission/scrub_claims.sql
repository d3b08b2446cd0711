-- Claims waiting for scrubbing (status new: data quality and eligibility passed), with what the rules need.
-- through_claim_id (NULL: every claim): one wave of the backlog, the claims up to that id (submission.wave_end).
SELECT c.id, c.claim_number, c.date_of_service, c.total_charge, c.diagnosis_codes,
       bp.npi AS billing_npi, rp.npi AS rendering_npi, fp.npi AS referring_npi,
       py.payer_identifier, coalesce(py.timely_filing_days, 365),
       -- a secondary (tertiary) claim's timely filing runs from the prior payer's latest 835 payment date
       CASE WHEN c.responsibility <> 'P' THEN
           (SELECT max(r.payment_date)
              FROM billing.claims p
              JOIN billing.claim_payments cp ON cp.claim_id = p.id AND NOT cp.is_reversal
              JOIN billing.remittances r ON r.id = cp.remittance_id AND r.state = 'posted'
             WHERE p.visit_id = c.visit_id AND p.responsibility < c.responsibility) END AS filing_from
FROM billing.claims c
JOIN pm.visits v ON v.id = c.visit_id
JOIN pm.billing_providers bp ON bp.id = v.billing_provider_id
LEFT JOIN pm.providers rp ON rp.id = v.rendering_provider_id
LEFT JOIN pm.providers fp ON fp.id = v.referring_provider_id
LEFT JOIN pm.payers py ON py.id = c.payer_id
WHERE (c.status = 'new' OR %(claim_ids)s::bigint[] IS NOT NULL)   -- a named claim: a corrected one, re-scrubbed
  AND (%(claim_ids)s::bigint[] IS NULL OR c.id = ANY(%(claim_ids)s::bigint[]))
  AND (%(through_claim_id)s::bigint IS NULL OR c.id <= %(through_claim_id)s::bigint)
ORDER BY c.id
