-- Coverage of the next priority (secondary after a primary, tertiary after a secondary) active on
-- the date of service, for claims that just adjudicated.
SELECT DISTINCT ON (c.id) c.id AS claim_id, p.id AS policy_id, p.payer_id
  FROM billing.claims c
  JOIN pm.visits v ON v.id = c.visit_id
  JOIN pm.insurance_policies p ON p.patient_id = v.patient_id
 WHERE c.id = ANY(%(claim_ids)s)
   AND p.priority = CASE c.responsibility WHEN 'P' THEN 'secondary' WHEN 'S' THEN 'tertiary' END
   AND p.effective_date <= c.date_of_service
   AND (p.termination_date IS NULL OR p.termination_date >= c.date_of_service)
 ORDER BY c.id, p.effective_date DESC
