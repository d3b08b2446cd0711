-- depends: 0017_edi_claim_slices 0016_run_trace_artefacts 0015_patient_accounts 0011b_audit_row_actor
-- The ledger's clock (issue 16, item 2: a practice that lives through a quarter).
--
-- billing.clock() is now() plus a per-session offset, read from the custom setting
-- billing.clock_offset (an interval, e.g. '-90 days'). A DAG run sets it from its `as_of`, so a
-- demo that runs the DAGs over simulated days stamps claims, events and postings on those days.
-- The offset counts only where billing.clock_policy allows it: a table only the owner (the
-- login that migrates) can change, off by default, so a stray SET in production shifts nothing.

CREATE TABLE billing.clock_policy (
    only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    allow_offset  boolean NOT NULL DEFAULT false,
    note          text
);
INSERT INTO billing.clock_policy (only_row, allow_offset, note)
VALUES (true, false, 'production: billing.clock() = now()');
REVOKE ALL ON billing.clock_policy FROM billing_app;
GRANT SELECT ON billing.clock_policy TO billing_app;

CREATE FUNCTION billing.clock() RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT now() + CASE WHEN (SELECT allow_offset FROM billing.clock_policy)
                        THEN coalesce(nullif(current_setting('billing.clock_offset', true), '')::interval,
                                      interval '0')
                        ELSE interval '0' END
$$;
GRANT EXECUTE ON FUNCTION billing.clock() TO billing_app;

-- every column that defaulted to now() now defaults to the ledger's clock
DO $$
DECLARE col record;
BEGIN
    FOR col IN
        SELECT c.table_schema, c.table_name, c.column_name
          FROM information_schema.columns c
          JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema IN ('pm', 'billing') AND t.table_type = 'BASE TABLE'
           AND c.column_default IN ('now()', 'CURRENT_TIMESTAMP', 'transaction_timestamp()')
    LOOP
        EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN %I SET DEFAULT billing.clock()',
                       col.table_schema, col.table_name, col.column_name);
    END LOOP;
END $$;
