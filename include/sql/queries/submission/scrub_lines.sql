-- Lines of the claims waiting for scrubbing. duplicate_of: the claim number of another visit's
-- line with the same patient, service date, procedure code and rendering provider that is
-- already billed (ready or further along, not replaced/voided), or waiting in this same step
-- with a lower claim id (so of two duplicates the first goes on and the second is held); of
-- several, the lowest claim id.
-- Set-based: the other lines sharing a (service date, procedure code) with a pending line are
-- read once (claim_lines_dup_idx) and matched to the pending lines by patient in one hash join,
-- instead of one probe per pending line over every patient's lines of that date and code.
WITH pending AS MATERIALIZED (
    SELECT l.claim_id, l.line_number, l.procedure_code, l.charge, l.units, l.modifiers, l.dx_pointers,
           l.service_date, c.visit_id, v.patient_id, v.rendering_provider_id
    FROM billing.claim_lines l
    JOIN billing.claims c ON c.id = l.claim_id
    JOIN pm.visits v ON v.id = c.visit_id
    WHERE (c.status = 'new' OR %(claim_ids)s::bigint[] IS NOT NULL)   -- a named claim: a corrected one
      AND (%(claim_ids)s::bigint[] IS NULL OR c.id = ANY(%(claim_ids)s::bigint[]))
      AND (%(through_claim_id)s::bigint IS NULL OR c.id <= %(through_claim_id)s::bigint)   -- one wave
), others AS MATERIALIZED (
    -- lines of claims that can be duplicated: billed (not new/held/rejected/replaced/voided) or new
    SELECT l2.service_date, l2.procedure_code, v2.patient_id, v2.rendering_provider_id,
           c2.id, c2.visit_id, c2.status, c2.claim_number
    FROM billing.claim_lines l2
    JOIN billing.claims c2 ON c2.id = l2.claim_id
    JOIN pm.visits v2 ON v2.id = c2.visit_id
    WHERE c2.status NOT IN ('held', 'rejected', 'replaced', 'voided')
      AND (l2.service_date, l2.procedure_code) IN (SELECT DISTINCT service_date, procedure_code FROM pending)
), duplicates AS (
    SELECT DISTINCT ON (p.claim_id, p.line_number) p.claim_id, p.line_number, o.claim_number
    FROM pending p
    JOIN others o ON o.patient_id = p.patient_id
                 AND o.service_date = p.service_date
                 AND o.procedure_code = p.procedure_code
    WHERE o.rendering_provider_id IS NOT DISTINCT FROM p.rendering_provider_id
      AND o.visit_id <> p.visit_id
      AND (o.status <> 'new' OR o.id < p.claim_id)
    ORDER BY p.claim_id, p.line_number, o.id
)
SELECT p.claim_id, p.line_number, p.procedure_code, p.charge, p.units, p.modifiers, p.dx_pointers,
       p.service_date, d.claim_number AS duplicate_of
FROM pending p
LEFT JOIN duplicates d ON d.claim_id = p.claim_id AND d.line_number = p.line_number
ORDER BY p.claim_id, p.line_number
