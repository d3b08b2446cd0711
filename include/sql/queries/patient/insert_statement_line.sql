INSERT INTO billing.statement_lines (statement_id, line_number, visit_id, date_of_service, provider, services,
                                     charges, insurance_paid, adjustments, patient_responsibility, patient_paid,
                                     balance, insurance_pending)
VALUES (%(statement_id)s, %(line_number)s, %(visit_id)s, %(date_of_service)s, %(provider)s, %(services)s,
        %(charges)s, %(insurance_paid)s, %(adjustments)s, %(patient_responsibility)s, %(patient_paid)s,
        %(balance)s, %(insurance_pending)s)
ON CONFLICT DO NOTHING
