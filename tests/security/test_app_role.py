"""Least privilege: the DAGs and the UI connect as a member of billing_app, which cannot change
or remove audit rows, truncate, run DDL or switch a trigger off; every work-item change and
every correction leaves its before/after values in billing.change_log."""

from __future__ import annotations

import psycopg
import pytest

from include.billing.db import ensure_app_login

AUDIT_TABLES = ["claim_events", "claim_payments", "line_payments", "adjustments", "provider_adjustments",
                "patient_ledger", "remittances", "change_log"]


@pytest.fixture
def ledger(db, db_url):
    """The report fixture ledger (events, remittances, payments, adjustments, patient ledger, work items)."""
    from tests.unit.reports import ledger

    ids = ledger.build(db)
    db.execute("""INSERT INTO billing.provider_adjustments (remittance_id, position, provider_identifier,
                      fiscal_period_date, reason_code, reference, amount)
                  SELECT id, 1, '1234567893', '2026-12-31', 'WO', 'X1', 5.00 FROM billing.remittances
                  WHERE state = 'posted' ORDER BY id LIMIT 1""")
    db.execute("""INSERT INTO billing.line_payments (claim_payment_id, svc_index, procedure_code, charge, paid)
                  SELECT id, 1, '99213', charge, paid FROM billing.claim_payments ORDER BY id LIMIT 1""")
    # one change so that the change log has a row to attack
    db.execute("UPDATE billing.work_queue SET assignee = 'setup' WHERE id = (SELECT min(id) FROM billing.work_queue)")
    db.commit()
    return ids


@pytest.fixture
def app(db_url):
    url = ensure_app_login(db_url)
    with psycopg.connect(url) as conn:
        yield conn


def _refused(conn, statement: str, params=()) -> str:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(statement, params)
    conn.rollback()
    return type(caught.value).__name__


def test_the_app_role_is_not_the_owner(app):
    who = app.execute("SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
                      "FROM pg_roles WHERE rolname = current_user").fetchone()
    assert who == ("billing_app_login", False, False, False, False)
    owners = {o for (o,) in app.execute("SELECT DISTINCT tableowner FROM pg_tables "
                                        "WHERE schemaname IN ('pm', 'billing')")}
    assert "billing_app_login" not in owners and "billing_app" not in owners


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_update_delete_and_truncate_of_audit_rows_are_refused(ledger, app, db, table):
    rows = db.execute(f"SELECT count(*) FROM billing.{table}").fetchone()[0]
    assert rows > 0, f"the fixture put nothing in {table}: the attempts would prove nothing"
    assert _refused(app, f"UPDATE billing.{table} SET id = id") == "InsufficientPrivilege"
    if table == "remittances":
        # a held remittance may go (release_held.sql); a posted one may not, not even via the owner
        assert _refused(app, "DELETE FROM billing.remittances WHERE state = 'posted'") == "RaiseException"
        assert _refused(db, "DELETE FROM billing.remittances WHERE state = 'posted'") == "RaiseException"
    else:
        assert _refused(app, f"DELETE FROM billing.{table}") == "InsufficientPrivilege"
    assert _refused(app, f"TRUNCATE billing.{table}") == "InsufficientPrivilege"
    assert db.execute(f"SELECT count(*) FROM billing.{table}").fetchone()[0] == rows


def test_the_app_role_cannot_disable_or_drop_a_trigger_or_run_ddl(app):
    assert _refused(app, "ALTER TABLE billing.claim_events DISABLE TRIGGER claim_events_append_only") \
        == "InsufficientPrivilege"
    assert _refused(app, "DROP TRIGGER claim_events_append_only ON billing.claim_events") == "InsufficientPrivilege"
    assert _refused(app, "SET session_replication_role = replica") == "InsufficientPrivilege"
    assert _refused(app, "CREATE TABLE billing.shadow (id int)") == "InsufficientPrivilege"
    assert _refused(app, "ALTER TABLE billing.claims ADD COLUMN x int") == "InsufficientPrivilege"
    assert _refused(app, "DROP TABLE billing.work_queue") == "InsufficientPrivilege"


def test_the_app_role_can_do_its_work(ledger, app):
    """What the DAGs and the UI do: read, append events and payments, change claims and work items,
    forget a held remittance."""
    claim = app.execute("SELECT id FROM billing.claims LIMIT 1").fetchone()[0]
    app.execute("INSERT INTO billing.claim_events (claim_id, event_type, actor) VALUES (%s, 'note', 'test')",
                (claim,))
    app.execute("UPDATE billing.claims SET updated_at = now() WHERE id = %s", (claim,))
    app.execute("UPDATE billing.work_queue SET assignee = 'bob' WHERE state = 'open'")
    held = app.execute("DELETE FROM billing.remittances WHERE state = 'held' RETURNING id").fetchall()
    assert held
    app.commit()


def test_work_item_changes_and_corrections_keep_before_and_after(ledger, app, db):
    from include.billing.rcm_sql import query

    item, claim = db.execute("SELECT id, claim_id FROM billing.work_queue WHERE claim_id IS NOT NULL "
                             "AND state = 'open' ORDER BY id LIMIT 1").fetchone()
    no_claim = db.execute("SELECT id FROM billing.work_queue WHERE claim_id IS NULL").fetchone()[0]
    policy = db.execute("""INSERT INTO pm.insurance_policies (patient_id, payer_id, priority, member_id,
                               subscriber_last_name, subscriber_first_name, subscriber_birth_date, subscriber_sex,
                               subscriber_address1, subscriber_city, subscriber_state, subscriber_zip, effective_date)
                           SELECT min(pt.id), min(py.id), 'primary', 'OLD12345', 'Testpatient', 'Pat', '1980-01-01',
                                  'U', '2 Oak St', 'Springfield', 'IL', '62701', '2020-01-01'
                           FROM pm.patients pt, pm.payers py RETURNING id, member_id""").fetchone()
    db.commit()
    with app.transaction():
        app.execute(query("workqueue", "set_actor"), {"actor": "user:alice", "run": None, "is_local": True})
        app.execute("UPDATE billing.work_queue SET assignee = 'alice' WHERE id = %s", (item,))
        app.execute("UPDATE billing.work_queue SET state = 'resolved', resolved_by = 'user:alice' WHERE id = %s",
                    (no_claim,))
        app.execute("UPDATE billing.claims SET diagnosis_codes = '{J069,R05}' WHERE id = %s", (claim,))
        app.execute("UPDATE pm.insurance_policies SET member_id = 'NEW12345' WHERE id = %s", (policy[0],))
    log = db.execute("SELECT table_name, row_id, claim_id, before, after, actor, db_role FROM billing.change_log "
                     "ORDER BY id").fetchall()
    by_table = {(r[0], r[1]): r for r in log}
    assigned = by_table[("billing.work_queue", item)]
    assert assigned[2] == claim and assigned[3] == {"assignee": None} and assigned[4] == {"assignee": "alice"}
    assert assigned[5] == "user:alice" and assigned[6] == "billing_app_login"
    resolved = by_table[("billing.work_queue", no_claim)]            # a work item with no claim leaves a trace too
    assert resolved[3]["state"] == "open" and resolved[4]["state"] == "resolved"
    dx = by_table[("billing.claims", claim)]
    assert dx[4] == {"diagnosis_codes": ["J069", "R05"]} and dx[3]["diagnosis_codes"] is not None
    member = by_table[("pm.insurance_policies", policy[0])]
    assert member[3] == {"member_id": policy[1]} and member[4] == {"member_id": "NEW12345"}
    # status changes of claims are events already: they add nothing to the change log
    before = len(log)
    with app.transaction():
        app.execute("UPDATE billing.claims SET status = status, updated_at = now() WHERE id = %s", (claim,))
    assert db.execute("SELECT count(*) FROM billing.change_log").fetchone()[0] == before


def test_payment_and_ledger_rows_carry_their_actor_and_run(ledger, app, db):
    from include.billing.rcm_sql import query

    remittance = db.execute("SELECT id FROM billing.remittances WHERE state = 'posted' ORDER BY id LIMIT 1").fetchone()[0]
    claim, patient = db.execute("SELECT c.id, v.patient_id FROM billing.claims c JOIN pm.visits v ON v.id = c.visit_id "
                                "ORDER BY c.id LIMIT 1").fetchone()
    with app.transaction():
        app.execute(query("workqueue", "set_actor"),
                    {"actor": "dag:remittance_posting.post", "run": "scheduled__2026-04-01T00:00:00+00:00",
                     "is_local": True})
        app.execute("""INSERT INTO billing.claim_payments (remittance_id, clp_index, claim_id, status_code, charge, paid)
                       VALUES (%s, 99, %s, '1', 10, 10)""", (remittance, claim))
        app.execute("""INSERT INTO billing.patient_ledger (patient_id, claim_id, entry_type, amount, source_key)
                       VALUES (%s, %s, 'patient_payment', -5, 'test:actor')""", (patient, claim))
    paid = db.execute("SELECT recorded_by, recorded_run FROM billing.claim_payments WHERE clp_index = 99").fetchone()
    owed = db.execute("SELECT recorded_by, recorded_run FROM billing.patient_ledger "
                      "WHERE source_key = 'test:actor'").fetchone()
    assert paid == owed == ("dag:remittance_posting.post", "scheduled__2026-04-01T00:00:00+00:00")
    # without a named actor the database role is the actor
    app.execute("""INSERT INTO billing.patient_ledger (patient_id, claim_id, entry_type, amount, source_key)
                   VALUES (%s, %s, 'patient_payment', -1, 'test:anonymous')""", (patient, claim))
    app.commit()
    assert db.execute("SELECT recorded_by, recorded_run FROM billing.patient_ledger "
                      "WHERE source_key = 'test:anonymous'").fetchone() == ("billing_app_login", None)
