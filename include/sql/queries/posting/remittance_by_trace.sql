SELECT id, state FROM billing.remittances
 WHERE payer_identifier = %(payer_identifier)s AND trace_number = %(trace_number)s
