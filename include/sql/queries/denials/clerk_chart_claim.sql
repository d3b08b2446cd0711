-- The demo clerk's answer key for a claim: the visit's coded diagnoses, the member id on the
-- payer's roster for the claim's policy, and whether the roster shows that policy in force on
-- the date of service (the coverage order is then confirmed as it is).
SELECT c.diagnosis_codes,
       (SELECT array_agg(d.icd10_code ORDER BY d.sequence) FROM pm.visit_diagnoses d
         WHERE d.visit_id = c.visit_id) AS chart_diagnoses,
       ip.member_id,
       m.member_id AS roster_member_id,
       (m.id IS NOT NULL AND m.plan_begin <= c.date_of_service
        AND (m.plan_end IS NULL OR m.plan_end >= c.date_of_service)) AS roster_covers
  FROM billing.claims c
  LEFT JOIN pm.insurance_policies ip ON ip.id = c.policy_id
  LEFT JOIN LATERAL (SELECT * FROM pm.synthetic_member_plans s WHERE s.policy_id = c.policy_id
                      ORDER BY s.plan_begin DESC LIMIT 1) m ON true
 WHERE c.id = %(claim_id)s
