-- depends: 0002_billing_schema
-- Eligibility read as payers mean it (docs/eligibility.md): a 271 with EB01 = 5 ("active - pending
-- investigation") is a 'review' answer; an AAA keeps its follow-up action (AAA04) and who must act
-- (provider enrollment, patient data, the inquiry, the payer); EB*R keeps the other payer it names.
ALTER TABLE billing.eligibility_checks DROP CONSTRAINT IF EXISTS eligibility_checks_status_check;
ALTER TABLE billing.eligibility_checks ADD CONSTRAINT eligibility_checks_status_check
    CHECK (status IN ('active', 'inactive', 'unknown', 'error', 'review'));
ALTER TABLE billing.eligibility_checks
    ADD COLUMN IF NOT EXISTS follow_up_action text,          -- AAA04: C N P R S W X Y
    ADD COLUMN IF NOT EXISTS retry_after date,               -- no new 270 for this policy before this day
    ADD COLUMN IF NOT EXISTS route text,                     -- provider | patient | request | payer
    ADD COLUMN IF NOT EXISTS other_payer jsonb;              -- EB*R: {"entity_code", "name", "identifier"}
