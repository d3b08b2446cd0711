-- Newly completed visits not yet billed become claim headers (one per visit, primary payer).
-- High-water mark: only visits completed at or before the run's start; a visit completed
-- while the run is going is taken by the next run. No lower bound, so nothing is skipped.
-- Self-pay visits and visits without a primary policy covering the date of service are
-- recorded in billing.skipped_visits instead. Re-running inserts nothing twice (ON CONFLICT).
WITH candidates AS (
    SELECT v.id AS visit_id, v.visit_number, v.date_of_service,
           p.id AS policy_id, p.payer_id, coalesce(py.is_self_pay, false) AS is_self_pay
    FROM pm.visits v
    LEFT JOIN LATERAL (
        SELECT ip.id, ip.payer_id
        FROM pm.insurance_policies ip
        WHERE ip.patient_id = v.patient_id
          AND ip.priority = 'primary'
          AND ip.effective_date <= v.date_of_service
          AND (ip.termination_date IS NULL OR ip.termination_date >= v.date_of_service)
        ORDER BY ip.effective_date DESC
        LIMIT 1
    ) p ON true
    LEFT JOIN pm.payers py ON py.id = p.payer_id
    WHERE v.status = 'completed'
      AND v.completed_at <= %(high_water)s
      AND (%(date_from)s::date IS NULL OR v.date_of_service >= %(date_from)s::date)
      AND (%(date_to)s::date IS NULL OR v.date_of_service <= %(date_to)s::date)
      AND (%(visit_ids)s::int[] IS NULL OR v.id = ANY(%(visit_ids)s::int[]))
      AND NOT EXISTS (SELECT 1 FROM billing.claims c
                      WHERE c.visit_id = v.id AND c.responsibility = 'P')
      AND NOT EXISTS (SELECT 1 FROM billing.skipped_visits s WHERE s.visit_id = v.id)
),
skipped AS (
    INSERT INTO billing.skipped_visits (visit_id, reason, actor)
    SELECT visit_id, CASE WHEN policy_id IS NULL THEN 'no_primary_policy' ELSE 'self_pay' END, %(actor)s
    FROM candidates
    WHERE policy_id IS NULL OR is_self_pay
    ON CONFLICT DO NOTHING
    RETURNING visit_id
),
inserted AS (
    INSERT INTO billing.claims (claim_number, visit_id, policy_id, payer_id, responsibility, version,
                                total_charge, diagnosis_codes, date_of_service)
    SELECT c.visit_number || 'P1', c.visit_id, c.policy_id, c.payer_id, 'P', 1,
           coalesce((SELECT sum(ch.amount) FROM pm.charges ch WHERE ch.visit_id = c.visit_id), 0),
           coalesce((SELECT array_agg(d.icd10_code ORDER BY d.sequence)
                     FROM pm.visit_diagnoses d WHERE d.visit_id = c.visit_id), '{}'),
           c.date_of_service
    FROM candidates c
    WHERE c.policy_id IS NOT NULL AND NOT c.is_self_pay
    ON CONFLICT DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM inserted) AS claims_created,
       (SELECT count(*) FROM skipped) AS visits_skipped
