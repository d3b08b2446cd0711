-- 837 batches created in [day_start, day_end).
SELECT b.id, b.file_name, b.state, b.claim_count, b.total_charge, b.created_at, b.uploaded_at,
       coalesce(py.name, b.trading_partner) AS payer_name
FROM billing.submission_batches b
LEFT JOIN pm.payers py ON py.id = b.payer_id
WHERE b.created_at >= %(day_start)s AND b.created_at < %(day_end)s
ORDER BY b.created_at DESC
LIMIT 50;
