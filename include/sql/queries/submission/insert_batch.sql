-- A planned 837P batch; nothing when a batch with the same key (same partner, payer and claims) exists.
INSERT INTO billing.submission_batches
       (batch_key, trading_partner, payer_id, interchange_control_number, group_control_number,
        transaction_control_number, file_name, state, claim_count, total_charge)
VALUES (%(batch_key)s, %(trading_partner)s, %(payer_id)s, %(icn)s, %(gcn)s, %(stcn)s, %(file_name)s, 'planned',
        %(claim_count)s, %(total_charge)s)
ON CONFLICT (batch_key) DO NOTHING
RETURNING id
