-- What scrubbing judges in Python once per distinct value, not once per claim (include.billing.scrub):
-- the NPI of every provider and the clearinghouse id of every payer that a claim waiting for scrubbing
-- names, as the claim rows carry them, and the distinct diagnosis codes of those claims. scrub_findings
-- then applies the answers to every claim by provider, payer and code.
WITH pending AS MATERIALIZED (
    SELECT c.diagnosis_codes, c.payer_id, v.billing_provider_id, v.rendering_provider_id, v.referring_provider_id
    FROM billing.claims c
    JOIN pm.visits v ON v.id = c.visit_id
    WHERE ((c.status = 'new' AND %(claim_ids)s::bigint[] IS NULL)   -- as scrub_findings: waiting, or named
       OR c.id = ANY(%(claim_ids)s::bigint[]))
      AND (%(through_claim_id)s::bigint IS NULL OR c.id <= %(through_claim_id)s::bigint)   -- one wave (submission.wave_end)
)
SELECT 'billing_provider' AS kind, bp.id, bp.npi AS value
  FROM pm.billing_providers bp WHERE bp.id IN (SELECT billing_provider_id FROM pending)
UNION ALL
SELECT 'provider', p.id, p.npi
  FROM pm.providers p WHERE p.id IN (SELECT rendering_provider_id FROM pending UNION SELECT referring_provider_id FROM pending)
UNION ALL
SELECT 'payer', py.id, py.payer_identifier
  FROM pm.payers py WHERE py.id IN (SELECT payer_id FROM pending)
UNION ALL
SELECT DISTINCT 'diagnosis', NULL::integer, d.code
  FROM pending, unnest(pending.diagnosis_codes) AS d(code) WHERE d.code IS NOT NULL
