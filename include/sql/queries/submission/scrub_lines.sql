-- Lines of the claims waiting for scrubbing. duplicate_of: the claim number of another visit's
-- line with the same patient, service date, procedure code and rendering provider that is
-- already billed (ready or further along, not replaced/voided), or waiting in this same step
-- with a lower claim id (so of two duplicates the first goes on and the second is held).
SELECT l.claim_id, l.line_number, l.procedure_code, l.charge, l.units, l.modifiers, l.dx_pointers,
       l.service_date,
       (SELECT c2.claim_number
        FROM billing.claim_lines l2
        JOIN billing.claims c2 ON c2.id = l2.claim_id
        JOIN pm.visits v2 ON v2.id = c2.visit_id
        WHERE l2.procedure_code = l.procedure_code
          AND l2.service_date = l.service_date
          AND v2.patient_id = v.patient_id
          AND v2.rendering_provider_id IS NOT DISTINCT FROM v.rendering_provider_id
          AND c2.visit_id <> c.visit_id
          AND (c2.status NOT IN ('new', 'held', 'rejected', 'replaced', 'voided')
               OR (c2.status = 'new' AND c2.id < c.id))
        ORDER BY c2.id
        LIMIT 1) AS duplicate_of
FROM billing.claim_lines l
JOIN billing.claims c ON c.id = l.claim_id
JOIN pm.visits v ON v.id = c.visit_id
WHERE c.status = 'new'
  AND (%(claim_ids)s::bigint[] IS NULL OR c.id = ANY(%(claim_ids)s::bigint[]))
ORDER BY l.claim_id, l.line_number
