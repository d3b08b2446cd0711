"""Benchmark the billing report (run: .venv/bin/python bench/bench_reports.py).

Builds a synthetic ledger of 10,000 and of 100,000 claims (set-based INSERT … SELECT
generate_series, each in a fresh database on the server from include.devenv.postgres),
then times the full report — every KPI, weekly trends, charts, HTML, CSV and XLSX — for a
daily run on a month end (daily + month sections: the heaviest scheduled report).
Prints seconds per stage and the 100k ÷ 10k ratio. Target: < 30 s for 100k claims.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 3, 31)

# Outcome per claim by id % 100: 0-69 paid, 70-79 partially paid, 80-87 denied (80-83 under
# review), 88-91 rejected (work item open), 92-95 still with the payer, 96-97 held,
# 98-99 paid then reversed. Dates of service spread over the 180 days before AS_OF.
LEDGER_SQL = """
INSERT INTO pm.billing_providers (npi, organization_name, tax_id, taxonomy_code, address1, city, state, zip)
VALUES ('1234567893', 'Bench Medical Group', '123456789', '207Q00000X', '1 Main St', 'Springfield', 'IL', '627010001');
INSERT INTO pm.providers (npi, last_name, first_name)
SELECT lpad((1000000000 + g)::text, 10, '0'), 'Provider' || g, 'Dr' FROM generate_series(1, 12) g;
INSERT INTO pm.payers (name, payer_identifier, claim_filing_indicator)
SELECT 'Payer ' || g, 'PAYER' || g, 'CI' FROM generate_series(1, 8) g;
INSERT INTO pm.patients (mrn, last_name, first_name, birth_date, sex, address1, city, state, zip)
SELECT 'MRN' || g, 'Patient', 'P' || g, date '1970-01-01' + g %% 15000, 'U', '1 Elm', 'Springfield', 'IL', '62701'
FROM generate_series(1, greatest(%(n)s / 5, 1)) g;
INSERT INTO pm.visits (visit_number, patient_id, billing_provider_id, rendering_provider_id, place_of_service,
                       date_of_service, status, completed_at)
SELECT 'V' || lpad(g::text, 7, '0'), 1 + g %% greatest(%(n)s / 5, 1), 1, 1 + g %% 12, '11',
       date '2026-03-31' - (g * 7919 %% 180), 'completed',
       (date '2026-03-31' - (g * 7919 %% 180)) + time '10:00' + (g %% 8) * interval '1 hour'
FROM generate_series(1, %(n)s) g;
INSERT INTO billing.claims (claim_number, visit_id, payer_id, status, total_charge, date_of_service, created_at)
SELECT v.visit_number || 'P1', v.id, 1 + v.id %% 8, 'new', 60 + (v.id %% 40) * 5, v.date_of_service, v.completed_at
FROM pm.visits v;

CREATE TEMP TABLE plan AS
SELECT c.id, c.id %% 100 AS k, c.payer_id, c.total_charge,
       c.created_at + interval '1 day' - interval '1 hour' AS sub_at,
       c.created_at + interval '2 days' + (c.id %% 15) * interval '1 day' AS adj_at
FROM billing.claims c;

INSERT INTO billing.claim_events (claim_id, event_type, from_status, to_status, actor, occurred_at)
SELECT id, 'scrub_failed', 'new', 'held', 'bench', sub_at - interval '12 hours' FROM plan WHERE k BETWEEN 96 AND 97
UNION ALL SELECT id, 'submitted', 'ready', 'submitted', 'bench', sub_at FROM plan WHERE k NOT BETWEEN 96 AND 97
UNION ALL SELECT id, '999_accepted', 'submitted', 'acknowledged', 'bench', sub_at + interval '2 hours'
          FROM plan WHERE k NOT BETWEEN 96 AND 97
UNION ALL SELECT id, '277ca_rejected', 'acknowledged', 'rejected', 'bench', sub_at + interval '1 day'
          FROM plan WHERE k BETWEEN 88 AND 91
UNION ALL SELECT id, '277ca_accepted', 'acknowledged', 'accepted', 'bench', sub_at + interval '1 day'
          FROM plan WHERE k < 88 OR k BETWEEN 92 AND 93 OR k >= 98
UNION ALL SELECT id, '835', 'accepted', CASE WHEN k < 70 OR k >= 98 THEN 'paid' WHEN k < 80 THEN 'partially_paid'
                                             ELSE 'denied' END, 'bench', adj_at
          FROM plan WHERE k < 88 OR k >= 98
UNION ALL SELECT id, '835_reversed', 'paid', 'reversed', 'bench', adj_at + interval '7 days' FROM plan WHERE k >= 98;

UPDATE billing.claims c SET status = e.to_status, submitted_at = p.sub_at
FROM (SELECT DISTINCT ON (claim_id) claim_id, to_status FROM billing.claim_events
      ORDER BY claim_id, occurred_at DESC) e, plan p
WHERE e.claim_id = c.id AND p.id = c.id;

-- one 837 batch per payer per submission day
INSERT INTO billing.submission_batches (batch_key, trading_partner, payer_id, interchange_control_number,
    group_control_number, transaction_control_number, file_name, state, created_at)
SELECT 'B' || payer_id || '-' || d, 'bench', payer_id, row_number() OVER (), 1, 1, 'B' || payer_id || '-' || d || '.837',
       'accepted', d
FROM (SELECT DISTINCT payer_id, sub_at::date AS d FROM plan WHERE k NOT BETWEEN 96 AND 97) s;
INSERT INTO billing.batch_claims (batch_id, claim_id)
SELECT b.id, p.id FROM plan p JOIN billing.submission_batches b ON b.batch_key = 'B' || p.payer_id || '-' || p.sub_at::date
WHERE p.k NOT BETWEEN 96 AND 97;

-- one 835 per payer per adjudication day (and per reversal day)
CREATE TEMP TABLE rem_days AS
SELECT DISTINCT payer_id, adj_at::date AS d FROM plan WHERE k < 88 OR k >= 98
UNION SELECT DISTINCT payer_id, (adj_at + interval '7 days')::date FROM plan WHERE k >= 98;
INSERT INTO billing.edi_files (direction, transaction_type, file_name, sha256, size_bytes, content, origin)
SELECT 'in', '835', 'R' || payer_id || '-' || d || '.835', encode(sha256(('R' || payer_id || d)::bytea), 'hex'), 1,
       '\\x00'::bytea, 'bench'
FROM rem_days;
INSERT INTO billing.remittances (edi_file_id, transaction_index, payer_identifier, trace_number, payment_amount,
                                 payment_date, posted_at)
SELECT f.id, 1, 'PAYER' || r.payer_id, 'T' || r.payer_id || '-' || r.d, 0, r.d, r.d + time '12:00'
FROM rem_days r JOIN billing.edi_files f ON f.file_name = 'R' || r.payer_id || '-' || r.d || '.835';
INSERT INTO billing.claim_payments (remittance_id, clp_index, claim_id, status_code, charge, paid, patient_responsibility)
SELECT r.id, p.id, p.id, CASE WHEN p.k BETWEEN 80 AND 87 THEN '4' ELSE '1' END, p.total_charge,
       CASE WHEN p.k BETWEEN 80 AND 87 THEN 0 WHEN p.k BETWEEN 70 AND 79 THEN round(p.total_charge * 0.6, 2)
            ELSE round(p.total_charge * 0.8, 2) END,
       CASE WHEN p.k BETWEEN 70 AND 79 THEN round(p.total_charge * 0.2, 2) ELSE 0 END
FROM plan p JOIN billing.remittances r ON r.trace_number = 'T' || p.payer_id || '-' || p.adj_at::date
WHERE p.k < 88 OR p.k >= 98;
INSERT INTO billing.claim_payments (remittance_id, clp_index, claim_id, status_code, charge, paid, is_reversal,
                                    reverses_payment_id)
SELECT r.id, p.id, p.id, '22', -p.total_charge, -cp.paid, true, cp.id
FROM plan p JOIN billing.claim_payments cp ON cp.claim_id = p.id
JOIN billing.remittances r ON r.trace_number = 'T' || p.payer_id || '-' || (p.adj_at + interval '7 days')::date
WHERE p.k >= 98;
INSERT INTO billing.adjustments (claim_payment_id, position, group_code, reason_code, amount)
SELECT cp.id, 1, 'CO', CASE WHEN p.k BETWEEN 80 AND 87 THEN (ARRAY['16', '97', '50', '197'])[1 + p.id %% 4] ELSE '45' END,
       CASE WHEN p.k BETWEEN 80 AND 87 THEN cp.charge WHEN p.k BETWEEN 70 AND 79 THEN round(cp.charge * 0.2, 2)
            ELSE cp.charge - cp.paid END
FROM billing.claim_payments cp JOIN plan p ON p.id = cp.claim_id;
INSERT INTO billing.adjustments (claim_payment_id, position, group_code, reason_code, amount)
SELECT cp.id, 2, 'PR', '2', cp.patient_responsibility FROM billing.claim_payments cp WHERE cp.patient_responsibility > 0;
UPDATE billing.remittances r SET payment_amount = s.paid
FROM (SELECT remittance_id, sum(paid) AS paid FROM billing.claim_payments GROUP BY remittance_id) s
WHERE s.remittance_id = r.id;

INSERT INTO billing.patient_ledger (patient_id, claim_id, entry_type, amount, source_key, created_at)
SELECT v.patient_id, cp.claim_id, 'patient_responsibility', cp.patient_responsibility, 'pr:' || cp.id, p.adj_at
FROM billing.claim_payments cp JOIN plan p ON p.id = cp.claim_id JOIN billing.claims c ON c.id = cp.claim_id
JOIN pm.visits v ON v.id = c.visit_id WHERE cp.patient_responsibility > 0
UNION ALL
SELECT v.patient_id, cp.claim_id, 'patient_payment', -cp.patient_responsibility, 'pay:' || cp.id, p.adj_at + interval '10 days'
FROM billing.claim_payments cp JOIN plan p ON p.id = cp.claim_id JOIN billing.claims c ON c.id = cp.claim_id
JOIN pm.visits v ON v.id = c.visit_id WHERE cp.patient_responsibility > 0 AND p.id %% 2 = 0;

INSERT INTO billing.work_queue (claim_id, source, reason_code, explanation, state, dedupe_key, created_at, resolved_at)
SELECT id, CASE WHEN k BETWEEN 80 AND 87 THEN 'denial' WHEN k BETWEEN 88 AND 91 THEN '277CA' ELSE 'scrubbing' END,
       CASE WHEN k BETWEEN 80 AND 87 THEN 'CARC_CO-16' WHEN k BETWEEN 88 AND 91 THEN 'ACK277CA_REJECTED' ELSE 'SCRUB_NPI' END,
       'bench item', CASE WHEN k BETWEEN 84 AND 87 THEN 'resolved' ELSE 'open' END, 'wq:' || id,
       CASE WHEN k BETWEEN 80 AND 87 THEN adj_at WHEN k BETWEEN 88 AND 91 THEN sub_at + interval '1 day'
            ELSE sub_at - interval '12 hours' END,
       CASE WHEN k BETWEEN 84 AND 87 THEN adj_at + interval '3 days' END
FROM plan WHERE k BETWEEN 80 AND 97 AND NOT k BETWEEN 92 AND 95;
ANALYZE;
"""


def fresh_database(admin_url: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    from include.billing.db import migrate
    from tests.conftest import _with_database  # the same URL helper the tests use

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _with_database(admin_url, name)
    migrate(url)
    return url


def drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run(admin_url: str, n: int, keep: bool) -> dict:
    import psycopg

    from include.billing.reports import compute_report, render_report

    name = f"billing_bench_reports_{n}"
    url = fresh_database(admin_url, name)
    try:
        with psycopg.connect(url) as conn:
            t0 = time.perf_counter()
            for statement in filter(str.strip, LEDGER_SQL.split(";\n")):
                conn.execute(statement, {"n": n})
            conn.commit()
            seed = time.perf_counter() - t0
            events = conn.execute("SELECT count(*) FROM billing.claim_events").fetchone()[0]
            with tempfile.TemporaryDirectory() as tmp:
                t1 = time.perf_counter()
                state = compute_report(conn, AS_OF, "daily", Path(tmp) / "work")
                t2 = time.perf_counter()
                bundle = render_report(state, Path(tmp) / "out")
                t3 = time.perf_counter()
                size = sum(p.stat().st_size for p in bundle.files())
        return {"n": n, "events": events, "seed": seed, "metrics": t2 - t1, "render": t3 - t2, "total": t3 - t1,
                "rows": bundle.counts, "mb": size / 1e6, "fpar": bundle.kpis["first_pass_acceptance_rate"],
                "days_in_ar": bundle.kpis["days_in_ar"]}
    finally:
        if not keep:
            drop_database(admin_url, name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    args = parser.parse_args(argv)

    from include.devenv.postgres import database_url

    admin_url = database_url()
    results = [run(admin_url, n, args.keep) for n in (args.small, args.large)]
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          "(other work on the machine slows every figure)")
    print("billing report (daily run on a month end: daily + month sections, 8 weekly trend points)")
    print(f"{'claims':>8} {'events':>8} {'seed s':>7} {'metrics s':>9} {'render s':>8} {'report s':>8} "
          f"{'payers':>8} {'files MB':>8}  first-pass  days-in-A/R")
    for r in results:
        print(f"{r['n']:>8,} {r['events']:>8,} {r['seed']:>7.1f} {r['metrics']:>9.2f} {r['render']:>8.2f} "
              f"{r['total']:>8.2f} {r['rows']['ar_by_payer_rows']:>8,} {r['mb']:>8.1f}  {r['fpar']}      {r['days_in_ar']}")
    small, large = results
    print(f"ratio {large['n'] // small['n']}x claims -> {large['total'] / small['total']:.1f}x report time "
          f"(metrics {large['metrics'] / small['metrics']:.1f}x, render {large['render'] / small['render']:.1f}x)")
    target = 30.0
    print(f"target: {large['n']:,} claims < {target:.0f} s -> {'OK' if large['total'] < target else 'MISSED'} "
          f"({large['total']:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
