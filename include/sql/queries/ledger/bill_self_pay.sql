-- Self-pay visits (skipped by claim pick-up because the policy is self-pay) are billed to the
-- patient at their charges: one ledger row per visit, no claim (docs/patient_accounts.md).
INSERT INTO billing.patient_ledger (patient_id, claim_id, visit_id, entry_type, category, amount, source_key)
SELECT v.id_patient, NULL, v.visit_id, 'patient_responsibility', 'self_pay', v.charges, 'selfpay:' || v.visit_id
  FROM (SELECT s.visit_id, vv.patient_id AS id_patient,
               (SELECT sum(ch.amount) FROM pm.charges ch WHERE ch.visit_id = s.visit_id) AS charges
          FROM billing.skipped_visits s
          JOIN pm.visits vv ON vv.id = s.visit_id
         WHERE s.reason = 'self_pay') v
 WHERE v.charges > 0
ON CONFLICT (source_key) DO NOTHING
