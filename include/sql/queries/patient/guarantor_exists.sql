-- Is this a guarantor (account number) we know?
SELECT EXISTS (SELECT 1 FROM billing.patient_guarantors WHERE guarantor_key = %(key)s) AS known
