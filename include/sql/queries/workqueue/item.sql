-- One work item with its claim, visit, payer, policy and provider (for the item page).
SELECT w.id, w.claim_id, w.visit_id, w.edi_file_id, w.source, w.reason_code, w.explanation, w.details,
       w.state, w.assignee, w.due_date, w.created_at, w.resolved_at, w.resolved_by,
       c.claim_number, c.status AS claim_status, c.version, c.frequency_code, c.replaces_claim_id,
       c.payer_claim_control_number, c.total_charge, c.diagnosis_codes, c.date_of_service,
       c.policy_id, c.responsibility,
       v.visit_number, v.place_of_service, v.prior_authorization,
       py.id AS payer_id, py.name AS payer_name, py.payer_identifier,
       ip.member_id, ip.group_number, ip.priority AS policy_priority,
       pa.mrn, pa.last_name AS patient_last_name, pa.first_name AS patient_first_name,
       pr.id AS provider_id, pr.last_name || ', ' || pr.first_name AS provider_name, pr.npi AS provider_npi
FROM billing.work_queue w
LEFT JOIN billing.claims c ON c.id = w.claim_id
LEFT JOIN pm.visits v ON v.id = coalesce(c.visit_id, w.visit_id)
LEFT JOIN pm.payers py ON py.id = c.payer_id
LEFT JOIN pm.insurance_policies ip ON ip.id = c.policy_id
LEFT JOIN pm.patients pa ON pa.id = v.patient_id
LEFT JOIN pm.providers pr ON pr.id = v.rendering_provider_id
WHERE w.id = %(item_id)s;
