-- depends: 0007_ui_indexes
-- Least privilege and an audit trail that holds (issue 19, item 8).
--
-- Migrations run as the owner: the login that applies them owns the schemas and tables (the
-- PostgreSQL image's POSTGRES_USER in docker-compose, the private server's superuser locally).
-- The DAGs and the Billing UI connect as a login that is a member of `billing_app`, which has
--   * no DDL: no CREATE on any schema, owns nothing, so it cannot ALTER, DROP or disable a trigger;
--   * no TRUNCATE anywhere;
--   * append-only audit tables: INSERT and SELECT only on claim events, payments, line payments,
--     adjustments, provider adjustments, the patient ledger and the change log; on remittances
--     also DELETE, of a held remittance only (posting/release_held.sql forgets a held payment run).
-- Every change to a work item, and every correction of a member id, prior authorization,
-- diagnosis codes, modifiers or diagnosis pointers, lands in billing.change_log with the
-- values before and after, who did it and the transaction.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'billing_app') THEN
        CREATE ROLE billing_app NOLOGIN;
    END IF;
END $$;

-- the change log ------------------------------------------------------------------------

CREATE TABLE billing.change_log (
    id          bigserial   PRIMARY KEY,
    table_name  text        NOT NULL,
    row_id      bigint      NOT NULL,
    claim_id    bigint,
    operation   text        NOT NULL CHECK (operation IN ('UPDATE', 'DELETE')),
    before      jsonb       NOT NULL,              -- the changed columns' old values
    after       jsonb,                             -- their new values (NULL for a delete)
    actor       text        NOT NULL,              -- the app's `billing.actor` setting, else the database role
    db_role     text        NOT NULL DEFAULT current_user,
    txid        bigint      NOT NULL DEFAULT txid_current(),
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX change_log_row_idx ON billing.change_log (table_name, row_id);
CREATE INDEX change_log_claim_idx ON billing.change_log (claim_id);

CREATE FUNCTION billing.log_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(NEW) END;
    changed_before jsonb;
    changed_after jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(o.key, new_row -> o.key)
          INTO changed_before, changed_after
          FROM jsonb_each(old_row) o
         WHERE o.value IS DISTINCT FROM new_row -> o.key;
        IF changed_before IS NULL THEN
            RETURN NULL;                          -- nothing changed
        END IF;
    ELSE
        changed_before := old_row;
    END IF;
    INSERT INTO billing.change_log (table_name, row_id, claim_id, operation, before, after, actor)
    VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, (old_row ->> 'id')::bigint,
            CASE WHEN TG_TABLE_NAME = 'claims' THEN (old_row ->> 'id')::bigint
                 ELSE (old_row ->> 'claim_id')::bigint END,
            TG_OP, changed_before, changed_after,
            coalesce(nullif(current_setting('billing.actor', true), ''), current_user));
    RETURN NULL;
END $$;

-- every work-item change
CREATE TRIGGER work_queue_change_log AFTER UPDATE OR DELETE ON billing.work_queue
    FOR EACH ROW EXECUTE FUNCTION billing.log_change();
-- the corrections the work queue makes, whichever path makes them
CREATE TRIGGER insurance_policies_member_id_log AFTER UPDATE OF member_id ON pm.insurance_policies
    FOR EACH ROW WHEN (OLD.member_id IS DISTINCT FROM NEW.member_id) EXECUTE FUNCTION billing.log_change();
CREATE TRIGGER visits_prior_authorization_log AFTER UPDATE OF prior_authorization ON pm.visits
    FOR EACH ROW WHEN (OLD.prior_authorization IS DISTINCT FROM NEW.prior_authorization)
    EXECUTE FUNCTION billing.log_change();
CREATE TRIGGER claims_diagnoses_log AFTER UPDATE OF diagnosis_codes ON billing.claims
    FOR EACH ROW WHEN (OLD.diagnosis_codes IS DISTINCT FROM NEW.diagnosis_codes) EXECUTE FUNCTION billing.log_change();
CREATE TRIGGER claim_lines_coding_log AFTER UPDATE OF modifiers, dx_pointers ON billing.claim_lines
    FOR EACH ROW WHEN (OLD.modifiers IS DISTINCT FROM NEW.modifiers OR OLD.dx_pointers IS DISTINCT FROM NEW.dx_pointers)
    EXECUTE FUNCTION billing.log_change();

CREATE TRIGGER change_log_append_only BEFORE UPDATE OR DELETE ON billing.change_log
    FOR EACH ROW EXECUTE FUNCTION billing.forbid_change();

-- a remittance row goes away only while held (nothing was posted from it)
CREATE FUNCTION billing.forbid_posted_remittance_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'held' THEN
        RAISE EXCEPTION 'remittance % is %: only a held remittance may be removed', OLD.id, OLD.state;
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER remittances_delete_held_only BEFORE DELETE ON billing.remittances
    FOR EACH ROW EXECUTE FUNCTION billing.forbid_posted_remittance_delete();

-- the app role's privileges ---------------------------------------------------------------

REVOKE CREATE ON SCHEMA pm, billing FROM PUBLIC;
GRANT USAGE ON SCHEMA pm, billing TO billing_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pm, billing TO billing_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA pm, billing TO billing_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA billing TO billing_app;

REVOKE UPDATE, DELETE, TRUNCATE ON billing.claim_events, billing.claim_payments, billing.line_payments,
    billing.adjustments, billing.provider_adjustments, billing.patient_ledger, billing.change_log
    FROM billing_app;
REVOKE UPDATE, TRUNCATE ON billing.remittances FROM billing_app;

-- tables later migrations create (run by the same owner) get the same DML grants; a migration
-- that adds an audit table revokes UPDATE/DELETE on it as above
ALTER DEFAULT PRIVILEGES IN SCHEMA pm, billing GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO billing_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA pm, billing GRANT USAGE, SELECT ON SEQUENCES TO billing_app;
