-- The demo clerk's answer key for a claim's lines: what the claim says next to what the visit's
-- record (pm.charges, the coded encounter) says.
SELECT l.line_number, l.procedure_code, l.modifiers, l.dx_pointers,
       ch.procedure_code AS chart_code,
       array_remove(ARRAY[ch.modifier1, ch.modifier2, ch.modifier3, ch.modifier4]::text[], NULL) AS chart_modifiers,
       array_remove(ARRAY[ch.dx_pointer1, ch.dx_pointer2, ch.dx_pointer3, ch.dx_pointer4]::smallint[], NULL)
           AS chart_pointers
  FROM billing.claim_lines l
  LEFT JOIN pm.charges ch ON ch.id = l.charge_id
 WHERE l.claim_id = %(claim_id)s
 ORDER BY l.line_number
