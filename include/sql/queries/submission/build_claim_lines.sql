-- Lines for every claim that has no 'created' event yet, copied from pm.charges.
-- Modifiers and pointers become arrays (NULLs dropped); REF*6R = claim number + 'L' + line.
INSERT INTO billing.claim_lines (claim_id, line_number, charge_id, line_control_number, procedure_code,
                                 modifiers, units, charge, dx_pointers, service_date, ndc)
SELECT c.id, ch.line_number, ch.id, c.claim_number || 'L' || ch.line_number, ch.procedure_code,
       array_remove(ARRAY[ch.modifier1, ch.modifier2, ch.modifier3, ch.modifier4]::text[], NULL),
       ch.units, ch.amount,
       array_remove(ARRAY[ch.dx_pointer1, ch.dx_pointer2, ch.dx_pointer3, ch.dx_pointer4]::smallint[], NULL),
       c.date_of_service, ch.ndc
FROM billing.claims c
JOIN pm.charges ch ON ch.visit_id = c.visit_id
WHERE c.status = 'new'
  AND NOT EXISTS (SELECT 1 FROM billing.claim_events e WHERE e.dedupe_key = 'created:' || c.id)
ON CONFLICT DO NOTHING
