-- A stored EDI file without its bytes, and whether its claims' places in it were recorded
-- (billing.edi_claim_slices, migration 0017): then the item page reads only those bytes.
SELECT f.id, f.transaction_type, f.file_name, f.direction, f.stored_at,
       EXISTS (SELECT 1 FROM billing.edi_claim_slices s WHERE s.edi_file_id = f.id) AS sliced
FROM billing.edi_files f WHERE f.id = %(file_id)s;
