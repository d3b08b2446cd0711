-- Step 4 of the protocol: the batch is uploaded and its file sent.
WITH file AS (
    UPDATE billing.edi_files SET state = 'sent', processed_at = billing.clock()
    WHERE id = %(file_id)s AND state IN ('stored', 'uploading')
)
UPDATE billing.submission_batches SET state = 'uploaded', uploaded_at = billing.clock()
WHERE id = %(batch_id)s AND state = 'uploading'
