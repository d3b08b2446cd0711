"""Seeding a real database: identical from the same seed, refused twice, roster true to the labels."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from include.billing.npi import is_valid_npi
from include.practice.__main__ import main as cli
from include.practice.dirty import DIRTY_KINDS
from include.practice.generate import COLUMNS, dirty_count, visit_counts
from include.practice.roster import export_roster
from include.practice.seed import PracticeExistsError, ensure_practice, seed_practice, summarize
from tests.unit.practice.practice_checks import guarantor_defects, visit_defects

TODAY = date(2026, 11, 27)
ALL_PM = [*COLUMNS, "pm.synthetic_seed_runs"]


def read_tables(conn) -> dict[str, list[tuple]]:
    out = {}
    for table, columns in COLUMNS.items():
        cols = sql.SQL(", ").join(map(sql.Identifier, columns))
        query = sql.SQL("SELECT {} FROM {} ORDER BY 1, 2").format(cols, sql.Identifier(*table.split(".")))
        out[table] = conn.execute(query).fetchall()
    return out


def digest(url: str) -> str:
    """sha256 over every pm table's rows in key order (the run log without its timestamp)."""
    h = hashlib.sha256()
    with psycopg.connect(url) as conn:
        for table in ALL_PM:
            query = sql.SQL("SELECT to_jsonb(t) - 'created_at' FROM {} t ORDER BY 1").format(
                sql.Identifier(*table.split(".")))
            h.update(table.encode())
            for (row,) in conn.execute(query):
                h.update(json.dumps(row, sort_keys=True).encode())
    return h.hexdigest()


def seed(url: str, seed_value: int, visits: int = 600):
    with psycopg.connect(url) as conn:
        return seed_practice(conn, visits=visits, seed=seed_value, today=TODAY)


def test_same_seed_identical_databases_other_seed_differs(make_db):
    a, b, c = make_db(), make_db(), make_db()
    sa, sb = seed(a, 11), seed(b, 11)
    seed(c, 12)
    assert sa == sb
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)


def test_database_rows_keep_the_promises(db_url):
    summary = seed(db_url, 5, visits=1500)
    completed = visit_counts(1500)[0]
    assert summary.created and summary.visits == 1500 and summary.completed == completed
    assert summary.dirty_total == dirty_count(completed, 0.05) and set(summary.dirty) == set(DIRTY_KINDS)
    with psycopg.connect(db_url) as conn:
        tables = read_tables(conn)
        labels = dict(conn.execute("SELECT visit_id, dirty_kind FROM pm.synthetic_visit_labels").fetchall())
        # charge = fee x units, exactly, in the database's own arithmetic
        assert conn.execute("""SELECT count(*) FROM pm.charges c JOIN pm.fee_schedule f USING (procedure_code)
                                WHERE c.amount <> f.amount * c.units""").fetchone()[0] == 0
        amount, units = conn.execute("SELECT amount, units FROM pm.charges LIMIT 1").fetchone()
        assert isinstance(amount, Decimal) and isinstance(units, Decimal)
        # clean visits' pointers all resolve (the SQL a scrubber would write)
        unresolved = conn.execute("""
            SELECT DISTINCT c.visit_id FROM pm.charges c
            CROSS JOIN LATERAL unnest(ARRAY[c.dx_pointer1, c.dx_pointer2, c.dx_pointer3, c.dx_pointer4]) p
            LEFT JOIN pm.visit_diagnoses d ON d.visit_id = c.visit_id AND d.sequence = p
            WHERE p IS NOT NULL AND d.visit_id IS NULL""").fetchall()
        assert {v for (v,) in unresolved} == {v for v, k in labels.items() if k == "bad_dx_pointer"}
        npis = conn.execute("""SELECT DISTINCT p.npi, l.dirty_kind FROM pm.visits v
                                 JOIN pm.providers p ON p.id = v.rendering_provider_id
                                 LEFT JOIN pm.synthetic_visit_labels l ON l.visit_id = v.id""").fetchall()
        assert all(is_valid_npi(npi) == (kind != "invalid_npi") for npi, kind in npis)
        # sequences continue after the explicit ids
        new_id = conn.execute("""INSERT INTO pm.patients (mrn, last_name, first_name, birth_date, sex, address1,
                                 city, state, zip) VALUES ('X1', 'A', 'B', '1990-01-01', 'U', '1 A St', 'C', 'OH',
                                 '432150000') RETURNING id""").fetchone()[0]
        assert new_id == summary.counts["pm.patients"] + 1
        conn.rollback()
    for vid, found in visit_defects(tables, TODAY).items():
        assert found == ({labels[vid]} if vid in labels else set()), vid
    assert guarantor_defects(tables, TODAY) == []


def test_seeded_guarantors_pass_data_quality_and_share_statements(db_url):
    """The data-quality checks find nothing to fix in a seeded practice, and brothers and sisters
    have one guarantor key (one statement) at the guarantor's mailing address."""
    from include.billing.patient_accounts import check_guarantors

    seed(db_url, 5, visits=1500)
    with psycopg.connect(db_url) as conn:
        assert check_guarantors(conn, today=TODAY) == {}
        families = conn.execute("""
            SELECT pg.guarantor_key, count(*), count(DISTINCT pg.address1 || pg.zip), bool_and(p.birth_date >
                   %(today)s::date - interval '18 years')
              FROM billing.patient_guarantors pg JOIN pm.patients p ON p.id = pg.patient_id
             WHERE pg.relationship <> 'self' GROUP BY 1""", {"today": TODAY}).fetchall()
        assert families and all(addresses == 1 and minors for _key, _n, addresses, minors in families)
        assert max(n for _key, n, _a, _m in families) >= 2
        minors_on_own = conn.execute("""SELECT count(*) FROM billing.patient_guarantors pg
                                          JOIN pm.patients p ON p.id = pg.patient_id
                                         WHERE pg.relationship = 'self'
                                           AND p.birth_date > %(today)s::date - interval '18 years'""",
                                     {"today": TODAY}).fetchone()[0]
        assert minors_on_own == 0


def test_second_seed_is_refused_and_ensure_keeps_what_is_there(db_url):
    with psycopg.connect(db_url) as conn:
        first = ensure_practice(conn, visits=300, seed=3, today=TODAY)
        assert first.created
        with pytest.raises(PracticeExistsError, match="already holds a practice"):
            seed_practice(conn, visits=300, seed=4, today=TODAY)
        again = ensure_practice(conn, visits=999, seed=9, today=TODAY)
    assert not again.created
    assert (again.counts, again.dirty, again.seed, again.today) == (first.counts, first.dirty, 3, TODAY)
    with psycopg.connect(db_url) as conn:
        assert summarize(conn).counts == first.counts  # committed, visible to another connection


def test_roster_file(db_url, tmp_path):
    seed(db_url, 21, visits=900)
    path = tmp_path / "out" / "roster.json"
    with psycopg.connect(db_url) as conn:
        members = export_roster(conn, path)
        terminated_truth = set(conn.execute("""
            SELECT pay.payer_identifier, pol.member_id, pat.birth_date::text
              FROM pm.synthetic_visit_labels l JOIN pm.visits v ON v.id = l.visit_id
              JOIN pm.patients pat ON pat.id = v.patient_id
              JOIN pm.insurance_policies pol ON pol.patient_id = pat.id AND pol.priority = 'primary'
              JOIN pm.payers pay ON pay.id = pol.payer_id
             WHERE l.dirty_kind = 'terminated_coverage'""").fetchall())
        clean_members = set(conn.execute("""
            SELECT pay.payer_identifier, pol.member_id, pat.birth_date::text
              FROM pm.visits v JOIN pm.patients pat ON pat.id = v.patient_id
              JOIN pm.insurance_policies pol ON pol.patient_id = pat.id
              JOIN pm.payers pay ON pay.id = pol.payer_id
             WHERE v.status = 'completed' AND v.id NOT IN (SELECT visit_id FROM pm.synthetic_visit_labels)
        """).fetchall())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert len(doc["members"]) == members > 0
    assert {p["payer_id"] for p in doc["payers"]} == {"MCR01", "MCD01", "AETNA", "BCBS01", "UHC01", "CIGNA",
                                                       "BCHMO"}
    keys = {"payer_id", "member_id", "last_name", "first_name", "birth_date", "sex", "group_number", "status",
            "plan_begin", "plan_end", "copay", "coinsurance", "deductible", "deductible_met", "out_of_pocket_max"}
    for m in doc["members"]:
        assert keys <= m.keys()
        for money in ("copay", "deductible", "deductible_met", "out_of_pocket_max", "coinsurance"):
            assert isinstance(m[money], str) and Decimal(m[money]) >= 0
        assert Decimal(m["deductible_met"]) <= Decimal(m["deductible"])
        assert (m["status"] == "terminated") == (m["plan_end"] is not None)
    terminated = {(m["payer_id"], m["member_id"], m["birth_date"]) for m in doc["members"]
                  if m["status"] == "terminated"}
    assert terminated == terminated_truth and len(terminated) > 0
    active = {(m["payer_id"], m["member_id"], m["birth_date"]) for m in doc["members"] if m["status"] == "active"}
    assert clean_members <= active


def test_sandbox_reads_the_roster_as_the_labels_say(db_url, tmp_path):
    """The contract with include.sandbox: its own reader finds clean members covered, terminated ones not."""
    from include.sandbox.roster import Roster

    seed(db_url, 22, visits=900)
    path = tmp_path / "roster.json"
    with psycopg.connect(db_url) as conn:
        export_roster(conn, path)
        visits = conn.execute("""
            SELECT l.dirty_kind, pay.payer_identifier, pol.member_id, v.date_of_service
              FROM pm.visits v
              JOIN pm.insurance_policies pol ON pol.patient_id = v.patient_id AND pol.priority = 'primary'
              JOIN pm.payers pay ON pay.id = pol.payer_id
              LEFT JOIN pm.synthetic_visit_labels l ON l.visit_id = v.id
             WHERE v.status = 'completed'""").fetchall()
    roster = Roster.load(path)
    seen = set()
    for kind, payer, member_id, dos in visits:
        member = roster.find(payer, member_id)
        if kind == "missing_member_id":
            assert member_id is None and member is None
        elif kind == "terminated_coverage":
            assert member is not None and not member.covered_on(dos)
        else:
            assert member is not None and member.covered_on(dos), kind
        seen.add(kind)
    assert {"terminated_coverage", "missing_member_id", None} <= seen


def test_cli_seed_roster_and_refusal(db_url, tmp_path, capsys):
    roster = tmp_path / "r.json"
    args = ["seed", "--visits", "300", "--seed", "2", "--today", "2026-11-27", "--url", db_url,
            "--dirty-kinds", "future_dos,invalid_npi", "--dirty-share", "0.1", "--roster-out", str(roster)]
    assert cli(args) == 0
    out = capsys.readouterr().out
    assert "300 visits" in out and "dirty future_dos" in out and "dirty missing_member_id" not in out
    with psycopg.connect(db_url) as conn:
        names = {n for (n,) in conn.execute("SELECT last_name FROM pm.patients")}
        assert conn.execute("SELECT count(*) FROM pm.synthetic_visit_labels").fetchone()[0] == \
            round(0.1 * visit_counts(300)[0])
    assert not any(f" {name}" in out for name in names)  # counts only, no PHI
    assert stat.S_IMODE(roster.stat().st_mode) == 0o600
    assert cli(args) == 1
    assert "seed refused" in capsys.readouterr().err
    assert cli(["roster", "--out", str(tmp_path / "again.json"), "--url", db_url]) == 0
    assert json.loads((tmp_path / "again.json").read_text()) == json.loads(roster.read_text())
