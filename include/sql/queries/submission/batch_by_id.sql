-- one batch, read by name (dict_row)
SELECT id, trading_partner, payer_id, interchange_control_number, group_control_number,
       transaction_control_number, file_name, state, edi_file_id, created_at, claim_count
FROM billing.submission_batches
WHERE id = %s
