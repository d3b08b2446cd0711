"""claims_submission end to end with dag.test(): real PostgreSQL, a real OpenSSH SFTP server whose
folder is the sandbox clearinghouse mailbox, the sandbox's real-time eligibility endpoint.

Checks: exactly the clean visits reach pyx12-valid 837P files on the server; exactly the dirty
ones are held with the expected reason; re-runs after crashes at every step of the delivery
protocol, and after the SFTP server was down, leave each claim in exactly one file; no PHI in
task logs or XCom.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

from tests.support.airflow_run import airflow_connections, load_dag, run_dag
from tests.support.faults import Fault, faulty_dag_io

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def mailbox(sftp_server):
    for name in ("inbound", "outbound", "archive"):
        (sftp_server.root / name).mkdir(exist_ok=True)
    return sftp_server.root


@pytest.fixture
def env(practice, app_db_url, eligibility_api, sftp_server, mailbox, tmp_path, monkeypatch, airflow_home):
    """Airflow connections and settings for the DAG; absolute mailbox paths on the server."""
    monkeypatch.setenv("BILLING_SFTP_INBOUND", str(mailbox / "inbound"))
    monkeypatch.setenv("BILLING_SFTP_OUTBOUND", str(mailbox / "outbound"))
    monkeypatch.setenv("BILLING_SFTP_ARCHIVE", str(mailbox / "archive"))
    monkeypatch.setenv("BILLING_DQ_RESULTS_DIR", str(tmp_path / "dq"))
    monkeypatch.setenv("BILLING_ELIGIBILITY_WAIT_SECONDS", "60")
    monkeypatch.setenv("BILLING_SFTP_CONNECT_ATTEMPTS", "1")
    # the DAG connects as the app role; the test inspects the database as the owner (db_url)
    with airflow_connections(billing_db=app_db_url, clearinghouse_sftp=sftp_server.airflow_conn_json(),
                             eligibility_api=eligibility_api):
        yield practice


def _dag(retries: int | None = None):
    dag = load_dag("claims_submission")
    if retries is not None:          # failure tests: fail fast instead of waiting for retry delays
        for t in dag.tasks:
            t.retries = retries
    return dag


def _query(db_url, sql, *args):
    with psycopg.connect(db_url) as conn:
        return conn.execute(sql, args).fetchall()


def _files_on_server(mailbox: Path) -> dict[str, list[str]]:
    """claim number -> names of the 837P files (inbound or archived) that carry it."""
    from include.edi.x837p import read_837p

    seen: dict[str, list[str]] = {}
    for folder in ("inbound", "archive"):
        for path in sorted((mailbox / folder).glob("837P_*")):
            assert not path.name.endswith(".part"), f"partial upload left visible: {path.name}"
            for claim in read_837p(path.read_bytes(), path.name):
                seen.setdefault(claim.claim_id, []).append(path.name)
    return seen


def _expected(db_url):
    """(clean claim numbers, {visit id: expected reason}) from the synthetic labels."""
    from include.practice.dirty import EXPECTED_REASON

    clean = {r[0] + "P1" for r in _query(db_url, """
        SELECT v.visit_number FROM pm.visits v
        WHERE v.status = 'completed'
          AND NOT EXISTS (SELECT 1 FROM pm.synthetic_visit_labels l WHERE l.visit_id = v.id)
          AND EXISTS (SELECT 1 FROM pm.insurance_policies ip JOIN pm.payers py ON py.id = ip.payer_id
                      WHERE ip.patient_id = v.patient_id AND ip.priority = 'primary' AND NOT py.is_self_pay
                        AND ip.effective_date <= v.date_of_service
                        AND (ip.termination_date IS NULL OR ip.termination_date >= v.date_of_service))""")}
    dirty = {r[0]: EXPECTED_REASON[r[1]] for r in _query(db_url, """
        SELECT l.visit_id, l.dirty_kind FROM pm.synthetic_visit_labels l
        JOIN pm.visits v ON v.id = l.visit_id WHERE v.status = 'completed'""")}
    return clean, dirty


def _assert_exactly_once(db_url, mailbox):
    on_server = _files_on_server(mailbox)
    twice = {k: v for k, v in on_server.items() if len(v) > 1}
    assert twice == {}, f"claims in more than one file: {list(twice.items())[:5]}"
    live = _query(db_url, """SELECT bc.claim_id, count(*) FROM billing.batch_claims bc
                             JOIN billing.submission_batches b ON b.id = bc.batch_id
                             WHERE b.state <> 'failed' GROUP BY 1 HAVING count(*) > 1""")
    assert live == [], "a claim is in more than one submission batch"
    submitted = {r[0] for r in _query(db_url, "SELECT claim_number FROM billing.claims WHERE status = 'submitted'")}
    assert submitted == set(on_server)
    events = _query(db_url, """SELECT claim_id, count(*) FROM billing.claim_events
                               WHERE event_type = 'submitted' GROUP BY 1 HAVING count(*) > 1""")
    assert events == []
    return on_server


def _scan_for_phi(db_url, airflow_home: Path, returned: list, captured: str):
    rows = _query(db_url, """
        SELECT last_name, first_name, to_char(birth_date, 'YYYY-MM-DD'), to_char(birth_date, 'YYYYMMDD')
        FROM pm.patients
        UNION SELECT subscriber_last_name, subscriber_first_name, to_char(subscriber_birth_date, 'YYYY-MM-DD'),
                     to_char(subscriber_birth_date, 'YYYYMMDD') FROM pm.insurance_policies""")
    needles = set()
    for last, first, iso, d8 in rows:
        needles.update(x for x in (last, first) if x and len(x) >= 4)
        needles.update((iso, d8))
    needles.update(r[0] for r in _query(db_url, "SELECT member_id FROM pm.insurance_policies "
                                                "WHERE coalesce(member_id, '') <> ''"))
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, sorted(needles, key=len, reverse=True)))
                         + r")(?![A-Za-z0-9])")
    texts = {}
    for path in (airflow_home / "logs").rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_text(errors="replace")
    with sqlite3.connect(airflow_home / "airflow.db") as meta:
        for dag_id, task_id, map_index, value in meta.execute(
                "SELECT dag_id, task_id, map_index, value FROM xcom WHERE dag_id = 'claims_submission'"):
            texts[f"xcom {task_id}[{map_index}]"] = str(value)
    texts["returned"] = json.dumps(returned, default=str)
    # dag.test() runs tasks in this process: their log lines go to the captured stdout/stderr
    texts["task output"] = captured
    assert "Done. Returned value was" in captured, "no task log lines captured to scan"
    hits = {where: m.group(0) for where, text in texts.items() for m in [pattern.search(text)] if m}
    assert hits == {}, f"PHI found in {sorted(hits)[:5]}"


def _xcoms(airflow_home: Path, run_id: str) -> dict:
    out = {}
    with sqlite3.connect(airflow_home / "airflow.db") as meta:
        for task_id, map_index, value in meta.execute(
                "SELECT task_id, map_index, value FROM xcom WHERE dag_id = 'claims_submission' AND run_id = ?",
                (run_id,)):
            out[(task_id, map_index)] = json.loads(value) if isinstance(value, (str, bytes)) else value
    return out


def _ti_state(airflow_home: Path, run_id: str, task_id: str) -> str:
    with sqlite3.connect(airflow_home / "airflow.db") as meta:
        return meta.execute("SELECT state FROM task_instance WHERE dag_id = 'claims_submission' AND run_id = ? "
                            "AND task_id = ?", (run_id, task_id)).fetchone()[0]


def _asset_events(airflow_home: Path, uri: str, run_ids) -> list:
    """The asset events these runs emitted (other tests of the session share the Airflow home)."""
    run_ids = list(run_ids)
    with sqlite3.connect(airflow_home / "airflow.db") as meta:
        return [json.loads(extra) for (extra,) in meta.execute(
            "SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.uri = ? "
            "AND e.source_dag_id = 'claims_submission' AND e.source_run_id IN "
            f"({', '.join('?' * len(run_ids))}) ORDER BY e.id", (uri, *run_ids))]


# --------------------------------------------------------------------------- the main run

@pytest.mark.parametrize("practice", [2000], indirect=True, ids=["2000_visits"])
def test_clean_visits_reach_the_clearinghouse_and_dirty_ones_the_work_queue(env, mailbox, airflow_home, capfd):
    db_url = env["db_url"]
    dag = _dag()
    run = run_dag(dag, conf={"eligibility_transport": "realtime", "max_claims_per_file": 5000})

    clean, dirty = _expected(db_url)
    assert len(clean) > 1500 and len(dirty) > 50
    on_server = _assert_exactly_once(db_url, mailbox)
    assert set(on_server) == clean

    # every file on the server is pyx12-valid
    from include.edi.validate import errors_only, validate_x12
    for path in sorted((mailbox / "inbound").glob("837P_*")):
        assert errors_only(validate_x12(path.read_bytes(), path.name)) == [], path.name

    # exactly the dirty visits are held, each with the reason its defect must raise
    held = {}
    for visit_id, reason, status in _query(db_url, """
            SELECT c.visit_id, w.reason_code, c.status FROM billing.work_queue w
            JOIN billing.claims c ON c.id = w.claim_id"""):
        assert status == "held"
        held.setdefault(visit_id, set()).add(reason)
    assert set(held) == set(dirty)
    wrong = {v: (dirty[v], sorted(r)) for v, r in held.items() if dirty[v] not in r}
    assert wrong == {}

    # the data-quality results are in the artefact store (XCom names the artefact), without values
    dq_id = _xcoms(airflow_home, run.run_id)[("data_quality", -1)]["results_artefact"]
    (kind, content, task_id, run_id), = _query(db_url, "SELECT kind, content, task_id, run_id FROM billing.artefacts "
                                                       "WHERE id = %s", dq_id)
    assert (kind, task_id, run_id) == ("dq_results", "data_quality", run.run_id)
    doc = json.loads(bytes(content))
    assert doc["claims_failed"] == sum(1 for r in dirty.values() if r.startswith("DQ_"))

    # eligibility results kept with cost sharing; requests and responses stored first
    checks = _query(db_url, """SELECT count(*), count(*) FILTER (WHERE status = 'active' AND coinsurance_percent
                               IS NOT NULL AND deductible IS NOT NULL), count(request_file_id), count(response_file_id)
                               FROM billing.eligibility_checks""")[0]
    assert checks[0] > 0 and checks[1] > 0 and checks[2] == checks[0] == checks[3]

    # returned values and task logs carry no PHI
    xcoms = _xcoms(airflow_home, run.run_id)
    assert xcoms, "no XCom recorded"
    out, err = capfd.readouterr()
    _scan_for_phi(db_url, airflow_home, list(xcoms.values()), out + err)

    # every event, work item and stored file names the task try that wrote it (migration 0016)
    traced = _query(db_url, """SELECT e.task_id, e.run_id, e.try_number, e.map_index >= 0, e.actor
                               FROM billing.claim_events e""")
    assert traced and all(r[1] == run.run_id and r[2] == 1 and r[4] == f"dag:claims_submission.{r[0]}"
                          for r in traced)
    assert {r[0] for r in traced if r[3]} == {"send_batch"}          # mapped: its map index
    assert _query(db_url, "SELECT count(*) FROM billing.work_queue WHERE run_id IS DISTINCT FROM %s",
                  run.run_id) == [(0,)]
    assert _query(db_url, "SELECT count(*) FROM billing.edi_files WHERE run_id IS DISTINCT FROM %s",
                  run.run_id) == [(0,)]

    # the outlet event: once, with the count of claims that went out
    assert _ti_state(airflow_home, run.run_id, "emit_claims_submitted") == "success"
    assert _asset_events(airflow_home, "billing://claims/submitted", [run.run_id]) == [
        {"claims_submitted": len(clean)}]

    # a second run finds nothing new and sends nothing twice, and records no asset event
    second = run_dag(_dag())
    assert _files_on_server(mailbox) == on_server
    assert _ti_state(airflow_home, second.run_id, "emit_claims_submitted") == "skipped"
    assert _asset_events(airflow_home, "billing://claims/submitted", [run.run_id, second.run_id]) == [
        {"claims_submitted": len(clean)}]


# --------------------------------------------------------------------------- batch eligibility

def test_batch_eligibility_over_sftp(env, mailbox):
    from include.sandbox.clearinghouse import Clearinghouse
    from include.sandbox.roster import Roster
    from include.sandbox.scenario import Scenario

    scenario = Scenario.load(Path(__file__).resolve().parents[2] / "include" / "sandbox" / "scenarios" / "default.yaml")
    house = Clearinghouse(mailbox, scenario, Roster.load(env["roster"]))
    stop = threading.Event()
    loop = threading.Thread(target=house.run_loop, args=(0.5, stop), daemon=True)
    loop.start()
    try:
        run_dag(_dag(), conf={"eligibility_transport": "batch"})
    finally:
        stop.set()
        loop.join(10)
    db_url = env["db_url"]
    clean, dirty = _expected(db_url)
    assert set(_assert_exactly_once(db_url, mailbox)) == clean
    transports = _query(db_url, "SELECT DISTINCT transport FROM billing.eligibility_checks")
    assert transports == [("batch",)]
    inactive = {v for v, r in dirty.items() if r == "ELIG_INACTIVE"}
    flagged = {r[0] for r in _query(db_url, """SELECT c.visit_id FROM billing.work_queue w
                                               JOIN billing.claims c ON c.id = w.claim_id
                                               WHERE w.reason_code = 'ELIG_INACTIVE'""")}
    assert flagged == inactive
    stored = _query(db_url, "SELECT transaction_type, direction, count(*) FROM billing.edi_files "
                            "WHERE transaction_type IN ('270', '271') GROUP BY 1, 2 ORDER BY 1")
    assert [(t, d) for t, d, _n in stored] == [("270", "out"), ("271", "in")]


# --------------------------------------------------------------------------- crashes and outages

# Each crash point of the delivery protocol is a fault at the IO call that follows it, injected
# through the connection and RemoteFiles the DAG's tasks open (tests/support/faults.py).
CRASH_AT = {
    "after_plan": {"connection": lambda: Fault(statement="billing.plan_batches", at="after_commit")},
    "before_upload": {"remote": {"op": "write", "when": "before"}},
    "mid_upload": {"remote": {"op": "rename", "when": "before"}},        # NAME.part written
    "after_upload": {"remote": {"op": "rename", "when": "after"}},       # NAME there, not committed
    "after_commit": {"connection": lambda: Fault(statement="SET submitted_at", at="after_commit")},
}


def _crash(db_url, point):
    fault = {k: v() if callable(v) else v for k, v in CRASH_AT[point].items()}
    with faulty_dag_io(**fault) as (conn_fired, remote_fired):
        run_dag(_dag(retries=0), conf={"max_claims_per_file": 25}, expect="failed")
    assert conn_fired or remote_fired, f"the fault {point} never fired"
    return dict(_query(db_url, "SELECT state, count(*) FROM billing.submission_batches GROUP BY 1"))


def test_repeated_crashes_in_the_delivery_protocol_then_each_claim_delivered_once(env, mailbox):
    db_url = env["db_url"]
    inbound = mailbox / "inbound"
    # intent committed, nothing sent
    assert set(_crash(db_url, "before_upload")) == {"uploading"}
    batches = _query(db_url, "SELECT id, file_name FROM billing.submission_batches ORDER BY id")
    assert len(batches) > 1 and not list(inbound.iterdir())
    # NAME.part written, never renamed: the clearinghouse sees no file
    assert set(_crash(db_url, "mid_upload")) == {"uploading"}
    assert list(inbound.glob("*.part")) and not list(inbound.glob("*.x12"))
    # renamed to NAME, outcome not committed
    assert set(_crash(db_url, "after_upload")) == {"uploading"}
    assert len(list(inbound.glob("*.x12"))) == len(batches)
    assert _query(db_url, "SELECT count(*) FROM billing.claims WHERE status = 'submitted'") == [(0,)]
    mtimes = {p.name: p.stat().st_mtime_ns for p in inbound.glob("*.x12")}

    run_dag(_dag())
    # the same batches were resumed, none planned anew, and no file uploaded a second time
    assert _query(db_url, "SELECT id, file_name FROM billing.submission_batches ORDER BY id") == batches
    assert {p.name: p.stat().st_mtime_ns for p in inbound.glob("*.x12")} == mtimes
    assert not list(inbound.glob("*.part"))
    assert set(_assert_exactly_once(db_url, mailbox)) == _expected(db_url)[0]


def test_crash_after_plan_and_after_commit(env, mailbox):
    db_url = env["db_url"]
    # the plan committed, then the task dies
    assert set(_crash(db_url, "after_plan")) == {"planned"}
    batches = _query(db_url, "SELECT id FROM billing.submission_batches ORDER BY id")
    # everything delivered and committed, then the task dies
    assert set(_crash(db_url, "after_commit")) == {"uploaded"}
    assert _query(db_url, "SELECT id FROM billing.submission_batches ORDER BY id") == batches
    run_dag(_dag())
    assert _query(db_url, "SELECT id FROM billing.submission_batches ORDER BY id") == batches
    assert set(_assert_exactly_once(db_url, mailbox)) == _expected(db_url)[0]


def test_sftp_down_then_up(env, mailbox, sftp_server):
    db_url = env["db_url"]
    sftp_server.stop()
    run_dag(_dag(retries=0), expect="failed")
    ready = _query(db_url, "SELECT count(*) FROM billing.claims WHERE status = 'ready'")[0][0]
    assert ready > 0
    assert _query(db_url, "SELECT DISTINCT state FROM billing.submission_batches") == [("planned",)]
    assert not list((mailbox / "inbound").iterdir())

    sftp_server.start()
    run_dag(_dag())
    clean, _dirty = _expected(db_url)
    assert set(_assert_exactly_once(db_url, mailbox)) == clean
    assert _query(db_url, "SELECT count(*) FROM billing.claims WHERE status = 'ready'") == [(0,)]
