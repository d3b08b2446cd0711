-- EDI files stored in [day_start, day_end) by direction, type and state.
SELECT direction, transaction_type, state, count(*) AS files, sum(size_bytes) AS bytes, max(stored_at) AS last_at
FROM billing.edi_files
WHERE stored_at >= %(day_start)s AND stored_at < %(day_end)s
GROUP BY direction, transaction_type, state
ORDER BY direction DESC, transaction_type, state;
