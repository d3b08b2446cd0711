SELECT EXISTS (SELECT 1 FROM pm.patient_payments WHERE reference LIKE '%%-OVER') AS found
