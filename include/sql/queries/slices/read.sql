-- Only the bytes the item page shows: the interchange's ISA (its delimiters) and the claim's
-- ranges, cut out by the server; the rest of the file never reaches the UI process.
SELECT substring(f.content FROM (s.header_offset + 1)::int FOR 400) AS header,
       ARRAY(SELECT substring(f.content FROM (r.o + 1)::int FOR r.l)
             FROM unnest(s.offsets, s.lengths) WITH ORDINALITY AS r(o, l, n) ORDER BY r.n) AS parts
FROM billing.edi_claim_slices s
JOIN billing.edi_files f ON f.id = s.edi_file_id
WHERE s.edi_file_id = %(file_id)s AND s.claim_id = %(claim_id)s
ORDER BY s.offsets[1]
