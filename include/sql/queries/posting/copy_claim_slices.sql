COPY billing.edi_claim_slices (edi_file_id, claim_id, header_offset, offsets, lengths) FROM STDIN
