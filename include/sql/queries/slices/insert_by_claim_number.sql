-- The claim loops found in a stored file (include.billing.edi_slices.scan), for the claims we know
-- by number; array literals per row, as the number of ranges differs (837: HL context + claim).
INSERT INTO billing.edi_claim_slices (edi_file_id, claim_id, header_offset, offsets, lengths)
SELECT %(file_id)s, c.id, s.header_offset, s.offsets::bigint[], s.lengths::integer[]
FROM unnest(%(claim_numbers)s::text[], %(header_offsets)s::bigint[], %(offsets)s::text[], %(lengths)s::text[])
     AS s(claim_number, header_offset, offsets, lengths)
JOIN billing.claims c ON c.claim_number = s.claim_number
ON CONFLICT DO NOTHING
