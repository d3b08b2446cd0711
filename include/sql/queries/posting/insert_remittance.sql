-- One row per 835 transaction set; (payer, trace) unique: the same payment twice posts nothing.
INSERT INTO billing.remittances
    (edi_file_id, transaction_index, payer_identifier, trace_number, payment_amount, payment_method,
     payment_date, state, held_reason)
VALUES (%(edi_file_id)s, %(transaction_index)s, %(payer_identifier)s, %(trace_number)s, %(payment_amount)s,
        %(payment_method)s, %(payment_date)s, %(state)s, %(held_reason)s)
ON CONFLICT DO NOTHING
RETURNING id
