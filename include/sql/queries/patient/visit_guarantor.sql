-- The visit's id and its guarantor, by visit number.
SELECT v.id AS visit_id, pg.guarantor_key
  FROM pm.visits v JOIN billing.patient_guarantors pg ON pg.patient_id = v.patient_id
 WHERE v.visit_number = %(visit_number)s
