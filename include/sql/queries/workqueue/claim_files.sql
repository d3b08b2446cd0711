-- EDI files about a claim, newest first: the 837 batches it went in (with the transaction
-- set control number a 999 quotes) and the 835s that paid or denied it.
SELECT f.id, f.transaction_type, f.file_name, f.stored_at, b.transaction_control_number
FROM billing.batch_claims bc
JOIN billing.submission_batches b ON b.id = bc.batch_id
JOIN billing.edi_files f ON f.id = b.edi_file_id
WHERE bc.claim_id = %(claim_id)s
UNION ALL
SELECT DISTINCT f.id, f.transaction_type, f.file_name, f.stored_at, NULL::bigint
FROM billing.claim_payments cp
JOIN billing.remittances r ON r.id = cp.remittance_id
JOIN billing.edi_files f ON f.id = r.edi_file_id
WHERE cp.claim_id = %(claim_id)s
ORDER BY stored_at DESC;
