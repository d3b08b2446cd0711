"""The revenue cycle end to end with dag.test(), against the sandbox clearinghouse.

Real PostgreSQL, a real OpenSSH SFTP server whose folder is the clearinghouse mailbox, the
sandbox's eligibility endpoint, and `Clearinghouse.process(now=...)` run between DAG runs on a
simulated clock:

    visits → claims_submission → process(T0) → clearinghouse_responses
           → process(T0 + 25 d) → clearinghouse_responses → remittance_posting
           → denial_management (+ demo clerk) → claims_submission (replacements, secondaries)
           → process(T1 + 1 d) → clearinghouse_responses → process(T1 + 26 d)
           → clearinghouse_responses → [crash mid-posting] remittance_posting → denial_management

Checks: the ledger balances to the cent against the 835s, every claim has a consistent event
history from 'created', re-running every DAG changes nothing, a crash mid-posting then a re-run
gives the same ledger as an uninterrupted run (a cloned database), a corrupted 835 is
quarantined with its reason and nothing of it is posted, a 277CA arriving after the 835 does
not move a claim backwards. E2E_VISITS (default 2000) sets the practice size.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.support.airflow_run import airflow_connections, load_dag, run_dag
from tests.support.ledger_state import posted_ledger

pytestmark = [pytest.mark.timeout(900), pytest.mark.e2e]
VISITS = int(os.environ.get("E2E_VISITS", "2000"))
ACTOR = "test:e2e"


@pytest.fixture
def cycle(practice, app_db_url, eligibility_api, sftp_server, tmp_path, monkeypatch, airflow_home):
    from include.sandbox.clearinghouse import Clearinghouse
    from include.sandbox.roster import Roster
    from include.sandbox.scenario import Scenario

    root = sftp_server.root
    for name in ("inbound", "outbound", "archive"):
        (root / name).mkdir(exist_ok=True)
    monkeypatch.setenv("BILLING_SFTP_INBOUND", str(root / "inbound"))
    monkeypatch.setenv("BILLING_SFTP_OUTBOUND", str(root / "outbound"))
    monkeypatch.setenv("BILLING_SFTP_ARCHIVE", str(root / "archive"))
    monkeypatch.setenv("BILLING_DQ_RESULTS_DIR", str(tmp_path / "dq"))
    monkeypatch.setenv("BILLING_APPEAL_DIR", str(tmp_path / "appeals"))
    monkeypatch.setenv("BILLING_APPEAL_PDF", "0")          # Chromium per letter is slow; unit-tested
    scenario = Scenario.load("include/sandbox/scenarios/default.yaml")
    ch = Clearinghouse(root, scenario, Roster.load(practice["roster"]))
    # the DAGs connect as the app role; the test inspects the database as the owner (db_url)
    with airflow_connections(billing_db=app_db_url, clearinghouse_sftp=sftp_server.airflow_conn_json(),
                             eligibility_api=eligibility_api):
        yield {"db_url": practice["db_url"], "app_url": app_db_url, "ch": ch, "root": root}


def _q(db_url, query, *args):
    with psycopg.connect(db_url) as conn:
        return conn.execute(query, args).fetchall()


def _dag(dag_id):
    dag = load_dag(dag_id)
    return dag


def _run(dag_id, **conf):
    return run_dag(_dag(dag_id), conf=conf)


def _snapshot(db_url) -> dict:
    from tests.unit.posting.factory import snapshot

    with psycopg.connect(db_url) as conn:
        return snapshot(conn)


def _clone(db_url, pg_admin_url, name) -> str:
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        src = urlsplit(db_url).path.lstrip("/")
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(src)))
    return urlunsplit(urlsplit(db_url)._replace(path="/" + name))


def _drop(pg_admin_url, name):
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _corrupt_copy(outbound):
    """Write a corrupted copy of one 835 (CLP03 of its first claim no longer a number)."""
    for path in sorted(outbound.glob("835_*")):
        data = path.read_bytes()
        start = data.find(b"CLP*")
        if start < 0:
            continue
        fields = data[start:data.find(b"~", start)].split(b"*")
        bad = data[:start] + b"*".join(fields[:3] + [b"X" + fields[3]] + fields[4:]) + data[data.find(b"~", start):]
        target = outbound / "835_CORRUPTED_COPY.x12"
        target.write_bytes(bad)
        return target.name
    raise AssertionError("no 835 in outbound to corrupt")


MY_DAGS = ("clearinghouse_responses", "remittance_posting", "denial_management")


def _scan_for_phi(db_url, airflow_home):
    """No patient names, birth dates or member ids in this area's task logs or XCom."""
    import re
    import sqlite3

    needles = set()
    for last, first, iso, d8 in _q(db_url, """
            SELECT last_name, first_name, to_char(birth_date, 'YYYY-MM-DD'), to_char(birth_date, 'YYYYMMDD')
              FROM pm.patients
            UNION SELECT subscriber_last_name, subscriber_first_name, to_char(subscriber_birth_date, 'YYYY-MM-DD'),
                         to_char(subscriber_birth_date, 'YYYYMMDD') FROM pm.insurance_policies"""):
        needles.update(x for x in (last, first) if x and len(x) >= 4)
        needles.update((iso, d8))
    needles.update(r[0] for r in _q(db_url, "SELECT member_id FROM pm.insurance_policies "
                                            "WHERE coalesce(member_id, '') <> ''"))
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, sorted(needles, key=len, reverse=True)))
                         + r")(?![A-Za-z0-9])")
    texts = {}
    for path in (airflow_home / "logs").rglob("*"):
        if path.is_file() and any(f"dag_id={d}" in str(path) for d in MY_DAGS):
            texts[str(path)] = path.read_text(errors="replace")
    with sqlite3.connect(airflow_home / "airflow.db") as meta:
        for dag_id, task_id, value in meta.execute("SELECT dag_id, task_id, value FROM xcom"):
            if dag_id in MY_DAGS:
                texts[f"xcom {dag_id}.{task_id}"] = str(value)
    assert any(k.startswith("xcom") for k in texts), "no XCom of this area's DAGs found to scan"
    hits = {where: m.group(0) for where, text in texts.items() for m in [pattern.search(text)] if m}
    assert hits == {}, f"PHI found in {sorted(hits)[:5]}"


def _assert_secondary_claims_carry_the_primary_adjudication(db_url, root):
    """Secondary claims go out with 2320/2330 (primary paid amount, CAS) and 2430 per line."""
    from include.edi.x837p import read_837p

    expected = {number: paid for number, paid in _q(
        db_url, "SELECT claim_number, prior_payer_paid FROM billing.claims WHERE responsibility = 'S' "
                "AND status = 'submitted'")}
    assert expected, "the cycle should have produced secondary claims"
    sent = {}
    for path in root.rglob("837P_*.x12"):
        for claim in read_837p(path):
            if claim.claim_id in expected:
                sent[claim.claim_id] = claim
    assert set(sent) == set(expected)
    for number, claim in sent.items():
        assert claim.other_payers, number
        assert claim.other_payers[0].paid_amount == expected[number]
        assert any(line.adjudications for line in claim.lines), number


@pytest.mark.parametrize("practice", [VISITS], indirect=True, ids=[f"{VISITS}_visits"])
def test_revenue_cycle_end_to_end(cycle, pg_admin_url, tmp_path, airflow_home):
    from include.billing.cycle_summary import cycle_summary
    from include.billing.posting import post_stored_remittances
    from include.billing.rcm_sql import query
    from include.edi.x277ca import ClaimStatus, Status, build_277ca
    from include.edi.x835 import parse_835
    from tests.support.faults import Fault, FaultyConnection, InjectedFault

    db_url, ch, root = cycle["db_url"], cycle["ch"], cycle["root"]
    t0 = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)

    # --- first pass: submit, acknowledge, pay ------------------------------------------
    _run("claims_submission")
    submitted = _q(db_url, "SELECT count(*) FROM billing.claims WHERE status = 'submitted'")[0][0]
    assert submitted > VISITS * 0.7
    r0 = ch.process(now=t0)
    assert r0.claims_received == submitted
    _run("clearinghouse_responses", as_of=t0.isoformat())
    counts = dict(_q(db_url, "SELECT status, count(*) FROM billing.claims GROUP BY 1"))
    # the clearinghouse's 277CA (A1) is a receipt, not the payer's acceptance: claims are acknowledged
    assert counts.get("acknowledged", 0) + counts.get("rejected", 0) == submitted
    assert counts.get("accepted", 0) == 0
    assert counts.get("rejected", 0) == r0.claims_rejected
    assert _q(db_url, "SELECT count(*) FROM billing.work_queue WHERE reason_code = 'ACK277CA_REJECTED'")[0][0] == \
        r0.claims_rejected

    t1 = t0 + dt.timedelta(days=25)
    r1 = ch.process(now=t1)
    assert r1.remittances > 0
    corrupted = _corrupt_copy(root / "outbound")
    _run("clearinghouse_responses", as_of=t1.isoformat())
    _run("remittance_posting")
    bad = _q(db_url, "SELECT id, state, error FROM billing.edi_files WHERE file_name = %s", corrupted)
    assert bad and bad[0][1] == "quarantined" and "segment" in bad[0][2] and "not an amount" in bad[0][2]
    assert _q(db_url, "SELECT count(*) FROM billing.remittances WHERE edi_file_id = %s", bad[0][0])[0][0] == 0
    posted = _q(db_url, "SELECT count(*) FROM billing.remittances WHERE state = 'posted'")[0][0]
    assert posted == r1.remittances
    _run("denial_management", as_of=t1.isoformat(), demo_auto_correct=True)
    replacements = _q(db_url, "SELECT count(*) FROM billing.claims WHERE frequency_code = '7' AND status = 'ready'")
    assert replacements[0][0] > 0

    # --- second pass: replacements and secondary claims go out, get paid -------------------
    _run("claims_submission")
    t2 = t1 + dt.timedelta(days=1)
    r2 = ch.process(now=t2)              # payment lags are drawn per claim: some 835s come any day
    _run("clearinghouse_responses", as_of=t2.isoformat())
    t3 = t2 + dt.timedelta(days=25)
    r3 = ch.process(now=t3)
    _run("clearinghouse_responses", as_of=t3.isoformat())
    pending_835 = _q(db_url, "SELECT count(*) FROM billing.edi_files WHERE transaction_type = '835' "
                             "AND state = 'stored'")[0][0]
    assert pending_835 == r2.remittances + r3.remittances and r3.remittances >= 2

    # crash mid-posting (the second payment run), compared with an uninterrupted run on a clone
    ref_name = urlsplit(db_url).path.lstrip("/") + "_ref"
    ref_url = _clone(db_url, pg_admin_url, ref_name)
    try:
        crash = Fault(statement=query("ledger", "close_superseded_denial_items"), nth=2)
        with psycopg.connect(cycle["app_url"]) as conn, pytest.raises(InjectedFault):
            post_stored_remittances(FaultyConnection(conn, crash), actor="dag:remittance_posting.post_remittances")
        _run("remittance_posting")
        # the clone keeps the grants: the same app login posts there
        with psycopg.connect(urlunsplit(urlsplit(cycle["app_url"])._replace(path="/" + ref_name))) as conn:
            post_stored_remittances(conn, actor="dag:remittance_posting.post_remittances")
        assert posted_ledger(db_url) == posted_ledger(ref_url)
    finally:
        _drop(pg_admin_url, ref_name)
    _run("denial_management", as_of=t3.isoformat())

    # --- the ledger balances to the cent against the 835s ------------------------------
    unbalanced = _q(db_url, """
        SELECT r.trace_number, r.payment_amount,
               (SELECT coalesce(sum(paid), 0) FROM billing.claim_payments WHERE remittance_id = r.id)
             - (SELECT coalesce(sum(amount), 0) FROM billing.provider_adjustments WHERE remittance_id = r.id)
          FROM billing.remittances r WHERE r.state = 'posted'""")
    assert all(bpr == net for _, bpr, net in unbalanced), [u for u in unbalanced if u[1] != u[2]][:5]
    bpr_files = Decimal(0)
    for (content,) in _q(db_url, "SELECT content FROM billing.edi_files WHERE transaction_type = '835' "
                                 "AND state = 'applied'"):
        bpr_files += sum((r.payment_amount for r in parse_835(bytes(content))), Decimal(0))
    bpr_posted = _q(db_url, "SELECT sum(payment_amount) FROM billing.remittances WHERE state = 'posted'")[0][0]
    assert bpr_posted == bpr_files
    assert _q(db_url, "SELECT count(*) FROM billing.remittances WHERE state = 'held'")[0][0] == 0
    # reversals undo exactly: per reversed payment, the reversal's amounts are its negation
    assert _q(db_url, """SELECT count(*) FROM billing.claim_payments rv JOIN billing.claim_payments o
                          ON o.id = rv.reverses_payment_id WHERE rv.paid <> -o.paid""")[0][0] == 0
    assert _q(db_url, """SELECT count(*) FROM billing.patient_ledger l
                          WHERE l.entry_type = 'reversal' AND NOT EXISTS (
                            SELECT 1 FROM billing.patient_ledger o
                             WHERE 'rev:' || o.id = l.source_key AND o.amount = -l.amount)""")[0][0] == 0

    # --- every claim's history: 'created' first, each change continues the last one -----
    events = _q(db_url, """SELECT claim_id, event_type, from_status, to_status FROM billing.claim_events
                           ORDER BY claim_id, id""")
    current = dict(_q(db_url, "SELECT id, status FROM billing.claims"))
    by_claim: dict[int, list] = {}
    for cid, etype, frm, to in events:
        by_claim.setdefault(cid, []).append((etype, frm, to))
    assert set(by_claim) == set(current)
    broken = []
    for cid, evs in by_claim.items():
        if evs[0][0] != "created":
            broken.append((cid, "first", evs[0]))
            continue
        status = "new"
        for etype, frm, to in evs[1:]:
            if frm is None or to is None or frm == to:
                continue               # actions without a status change (corrections, packets, ignored)
            if frm != status:
                broken.append((cid, etype, frm, status))
            status = to
        if status != current[cid]:
            broken.append((cid, "final", status, current[cid]))
    assert broken == [], broken[:5]
    finals = dict(_q(db_url, "SELECT status, count(*) FROM billing.claims GROUP BY 1"))
    assert finals.get("paid", 0) > submitted * 0.6
    paid_replacements = _q(db_url, "SELECT count(*) FROM billing.claims WHERE frequency_code = '7' "
                                   "AND status IN ('paid', 'partially_paid')")[0][0]
    assert paid_replacements > 0

    # --- a 277CA arriving after the 835 does not move the claim back -----------------------
    number, cid = _q(db_url, "SELECT claim_number, id FROM billing.claims WHERE status = 'paid' "
                             "AND responsibility = 'P' ORDER BY id LIMIT 1")[0]
    late = build_277ca([ClaimStatus(claim_id=number, statuses=[Status("A2", "20", "PR")],
                                    total_charge=Decimal("1"), payer_claim_control_number="LATE1")],
                       sender_id="SANDBOX", receiver_id="BILLINGSVC", interchange_control_number=999000001,
                       group_control_number=999000001, created=dt.datetime.combine(t3.date(), dt.time(12)))
    ignored = "SELECT count(*) FROM billing.claim_events WHERE claim_id = %s AND event_type = 'ack_277ca_ignored'"
    before = _q(db_url, ignored, cid)[0][0]        # the payer's A2 after the clearinghouse's A1 is one already
    (root / "outbound" / "277CA_LATE.x12").write_bytes(late)
    _run("clearinghouse_responses", as_of=t3.isoformat())
    assert _q(db_url, "SELECT status FROM billing.claims WHERE id = %s", cid)[0][0] == "paid"
    assert _q(db_url, ignored, cid)[0][0] == before + 1

    # --- re-running every DAG changes nothing --------------------------------------------
    _run("claims_submission")             # sends the secondary claims the last posting created
    _assert_secondary_claims_carry_the_primary_adjudication(db_url, root)
    _run("clearinghouse_responses", as_of=t3.isoformat())     # (and 276s for them on the simulated clock)
    before = _snapshot(db_url)
    _run("clearinghouse_responses", as_of=t3.isoformat())
    _run("remittance_posting")
    _run("denial_management", as_of=t3.isoformat())
    _run("claims_submission")
    assert _snapshot(db_url) == before

    # --- the 276s sent for the late secondary claims come back as 277s ---------------------
    inquired = _q(db_url, "SELECT count(DISTINCT claim_id) FROM billing.claim_events "
                          "WHERE event_type = 'status_inquiry'")[0][0]
    assert inquired > 0
    r4 = ch.process(now=t3 + dt.timedelta(hours=1))
    # claims the payers had not answered yet were asked about in earlier runs too (a clearinghouse
    # receipt, A1, is not the payer's answer): every inquiry sent was read by the sandbox exactly once
    inquiries = _q(db_url, "SELECT count(*) FROM billing.claim_events WHERE event_type = 'status_inquiry'")[0][0]
    assert sum(r.status_inquiries for r in (r1, r2, r3, r4)) == inquiries
    _run("clearinghouse_responses", as_of=t3.isoformat())
    sent_276 = _q(db_url, "SELECT count(*) FROM billing.edi_files WHERE transaction_type = '276'")[0][0]
    # (the payers' unsolicited requests for additional information, 277RFAI_*, answer no 276)
    assert _q(db_url, "SELECT count(*) FROM billing.edi_files WHERE transaction_type = '277' "
                      "AND file_name NOT LIKE '277RFAI%%' AND state = 'applied'")[0][0] == sent_276 > 0
    # every claim asked about has the payer's answer in its history (the sandbox read the 276
    # before the 837 that came with it, so it answers 'not found' or, later, 'in process')
    assert _q(db_url, "SELECT count(DISTINCT claim_id) FROM billing.claim_events "
                      "WHERE event_type LIKE 'status_277%%' AND claim_id IN (SELECT claim_id FROM "
                      "billing.claim_events WHERE event_type = 'status_inquiry')")[0][0] == inquired
    # the other 277s are the payers' requests for additional information (sandbox `rfai`), each a work item
    asked = _q(db_url, "SELECT DISTINCT claim_id FROM billing.claim_events WHERE event_type LIKE 'status_277%%' "
                       "AND claim_id NOT IN (SELECT claim_id FROM billing.claim_events "
                       "WHERE event_type = 'status_inquiry')")
    assert {c for (c,) in asked} == {c for (c,) in _q(db_url, "SELECT claim_id FROM billing.work_queue "
                                                               "WHERE source = 'rfai'")}

    # the DAGs ran as the app role: every change they made to work items and corrections names it
    assert {r[0] for r in _q(db_url, "SELECT DISTINCT db_role FROM billing.change_log")} == {"billing_app_login"}

    _scan_for_phi(db_url, airflow_home)
    with psycopg.connect(db_url) as conn:
        summary = cycle_summary(conn)
    print("\ncycle summary:", json.dumps(summary), "| visits:", VISITS)
    assert summary["claims_paid"] > 0 and Decimal(summary["payments_posted_total"]) > 0
    assert summary["claims_corrected"] == _q(db_url, "SELECT count(*) FROM billing.claims "
                                                     "WHERE frequency_code = '7'")[0][0]
