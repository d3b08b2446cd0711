-- For claims whose 271 names another payer (EB*R): the claim's responsibility and payer, and the
-- patient's OTHER policies in force on the date of service (priority, payer identifier, name).
-- One row per other policy; a claim with none on file gives one row with NULLs.
SELECT c.id AS claim_id, c.responsibility, py.payer_identifier AS this_payer,
       op.priority, opy.payer_identifier AS other_payer, opy.name AS other_payer_name
FROM billing.claims c
JOIN pm.visits v ON v.id = c.visit_id
LEFT JOIN pm.payers py ON py.id = c.payer_id
LEFT JOIN pm.insurance_policies op
       ON op.patient_id = v.patient_id AND op.id IS DISTINCT FROM c.policy_id
      AND op.effective_date <= c.date_of_service
      AND (op.termination_date IS NULL OR op.termination_date >= c.date_of_service)
LEFT JOIN pm.payers opy ON opy.id = op.payer_id
WHERE c.id = ANY(%(claim_ids)s::bigint[])
ORDER BY c.id, op.priority
