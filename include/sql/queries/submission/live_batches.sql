-- 837P batches still to send (planned, or stored and uploading), in the order they were planned.
SELECT id
FROM billing.submission_batches
WHERE state IN ('planned', 'uploading') AND transaction_type = '837P'
ORDER BY id
