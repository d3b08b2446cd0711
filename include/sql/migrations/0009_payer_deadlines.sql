-- depends: 0002_billing_schema
-- Appeal windows per payer, next to its timely-filing limit (pm.payers.timely_filing_days).
-- NULL means the published default for the payer's claim filing indicator
-- (include/billing/codes/payer_deadlines.csv, sources in docs/denials.md); a payer's contract
-- or provider manual overrides it here.
ALTER TABLE pm.payers
    ADD COLUMN IF NOT EXISTS appeal_first_level_days  integer CHECK (appeal_first_level_days > 0),
    ADD COLUMN IF NOT EXISTS appeal_second_level_days integer CHECK (appeal_second_level_days > 0);
