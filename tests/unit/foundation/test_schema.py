"""The schema: migrations are re-runnable and the ledger's guarantees hold in the database."""

from decimal import Decimal

import psycopg
import pytest

from include.billing.db import migrate


def test_migrations_apply_twice_without_error(db_url):
    # the template already applied everything: a second run finds nothing to do
    assert migrate(db_url) == []
    assert migrate(db_url) == []
    with psycopg.connect(db_url) as conn:
        applied = {r[0] for r in conn.execute("SELECT migration_id FROM _yoyo_migration")}
    assert {"0001_pm_schema", "0002_billing_schema"} <= applied


def test_money_columns_are_numeric_12_2(db):
    rows = db.execute(
        """SELECT table_schema || '.' || table_name || '.' || column_name, data_type, numeric_precision, numeric_scale
             FROM information_schema.columns
            WHERE table_schema IN ('pm', 'billing')
              AND column_name IN ('amount', 'charge', 'paid', 'total_charge', 'payment_amount', 'copay',
                                  'deductible', 'patient_responsibility', 'allowed')"""
    ).fetchall()
    assert rows, "expected money columns"
    for name, data_type, precision, scale in rows:
        assert (data_type, precision, scale) == ("numeric", 12, 2), name


def _minimal_claim(db) -> int:
    db.execute("""INSERT INTO pm.billing_providers (npi, organization_name, tax_id, taxonomy_code, address1, city, state, zip)
                  VALUES ('1234567893', 'Clinic', '123456789', '207Q00000X', '1 Main', 'Town', 'OH', '432150000')""")
    db.execute("""INSERT INTO pm.patients (mrn, last_name, first_name, birth_date, sex, address1, city, state, zip)
                  VALUES ('M1', 'Doe', 'Jan', '1980-01-01', 'F', '1 Oak', 'Town', 'OH', '43215')""")
    db.execute("""INSERT INTO pm.visits (visit_number, patient_id, billing_provider_id, place_of_service,
                                         date_of_service, status, completed_at)
                  VALUES ('V1', 1, 1, '11', '2026-01-05', 'completed', now())""")
    return db.execute("""INSERT INTO billing.claims (claim_number, visit_id, total_charge, date_of_service)
                         VALUES ('V1-P1', 1, 100.10, '2026-01-05') RETURNING id""").fetchone()[0]


def test_natural_keys_prevent_duplicate_claims(db):
    _minimal_claim(db)
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.execute("""INSERT INTO billing.claims (claim_number, visit_id, total_charge, date_of_service)
                      VALUES ('V1-P1b', 1, 100.10, '2026-01-05')""")


def test_claim_events_are_append_only(db):
    claim_id = _minimal_claim(db)
    db.execute("INSERT INTO billing.claim_events (claim_id, event_type, to_status, actor) VALUES (%s, 'created', 'new', 'test')",
               (claim_id,))
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        db.execute("UPDATE billing.claim_events SET actor = 'someone else'")
    db.rollback()


def test_money_round_trips_exactly(db):
    claim_id = _minimal_claim(db)
    total = db.execute("SELECT total_charge FROM billing.claims WHERE id = %s", (claim_id,)).fetchone()[0]
    assert total == Decimal("100.10") and isinstance(total, Decimal)
