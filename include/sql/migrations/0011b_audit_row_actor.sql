-- depends: 0011_least_privilege
-- Every payment, adjustment, ledger entry and remittance row says who wrote it and in which run:
-- the session's `billing.actor` (dag:<dag>.<task>, or user:<name>) and `billing.run` (the DAG
-- run id), which include.dag_support sets on each task's connection; the database role when unset.
-- Defaults only: the posting code's COPY column lists stay as they are.
ALTER TABLE billing.remittances
    ADD COLUMN recorded_by text NOT NULL DEFAULT coalesce(nullif(current_setting('billing.actor', true), ''), current_user),
    ADD COLUMN recorded_run text DEFAULT nullif(current_setting('billing.run', true), '');
ALTER TABLE billing.claim_payments
    ADD COLUMN recorded_by text NOT NULL DEFAULT coalesce(nullif(current_setting('billing.actor', true), ''), current_user),
    ADD COLUMN recorded_run text DEFAULT nullif(current_setting('billing.run', true), '');
ALTER TABLE billing.line_payments
    ADD COLUMN recorded_by text NOT NULL DEFAULT coalesce(nullif(current_setting('billing.actor', true), ''), current_user),
    ADD COLUMN recorded_run text DEFAULT nullif(current_setting('billing.run', true), '');
ALTER TABLE billing.adjustments
    ADD COLUMN recorded_by text NOT NULL DEFAULT coalesce(nullif(current_setting('billing.actor', true), ''), current_user),
    ADD COLUMN recorded_run text DEFAULT nullif(current_setting('billing.run', true), '');
ALTER TABLE billing.provider_adjustments
    ADD COLUMN recorded_by text NOT NULL DEFAULT coalesce(nullif(current_setting('billing.actor', true), ''), current_user),
    ADD COLUMN recorded_run text DEFAULT nullif(current_setting('billing.run', true), '');
ALTER TABLE billing.patient_ledger
    ADD COLUMN recorded_by text NOT NULL DEFAULT coalesce(nullif(current_setting('billing.actor', true), ''), current_user),
    ADD COLUMN recorded_run text DEFAULT nullif(current_setting('billing.run', true), '');
ALTER TABLE billing.change_log
    ADD COLUMN recorded_run text DEFAULT nullif(current_setting('billing.run', true), '');
