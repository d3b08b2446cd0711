-- Staging for the secondary (tertiary) claims one remittance creates: filled by COPY, read by the
-- INSERT … SELECTs below, emptied at commit (and before each use: savepoints share it).
CREATE TEMP TABLE IF NOT EXISTS posting_new_secondary (
    position                integer NOT NULL,        -- the CLP's order: claim ids follow it
    claim_number            text    NOT NULL,
    responsibility          char(1) NOT NULL,
    policy_id               integer,
    payer_id                integer,
    prior_payer_paid        numeric(12,2),
    prior_payer_adjustments jsonb,
    primary_claim_id        bigint  NOT NULL
) ON COMMIT DELETE ROWS;
TRUNCATE posting_new_secondary
