-- Step 2 of the protocol: the batch's file is stored; the batch is uploading (committed before anything leaves).
UPDATE billing.submission_batches SET state = 'uploading', edi_file_id = %(file_id)s
WHERE id = %(batch_id)s AND state = 'planned'
