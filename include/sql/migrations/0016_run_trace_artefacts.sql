-- depends: 0008_accounts_cob_plb
-- Traceable runs and the artefact store (issue 18).
--
-- Run columns: every claim event, work item and stored EDI file records the Airflow task try
-- that wrote it: dag_id, task_id, run_id, try_number (and map_index for mapped tasks). A task
-- binds them to its ledger connection once (include.billing.runs.bind_run: session settings
-- billing.dag_id, …), and the columns default to those settings, so every insert a task makes
-- carries them without each query naming them. Rows written by a person (the Billing UI) or a
-- script leave them NULL. `actor` stays as it was ('dag:<dag_id>.<task_id>' or 'user:<name>').
--
-- billing.artefacts: reports (HTML, charts, CSV/XLSX), data-quality results and appeal packets,
-- as bytes in the ledger database (docs/artefacts.md says why), readable by every worker and by
-- the API server. XCom carries their ids.

CREATE FUNCTION billing.run_setting(name text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('billing.' || name, true), '')
$$;

ALTER TABLE billing.claim_events
    ADD COLUMN dag_id text DEFAULT billing.run_setting('dag_id'),
    ADD COLUMN task_id text DEFAULT billing.run_setting('task_id'),
    ADD COLUMN run_id text DEFAULT billing.run_setting('run_id'),
    ADD COLUMN try_number integer DEFAULT billing.run_setting('try_number')::integer,
    ADD COLUMN map_index integer DEFAULT billing.run_setting('map_index')::integer;

ALTER TABLE billing.work_queue
    ADD COLUMN dag_id text DEFAULT billing.run_setting('dag_id'),
    ADD COLUMN task_id text DEFAULT billing.run_setting('task_id'),
    ADD COLUMN run_id text DEFAULT billing.run_setting('run_id'),
    ADD COLUMN try_number integer DEFAULT billing.run_setting('try_number')::integer,
    ADD COLUMN map_index integer DEFAULT billing.run_setting('map_index')::integer;

ALTER TABLE billing.edi_files
    ADD COLUMN dag_id text DEFAULT billing.run_setting('dag_id'),
    ADD COLUMN task_id text DEFAULT billing.run_setting('task_id'),
    ADD COLUMN run_id text DEFAULT billing.run_setting('run_id'),
    ADD COLUMN try_number integer DEFAULT billing.run_setting('try_number')::integer,
    ADD COLUMN map_index integer DEFAULT billing.run_setting('map_index')::integer;

CREATE INDEX claim_events_run_idx ON billing.claim_events (dag_id, run_id) WHERE run_id IS NOT NULL;

CREATE TABLE billing.artefacts (
    id           bigserial   PRIMARY KEY,
    kind         text        NOT NULL,        -- report_html, report_chart, report_attachment, report_state,
                                              -- report_manifest, dq_results, appeal_letter, appeal_pdf, …
    name         text        NOT NULL,        -- a file name without folders: ids only, never PHI
    media_type   text        NOT NULL DEFAULT 'application/octet-stream',
    content      bytea       NOT NULL,
    size_bytes   integer     NOT NULL,
    sha256       text        NOT NULL,
    holds_phi    boolean     NOT NULL DEFAULT false,
    natural_key  text        UNIQUE,          -- the same artefact written again (a retry) is stored once
    work_item_id bigint      REFERENCES billing.work_queue(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    dag_id       text        DEFAULT billing.run_setting('dag_id'),
    task_id      text        DEFAULT billing.run_setting('task_id'),
    run_id       text        DEFAULT billing.run_setting('run_id'),
    try_number   integer     DEFAULT billing.run_setting('try_number')::integer,
    map_index    integer     DEFAULT billing.run_setting('map_index')::integer,
    CHECK (name !~ '/')
);
CREATE INDEX artefacts_kind_idx ON billing.artefacts (kind, created_at);
CREATE INDEX artefacts_work_item_idx ON billing.artefacts (work_item_id) WHERE work_item_id IS NOT NULL;
