-- depends: 0007_ui_indexes
-- Accounts under coordination of benefits, and PLB applied rather than only stored.
--
-- provider_adjustments: PLB03-1 kept whole (no truncation to two characters); what each PLB
-- adjustment was applied as (a recoupment from the claim it names, interest income, a
-- forwarding balance that a later opposite FB nets, or unapplied cash waiting for a person);
-- the claim it names; the earlier FB it nets.

ALTER TABLE billing.provider_adjustments ALTER COLUMN reason_code TYPE text;
ALTER TABLE billing.provider_adjustments
    ADD COLUMN applied_as text NOT NULL DEFAULT 'unapplied'
        CHECK (applied_as IN ('claim_recoupment', 'interest_income', 'forwarding_balance', 'unapplied')),
    ADD COLUMN claim_id bigint REFERENCES billing.claims(id),
    ADD COLUMN nets_adjustment_id bigint UNIQUE REFERENCES billing.provider_adjustments(id);
CREATE INDEX provider_adjustments_claim_idx ON billing.provider_adjustments (claim_id) WHERE claim_id IS NOT NULL;
CREATE INDEX provider_adjustments_fb_idx ON billing.provider_adjustments (reference)
    WHERE applied_as = 'forwarding_balance';

CREATE INDEX IF NOT EXISTS claims_visit_idx ON billing.claims (visit_id, responsibility, version);
CREATE INDEX IF NOT EXISTS claims_pccn_idx ON billing.claims (payer_claim_control_number)
    WHERE payer_claim_control_number IS NOT NULL;
-- a later answer to the same billed line supersedes an earlier one: found by line
CREATE INDEX IF NOT EXISTS line_payments_claim_line_idx ON billing.line_payments (claim_line_id)
    WHERE claim_line_id IS NOT NULL;
