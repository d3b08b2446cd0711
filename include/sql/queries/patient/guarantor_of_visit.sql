-- The guarantor who pays the patient's share of a visit (the Billing UI links to their account).
SELECT g.guarantor_key
  FROM pm.visits v
  JOIN billing.patient_guarantors g ON g.patient_id = v.patient_id
 WHERE v.id = %(visit_id)s
