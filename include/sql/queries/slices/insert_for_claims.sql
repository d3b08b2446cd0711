-- One loop of a stored file (a 999's AK2 loop) for every claim it answers.
INSERT INTO billing.edi_claim_slices (edi_file_id, claim_id, header_offset, offsets, lengths)
SELECT %(file_id)s, claim_id, %(header_offset)s, %(offsets)s::bigint[], %(lengths)s::integer[]
FROM unnest(%(claim_ids)s::bigint[]) AS claim_id
ON CONFLICT DO NOTHING
