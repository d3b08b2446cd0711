-- The bulk form of store_file.sql, in one statement: each new file gets a row, in input order; a
-- file whose bytes, or whose partner and name, are already stored (in the table or earlier in the
-- same input) is not inserted and not returned: ledger.store_files looks those up with store_file.sql.
INSERT INTO billing.edi_files (direction, transaction_type, file_name, sha256, size_bytes, content,
                               origin, trading_partner, state)
SELECT f.direction, f.transaction_type, f.file_name, f.sha256, f.size_bytes, f.content, f.origin, f.partner, f.state
FROM unnest(%(directions)s::text[], %(transaction_types)s::text[], %(file_names)s::text[], %(sha256s)s::text[],
            %(sizes)s::bigint[], %(contents)s::bytea[], %(origins)s::text[], %(partners)s::text[],
            %(states)s::text[])
     WITH ORDINALITY AS f(direction, transaction_type, file_name, sha256, size_bytes, content, origin, partner,
                          state, ord)
ORDER BY f.ord
ON CONFLICT DO NOTHING
RETURNING id, direction, trading_partner, file_name
