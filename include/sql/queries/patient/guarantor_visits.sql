-- Completed visits of the given guarantors (all when NULL) with what a statement line shows:
-- guarantor, date, rendering provider, services, charges; whether the visit has claims, and
-- whether it is a self-pay visit billed to the patient at its charges (ledger rows with no claim).
SELECT v.id AS visit_id, v.visit_number, v.patient_id, pg.guarantor_key, v.date_of_service,
       nullif(trim(coalesce(pr.first_name, '') || ' ' || coalesce(pr.last_name, '')), '') AS provider,
       coalesce((SELECT string_agg(ch.procedure_code, ', ' ORDER BY ch.line_number)
                   FROM pm.charges ch WHERE ch.visit_id = v.id), '')            AS services,
       coalesce((SELECT sum(ch.amount) FROM pm.charges ch WHERE ch.visit_id = v.id), 0) AS charges,
       EXISTS (SELECT 1 FROM billing.claims c WHERE c.visit_id = v.id)         AS has_claim,
       (SELECT sum(pl.amount) FROM billing.patient_ledger pl
         WHERE pl.visit_id = v.id AND pl.claim_id IS NULL
           AND pl.entry_type = 'patient_responsibility')                       AS self_pay_owed
  FROM pm.visits v
  JOIN billing.patient_guarantors pg ON pg.patient_id = v.patient_id
  LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
 WHERE v.status = 'completed'
   AND (%(keys)s::text[] IS NULL OR pg.guarantor_key = ANY(%(keys)s::text[]))
 ORDER BY pg.guarantor_key, v.date_of_service, v.visit_number
