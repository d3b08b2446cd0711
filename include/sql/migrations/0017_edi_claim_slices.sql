-- depends: 0011_least_privilege
-- Where each claim sits in a stored EDI file (issue 19, item 7: the UI parses only the bytes
-- of the one claim it shows).
--
-- One row per loop of a claim in a stored file, written when the file is acted on: posting an
-- 835 (the CLP loop, CLP .. before the next CLP/LX/PLB/SE), storing a sent 837P (the subscriber
-- HL and, for a dependent, the patient HL with their loops, then the claim's 2300 loop, CLM ..
-- before the next CLM/HL/SE), applying a 277CA/277 (the claim's NM1 .. before the next HL/SE)
-- and a 999 (the AK2 loop of the transaction set that carried the claim). `offsets`/`lengths`
-- are byte ranges of edi_files.content, in file order (0-based offsets); `header_offset` is the
-- ISA of the interchange the ranges are in, whose bytes give the delimiters.
-- Files stored before this migration have no rows: the item page parses the whole file for
-- them, as it did before.

CREATE TABLE billing.edi_claim_slices (
    edi_file_id   bigint   NOT NULL REFERENCES billing.edi_files(id),
    claim_id      bigint   NOT NULL REFERENCES billing.claims(id),
    header_offset bigint   NOT NULL CHECK (header_offset >= 0),
    offsets       bigint[] NOT NULL,
    lengths       integer[] NOT NULL,
    CHECK (cardinality(offsets) BETWEEN 1 AND 8 AND cardinality(lengths) = cardinality(offsets)),
    PRIMARY KEY (edi_file_id, claim_id, header_offset, offsets)
);
CREATE INDEX edi_claim_slices_claim_idx ON billing.edi_claim_slices (claim_id);

-- written once with the file's processing, never changed: the app role inserts and reads
REVOKE ALL ON billing.edi_claim_slices FROM billing_app;
GRANT SELECT, INSERT ON billing.edi_claim_slices TO billing_app;
