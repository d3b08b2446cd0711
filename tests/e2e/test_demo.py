"""`make demo` end to end, in a private run folder: the summary agrees with the ledger and the files,
running it again changes nothing, and no PHI reaches the task logs or XCom.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]

SUMMARY_KEYS = {"claims_submitted", "claims_accepted", "claims_rejected", "claims_paid", "claims_denied",
                "claims_corrected", "payments_posted_total", "patient_responsibility_total",
                "first_pass_acceptance_rate", "days_in_ar", "report_email"}


def _demo(run_dir: Path, db_url: str, visits: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(BILLING_RUN_DIR=str(run_dir), BILLING_DATABASE_URL=db_url, BILLING_DEMO_VISITS=str(visits))
    result = subprocess.run([sys.executable, "-m", "include.devenv.demo"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    (run_dir / "demo-output.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return json.loads((run_dir / "demo" / "summary.json").read_text())


def _claims_in_837_files(clearinghouse: Path) -> list[str]:
    """Every CLM01 in every 837P the clearinghouse received, one entry per occurrence."""
    from include.edi.x837p import read_837p

    numbers = []
    for path in sorted(clearinghouse.rglob("837P_*.x12")):
        numbers += [claim.claim_id for claim in read_837p(path)]
    return numbers


def _assert_ledger_agrees(summary: dict, url: str, clearinghouse: Path) -> None:
    with psycopg.connect(url) as conn:
        submitted = conn.execute("SELECT count(DISTINCT claim_id) FROM billing.claim_events "
                                 "WHERE to_status = 'submitted'").fetchone()[0]
        posted = conn.execute("SELECT coalesce(sum(paid), 0) FROM billing.claim_payments").fetchone()[0]
        remitted = conn.execute("SELECT coalesce(sum(payment_amount), 0) FROM billing.remittances "
                                "WHERE state = 'posted'").fetchone()[0]
        plb = conn.execute("SELECT coalesce(sum(amount), 0) FROM billing.provider_adjustments").fetchone()[0]
        ours = {n for (n,) in conn.execute("""SELECT c.claim_number FROM billing.claims c
                                              JOIN billing.batch_claims bc ON bc.claim_id = c.id
                                              JOIN billing.submission_batches b ON b.id = bc.batch_id
                                             WHERE b.state <> 'failed'""")}
    in_files = _claims_in_837_files(clearinghouse)
    # exactly once: no claim was delivered twice (the demo clerk resubmits denials as new,
    # frequency-7 claims, never the same claim again), and the files hold what the ledger says it sent
    assert len(in_files) == len(set(in_files))
    assert set(in_files) == ours
    assert summary["claims_submitted"] == submitted == len(in_files) > 0
    assert Decimal(summary["payments_posted_total"]) == posted > 0
    # the money posted balances to the cent against the 835s: BPR02 = Σ CLP04 − Σ PLB
    assert remitted == posted - plb


LEVEL_OF_CLP02 = {"2": "S", "20": "S", "3": "T", "21": "T"}     # else the primary's (1, 19, 4, 22 …)
RECOUPMENT = {"WO", "72", "J1"}


def _remittances_in_835_files(clearinghouse: Path) -> list:
    """Every 835 transaction set the clearinghouse sent, in interchange order (ISA09, ISA10, ISA13)."""
    from include.edi.reader import iter_transactions
    from include.edi.x835 import parse_835_transaction

    sets = []
    for path in sorted(clearinghouse.rglob("835_*.x12")):
        for t in iter_transactions(path.read_bytes(), str(path)):
            isa = t.group.interchange
            sets.append(((isa.date, isa.time, isa.control_number), parse_835_transaction(t)))
    return [r for _, r in sorted(sets, key=lambda x: x[0])]


def _expected_from_835_files(clearinghouse: Path) -> tuple[dict, dict]:
    """Per visit, from the 835 files alone: what the patient owes (the CLP05 of the last payer level
    that still has a standing adjudication, reversals netted) and what insurance paid (Σ CLP04,
    reversals included, less PLB recoupments naming one of the visit's claims); and per claim
    number its last CLP."""
    levels: dict[str, dict[str, list]] = {}
    paid: dict[str, Decimal] = {}
    last_clp: dict[str, object] = {}
    names: dict[str, str] = {}             # claim number or payer claim number -> visit
    plbs = []
    for r in _remittances_in_835_files(clearinghouse):
        for clp in r.claims:
            visit = clp.claim_id.rstrip("0123456789")[:-1]
            names[clp.claim_id] = visit
            if clp.payer_claim_control_number:
                names[clp.payer_claim_control_number] = visit
            level = LEVEL_OF_CLP02.get(clp.status_code, clp.claim_id.rstrip("0123456789")[-1])
            levels.setdefault(visit, {}).setdefault(level, []).append(clp)
            paid[visit] = paid.get(visit, Decimal(0)) + clp.paid
            last_clp[clp.claim_id] = clp
        plbs += r.provider_adjustments
    for p in plbs:
        if p.reason_code in RECOUPMENT and p.reference in names:
            paid[names[p.reference]] -= p.amount
    owed = {}
    for visit, by_level in levels.items():
        for level in ("T", "S", "P"):
            clps = by_level.get(level, [])
            standing = sum(-1 if c.is_reversal else 1 for c in clps)
            if standing > 0:
                owed[visit] = sum((c.patient_responsibility or Decimal(0) for c in clps), Decimal(0))
                break
    return {v: {"patient_responsibility": owed.get(v), "insurance_paid": paid[v]} for v in levels}, last_clp


def _assert_accounts_agree_with_835_files(url: str, clearinghouse: Path) -> None:
    """Issue 14's done-when, on the demo: every finished visit's account against the 835 files."""
    from include.billing.accounts import load_accounts

    expected, last_clp = _expected_from_835_files(clearinghouse)
    with psycopg.connect(url) as conn:
        accounts = load_accounts(conn)
        statuses = dict(conn.execute("SELECT claim_number, status FROM billing.claims").fetchall())
    finished = [a for a in accounts if a.finished]
    assert finished, "the demo finishes some visits"
    for a in finished:
        want = expected[a.visit_number]
        assert a.patient_responsibility == want["patient_responsibility"], (a.visit_number, a.to_dict(), want)
        assert a.insurance_paid == want["insurance_paid"], (a.visit_number, a.to_dict(), want)
        assert a.charge == a.insurance_paid + a.contractual_adjustments + a.patient_responsibility, a.to_dict()
    # a claim the payer processed and left to the patient is not a denial
    wrong = [n for n, clp in last_clp.items()
             if clp.status_code in ("1", "2", "3") and (clp.patient_responsibility or 0) > 0
             and statuses.get(n) in ("denied", "written_off")]
    assert wrong == []


def _assert_issue_15_demo_conditions(url: str, clearinghouse: Path) -> None:
    """Issue 15's demo conditions, from the files the clearinghouse holds and the ledger:
    no claim the payer accepted (277CA A2/A5) inside its filing limit is written off for timely
    filing, and no corrected claim sent carries a modifier or pointer change that its work item
    (the route's named field, recorded by the correction) did not ask for."""
    import datetime as dt

    from include.edi.x277ca import parse_277ca
    from include.edi.x837p import read_837p

    accepted_on: dict[str, list] = {}           # visit + responsibility -> payer acceptance dates
    for path in sorted(clearinghouse.rglob("277CA_*.x12")):
        for c in parse_277ca(path.read_bytes()):
            if c.category in ("A2", "A5") and c.effective_date:
                accepted_on.setdefault(c.claim_id.rstrip("0123456789"), []).append(c.effective_date)
    sent = {c.claim_id: [(list(ln.modifiers), list(ln.dx_pointers)) for ln in c.lines]
            for path in sorted(clearinghouse.rglob("837P_*.x12")) for c in read_837p(path)}
    with psycopg.connect(url) as conn:
        written_off = conn.execute("""
            SELECT c.claim_number, c.date_of_service, c.responsibility, py.timely_filing_days,
                   (SELECT max(r.payment_date) FROM billing.claims p
                      JOIN billing.claim_payments cp ON cp.claim_id = p.id AND NOT cp.is_reversal
                      JOIN billing.remittances r ON r.id = cp.remittance_id AND r.state = 'posted'
                     WHERE p.visit_id = c.visit_id AND p.responsibility < c.responsibility)
              FROM billing.claim_events e JOIN billing.claims c ON c.id = e.claim_id
              LEFT JOIN pm.payers py ON py.id = c.payer_id
             WHERE e.event_type = 'written_off' AND e.detail->>'reason' = 'timely_filing'""").fetchall()
        pairs = conn.execute("""SELECT o.id, o.claim_number, n.claim_number FROM billing.claims n
                                  JOIN billing.claims o ON o.id = n.replaces_claim_id""").fetchall()
        asked = {(cid, d["field"], d["line_number"]): d["after"] for cid, d, fix in conn.execute(
            """SELECT e.claim_id, e.detail, w.details->>'fix' FROM billing.claim_events e
                 JOIN billing.work_queue w ON w.id = (e.detail->>'work_item_id')::bigint
                WHERE e.event_type = 'corrected' ORDER BY e.id""") if d.get("field") == fix}
    late = []
    for number, dos, responsibility, limit_days, prior_paid_on in written_off:
        start = prior_paid_on if responsibility != "P" and prior_paid_on else dos
        deadline = start + dt.timedelta(days=limit_days)
        if any(day <= deadline for day in accepted_on.get(number.rstrip("0123456789"), [])):
            late.append((number, deadline.isoformat()))
    assert late == [], f"accepted by the payer in time, yet written off for timely filing: {late}"
    invented, compared = [], 0
    for original_id, old, new in pairs:
        if old not in sent or new not in sent:
            continue                            # not sent (yet): nothing went out with a change
        compared += 1
        for n, ((old_mods, old_ptrs), (new_mods, new_ptrs)) in enumerate(zip(sent[old], sent[new]), start=1):
            if old_mods != new_mods and asked.get((original_id, "modifiers", n)) != new_mods:
                invented.append((new, n, "modifiers", old_mods, new_mods))
            if old_ptrs != new_ptrs and asked.get((original_id, "dx_pointers", n)) != new_ptrs:
                invented.append((new, n, "dx_pointers", old_ptrs, new_ptrs))
    assert compared > 0, "the demo sends corrected claims to compare with the claims they replace"
    assert invented == [], f"corrections nobody asked for: {invented[:5]}"
    print(f"\nISSUE 15: {len(written_off)} timely-filing write-off(s) checked against the 277CA acceptances, "
          f"{compared} corrected claim(s) compared line by line with the claim they replaced")


def _phi_values(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        values = set()
        for first, last, birth in conn.execute("SELECT first_name, last_name, birth_date FROM pm.patients"):
            values |= {first, last, birth.strftime("%Y%m%d"), birth.isoformat()}
        for (member,) in conn.execute("SELECT member_id FROM pm.insurance_policies WHERE member_id <> ''"):
            values.add(member)
        for (code,) in conn.execute("SELECT DISTINCT icd10_code FROM pm.visit_diagnoses"):
            values.add(code)
    # short tokens (3-letter names, codes like I10) also occur as ordinary words and ids
    return {v for v in values if v and len(v) >= 5}


# --- issue 17's checks on the demo's patient accounts and statements --------------------------

AMOUNT = r"-?\$?\d[\d,]*\.\d\d\b"


def _ledger_balances(conn, keys_and_times) -> dict:
    """(guarantor key, statement id) -> Σ patient ledger over the guarantor's dependents' finished
    visits, rows written before the statement (the ledger alone: responsibility +, payments −)."""
    import datetime as dt

    from include.billing.accounts import load_accounts

    finished = {a.visit_id for a in load_accounts(conn) if a.finished}
    out = {}
    for key, statement_id, created_at in keys_and_times:
        rows = conn.execute("""
            SELECT coalesce(c.visit_id, l.visit_id) AS visit, l.amount, l.created_at
              FROM billing.patient_ledger l
              LEFT JOIN billing.claims c ON c.id = l.claim_id
              JOIN pm.patients p ON p.id = l.patient_id
              LEFT JOIN pm.guarantors g ON g.id = p.guarantor_id
             WHERE coalesce(g.guarantor_number, 'P' || lpad(p.id::text, 8, '0')) = %s""", (key,)).fetchall()
        assert all(isinstance(r[2], dt.datetime) for r in rows)
        out[(key, statement_id)] = sum((amount for visit, amount, at in rows if visit in finished and at <= created_at),
                                       Decimal(0))
    return out


def _assert_statements_and_accounts(db_url: str, run_dir: Path) -> None:
    """patient_balance = patient_responsibility − patient_paid on every visit (patient_paid from the
    payment applications); each statement PDF's amount due (read from the PDF) is the guarantor's
    balance on its date from the ledger; PDFs, vendor files and guarantor data are 0600; no log
    line puts a patient's or guarantor's name next to an amount."""
    import re
    import stat
    from io import BytesIO

    from pypdf import PdfReader

    from include.billing.accounts import load_accounts
    from include.billing.statements import export_pdf

    with psycopg.connect(db_url) as conn:
        applied = dict(conn.execute("SELECT visit_id, sum(amount) FROM billing.payment_applications GROUP BY 1"))
        accounts = [a.to_dict() | {"visit_id": a.visit_id, "finished": a.finished} for a in load_accounts(conn)]
        # (a) every visit of the accounts view
        assert accounts
        for a in accounts:
            assert Decimal(a["patient_paid"]) == applied.get(a["visit_id"], Decimal(0)), a
            assert Decimal(a["patient_balance"]) == Decimal(a["patient_responsibility"]) - Decimal(a["patient_paid"]), a
        assert any(Decimal(a["patient_paid"]) > 0 for a in accounts), "some patient paid something"

        # (b) the PDFs' amounts due against the ledger on each statement date
        statements = conn.execute("""SELECT s.id, s.guarantor_key, s.statement_date, s.created_at, d.pdf, d.html
                                       FROM billing.statements s JOIN billing.statement_documents d
                                         ON d.statement_id = s.id ORDER BY s.id""").fetchall()
        assert statements and all(pdf is not None for *_, pdf, _html in statements), "every statement has a PDF"
        balances = _ledger_balances(conn, [(key, sid, at) for sid, key, _d, at, _p, _h in statements])
        families = conn.execute("""SELECT count(*) FROM (SELECT s.id FROM billing.statements s
                                     JOIN billing.statement_lines l ON l.statement_id = s.id
                                     JOIN pm.visits v ON v.id = l.visit_id
                                    GROUP BY s.id HAVING count(DISTINCT v.patient_id) > 1) x""").fetchone()[0]
        for sid, key, day, _at, pdf, html in statements:
            text = " ".join(page.extract_text() for page in PdfReader(BytesIO(bytes(pdf))).pages)
            text = re.sub(r"\s+", " ", text)
            due = re.search(r"Amount due: (-?[\d,]+\.\d\d) by (\d{4}-\d\d-\d\d)", text)
            assert due, text[:500]
            assert f"Account number: {key}" in text and f"Statement date: {day.isoformat()}" in text, text[:500]
            amount = Decimal(due.group(1).replace(",", ""))
            assert amount == balances[(key, sid)] > 0, (sid, key, amount, balances[(key, sid)])
            assert f"Amount due: {amount}" in html
        print(f"\nSTATEMENTS: {len(statements)} PDFs read, amounts due = ledger balances; "
              f"{families} statement(s) for two or more dependents")
        vendor_names = [n for (n,) in conn.execute("SELECT file_name FROM billing.statement_vendor_files")]
        pdf_path = export_pdf(conn, statements[0][0], run_dir)
        people = conn.execute("""SELECT first_name, last_name FROM pm.guarantors
                                 UNION SELECT first_name, last_name FROM pm.patients""").fetchall()
        numbers = [n for (n,) in conn.execute("SELECT guarantor_number FROM pm.guarantors")]
    assert numbers, "the practice has guarantors other than the patients themselves"

    # (c) 0600: the exported PDF, the vendor files at the vendor's SFTP folder, any file naming a guarantor
    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(pdf_path) == 0o600
    pdf_path.unlink()
    vendor_files = [p for p in run_dir.rglob("*") if p.name in vendor_names]
    assert vendor_files and all(mode(p) == 0o600 for p in vendor_files), [(p, oct(mode(p))) for p in vendor_files]
    full_names = {f"{first} {last}" for first, last in people}
    naming = []
    for path in run_dir.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 20_000_000:
            text = path.read_bytes().decode(errors="replace")
            if any(n in text for n in numbers) or any(n in text for n in full_names):
                naming.append(path)
    assert naming and all(mode(p) == 0o600 for p in naming), [(str(p), oct(mode(p))) for p in naming if mode(p) != 0o600]

    # no log line with a name next to an amount (names as whole, capitalised words)
    tokens = {t for first, last in people for t in (first, last) if t and len(t) >= 3}
    name_re = re.compile(r"\b(" + "|".join(sorted(map(re.escape, tokens), key=len, reverse=True)) + r")\b")
    amount_re = re.compile(AMOUNT)
    hits = []
    for log in (run_dir / "airflow" / "logs").rglob("*"):
        if log.is_file():
            for line in log.read_text(errors="replace").splitlines():
                if amount_re.search(line) and (name := name_re.search(line)):
                    hits.append((str(log), name.group(0), line[:200]))
    assert hits == []


# --- issue 18: posting and denials run only when their input changed or their schedule came round

def _airflow_runs(run_dir: Path) -> dict[str, list]:
    import datetime as dt

    with sqlite3.connect(run_dir / "airflow" / "airflow.db") as meta:
        rows = meta.execute("SELECT dag_id, run_id, start_date FROM dag_run ORDER BY start_date").fetchall()
        events = meta.execute("""SELECT a.uri, e.timestamp, e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id
                                 ORDER BY e.timestamp""").fetchall()

    def when(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC) if "+" not in text[19:] else \
            dt.datetime.fromisoformat(text)

    runs: dict[str, list] = {}
    for dag_id, run_id, start in rows:
        runs.setdefault(dag_id, []).append((run_id, when(start)))
    runs["_events"] = [(uri, when(at), json.loads(extra or "{}")) for uri, at, extra in events]
    return runs


def _assert_posting_and_denials_ran_only_when_due(summaries: list[dict], run_dir: Path, db_url: str) -> None:
    """The summaries' DAG-run counts are the runs Airflow recorded (dag_run). A remittance_posting
    run the demo started for its Asset had a new 835 stored since the posting run before it
    (billing.edi_files) and an event on billing://remittances/received with remittances > 0 in
    between; one started for its schedule alone had no such event; and a check with no reason
    started nothing."""
    import datetime as dt

    runs = _airflow_runs(run_dir)
    for dag_id in ("remittance_posting", "denial_management", "clearinghouse_responses", "patient_statements"):
        assert sum(s["dag_runs"].get(dag_id, 0) for s in summaries) == len(runs.get(dag_id, [])), dag_id
    decisions = {d["run_id"]: d for s in summaries for d in s["scheduler_decisions"] if d["run_id"]}
    for s in summaries:
        checks = [d for d in s["scheduler_decisions"] if d["dag_id"] == "remittance_posting"]
        assert checks and s["dag_runs"].get("remittance_posting", 0) == sum(bool(d["run_id"]) for d in checks)
        assert all(bool(d["why"]) == bool(d["run_id"]) for d in s["scheduler_decisions"])
    # the 835s are stored on the simulated clock (billing.clock()), as are the decisions; the
    # Asset events and run starts are Airflow's own, real time
    with psycopg.connect(db_url) as conn:
        received = [at for (at,) in conn.execute(
            "SELECT stored_at FROM billing.edi_files WHERE transaction_type = '835' AND direction = 'in'")]
    postings = runs.get("remittance_posting", [])
    assert postings, "the demo posted 835s"
    previous = previous_clock = None
    by_asset = 0
    for run_id, started in postings:
        clock = dt.datetime.fromisoformat(decisions[run_id]["clock"])
        new = [at for at in received if (previous_clock is None or at > previous_clock) and at <= clock]
        events = [e for e in runs["_events"] if e[0] == "billing://remittances/received"
                  and (previous is None or e[1] > previous) and e[1] < started]
        why = decisions[run_id]["why"]
        if any(w.startswith("asset") for w in why):
            by_asset += 1
            assert new and events and all(e[2].get("remittances", 0) > 0 for e in events), (run_id, why, events)
        else:
            assert not events, (run_id, why, events)
            tick = dt.datetime.fromisoformat(why[0].split(" came round at ")[1])
            assert tick <= clock, why
        previous, previous_clock = started, clock
    assert by_asset > 0, "posting runs as 835s arrive"
    # the printed table says the same as summary.json
    import re

    output = (run_dir / "demo-output.txt").read_text(errors="replace")
    for dag_id in ("remittance_posting", "denial_management"):
        checked = sum(1 for d in summaries[-1]["scheduler_decisions"] if d["dag_id"] == dag_id)
        assert re.search(rf"^{dag_id} runs +{summaries[-1]['dag_runs'].get(dag_id, 0)} of {checked} checks",
                         output, re.M), output
    print(f"\nSCHEDULED RUNS: remittance_posting {[s['dag_runs'].get('remittance_posting', 0) for s in summaries]}, "
          f"denial_management {[s['dag_runs'].get('denial_management', 0) for s in summaries]} per demo run")


def _isa09(path: Path) -> str:
    data = path.read_bytes()
    return data[3:106].decode().split(data[3:4].decode())[9]


def _assert_a_quarter_lived(summary: dict, url: str, clearinghouse: Path) -> None:
    """Issue 16, item 2: the DAGs ran over the simulated quarter. The 837 interchanges are dated
    (ISA09) on at least 20 simulated days, with dates of service over at least 60 (visits on every
    working day); the e-mailed report is a month-end report whose KPIs are numbers, with an
    8-point weekly trend and A/R in more than one aging bucket."""
    import datetime as dt

    days = {_isa09(p) for p in clearinghouse.rglob("837P_*.x12")}
    assert len(days) >= 20, sorted(days)
    with psycopg.connect(url) as conn:
        first, last, dos_days = conn.execute(
            """SELECT min(c.date_of_service), max(c.date_of_service), count(DISTINCT c.date_of_service)
                 FROM billing.claims c WHERE c.submitted_at IS NOT NULL""").fetchone()
        quarter = conn.execute("SELECT start_date, end_date FROM pm.synthetic_seed_runs").fetchone()
        working = conn.execute("""SELECT count(DISTINCT date_of_service) FROM pm.visits
                                  WHERE status = 'completed' AND date_of_service BETWEEN %s AND %s
                                    AND extract(isodow FROM date_of_service) < 6""", quarter).fetchone()[0]
    assert (last - first).days >= 60 and dos_days >= 40, (first, last, dos_days)
    assert (quarter[1] - quarter[0]).days >= 89
    weekdays = sum(1 for i in range((quarter[1] - quarter[0]).days + 1)
                   if (quarter[0] + dt.timedelta(days=i)).weekday() < 5)
    assert working == weekdays, "visits on every working day of the quarter"
    report = json.loads(Path(summary["report_html"]).with_suffix(".json").read_text())
    kpis = report["kpis"]
    # the month-end report: the month to date (its main window), the KPIs at as_of and the trend
    as_of = dt.date.fromisoformat(report["as_of"])
    assert report["period"] == "month_end" and (as_of + dt.timedelta(days=1)).day == 1, report["as_of"]
    assert kpis["period_start"] == as_of.replace(day=1).isoformat() and kpis["period_end"] == report["as_of"]
    for name in ("first_pass_acceptance_rate", "clean_claim_rate", "denial_rate_count", "net_collection_rate",
                 "gross_collection_rate", "days_in_ar", "claims_submitted", "claims_processed"):
        assert kpis[name] not in (None, 0, "0"), (name, kpis[name])
    points = [t for t in kpis["trends"] if t["first_pass_acceptance_rate"] is not None]
    assert len(points) >= 8, kpis["trends"]
    buckets = [k for k, v in kpis["ar_aging"].items() if Decimal(v) > 0]
    assert len(buckets) >= 3, kpis["ar_aging"]
    print(f"\nQUARTER: 837s dated on {len(days)} days, dates of service {first}..{last} ({dos_days} days), "
          f"{len(points)}-point trend, A/R in {buckets}")


# CPT/HCPCS a billing office knows carry no cost sharing (issue 16): preventive E/M visits in a
# commercial or Medicaid network (ACA; Medicare does not cover 99381-99397 at all), and under
# Medicare Part B clinical lab tests and the flu, pneumococcal and hepatitis B vaccines with their
# administration (CMS Claims Processing Manual ch. 16 and 18). Cost sharing is PR-1/2/3
# (deductible, coinsurance, copay); a PR-27 (coverage ended) is a denial the member owes.
PREVENTIVE_VISITS = {f"99{n}" for n in (*range(381, 388), *range(391, 398))}
MEDICARE_NO_COST_SHARING = ("80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "906", "907",
                            "G0008", "G0009", "G0010")
COST_SHARING = {"1", "2", "3"}


def _assert_payers_adjudicate_like_payers(url: str, clearinghouse: Path) -> None:
    """Issue 16, item 1, read from the files the payers sent: no cost sharing where the rules allow none, at
    least one crossover (CLP02=19), L6 interest, WO recoupment and payer-level 277CA rejection,
    and secondary claims paid or crossed over, never denied."""
    from include.edi.reader import iter_segments

    remits = _remittances_in_835_files(clearinghouse)
    crossovers = sum(c.status_code == "19" for r in remits for c in r.claims)
    plb = [p.reason_code for r in remits for p in r.provider_adjustments]
    wrong_pr = [(c.claim_id, line.procedure_code, r.payer_id) for r in remits for c in r.claims for line in c.lines
                if any(a.group == "PR" and a.reason in COST_SHARING and a.amount for a in line.adjustments)
                and (line.procedure_code.startswith(MEDICARE_NO_COST_SHARING) if (r.payer_id or "").startswith("MCR")
                     else line.procedure_code in PREVENTIVE_VISITS)]
    assert wrong_pr == [], wrong_pr
    assert crossovers >= 1 and "L6" in plb and "WO" in plb, (crossovers, sorted(set(plb)))
    payer_rejections = 0
    for path in clearinghouse.rglob("277CA_*.x12"):
        segments = list(iter_segments(path.read_bytes()))
        source = next(s.el(3) for s in segments if s.tag == "NM1" and s.el(1) == "PR")
        if source != "SANDBOX CLEARINGHOUSE" and any(
                s.tag == "STC" and s.el(1).split(":")[0] in ("A3", "A6", "A7", "A8") for s in segments):
            payer_rejections += 1
    assert payer_rejections >= 1
    with psycopg.connect(url) as conn:
        secondary = dict(conn.execute("SELECT status, count(*) FROM billing.claims WHERE responsibility = 'S' "
                                      "GROUP BY status").fetchall())
    assert not {"denied", "rejected"} & set(secondary), secondary
    assert secondary.get("paid", 0) + secondary.get("crossed_over", 0) >= 1, secondary
    print(f"\nPAYERS: {crossovers} crossovers, PLB {sorted(set(plb))}, {payer_rejections} payer-level 277CA "
          f"rejections, secondary claims {secondary}")


def test_demo_runs_the_cycle_agrees_with_the_ledger_and_is_safe_to_rerun(tmp_path, db_url):
    run_dir = tmp_path / "run"
    summary = _demo(run_dir, db_url, visits=150)

    assert SUMMARY_KEYS <= set(summary)
    _assert_ledger_agrees(summary, db_url, run_dir / "clearinghouse")
    _assert_accounts_agree_with_835_files(db_url, run_dir / "clearinghouse")
    assert Path(summary["report_email"]).exists() and summary["report_email"].endswith(".eml")
    assert summary["files_837"] and summary["files_835"]
    assert 0 < Decimal(summary["first_pass_acceptance_rate"]) <= 1
    # one KPI, one number: the summary reads the KPIs at the emailed report's as_of
    report = json.loads(Path(summary["report_html"]).with_suffix(".json").read_text())
    assert report["as_of"] == summary["kpis_as_of"]
    assert Decimal(report["kpis"]["days_in_ar"]) == Decimal(summary["days_in_ar"])
    _assert_issue_15_demo_conditions(db_url, run_dir / "clearinghouse")
    _assert_a_quarter_lived(summary, db_url, run_dir / "clearinghouse")
    _assert_payers_adjudicate_like_payers(db_url, run_dir / "clearinghouse")
    with psycopg.connect(db_url) as conn:
        # the visits' first claims to their primary payers (a rerun's later primary payments may
        # still open secondary claims, which is billing them once, not twice)
        originals = conn.execute("SELECT count(*) FROM billing.claims WHERE version = 1 "
                                 "AND responsibility = 'P'").fetchone()[0]
    _assert_statements_and_accounts(db_url, run_dir)
    _assert_posting_and_denials_ran_only_when_due([summary], run_dir, db_url)
    first_output = (run_dir / "demo-output.txt").read_text(errors="replace")

    # running it again is safe: the cycle moves on (late denials get corrected, replacements go
    # out), nothing is billed, sent or posted twice, and the ledger still agrees with the files
    again = _demo(run_dir, db_url, visits=150)
    _assert_ledger_agrees(again, db_url, run_dir / "clearinghouse")
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM billing.claims WHERE version = 1 "
                            "AND responsibility = 'P'").fetchone()[0] == originals
    assert again["claims_paid"] >= summary["claims_paid"]
    _assert_posting_and_denials_ran_only_when_due([summary, again], run_dir, db_url)

    # the terminal shows a short live view (a line per set-up stage and per simulated week), the
    # task logs go to .run/airflow/logs (and it says so)
    lines = first_output.splitlines()
    assert 20 <= len(lines) <= 60, first_output
    assert sum(1 for line in lines if line.startswith("[#")) >= 16          # a bar line per stage or week
    output = first_output + (run_dir / "demo-output.txt").read_text(errors="replace")
    assert str(run_dir / "airflow" / "logs") in output and "make airflow" in output
    assert "warning" not in output.lower() and "Traceback" not in output

    # PHI hygiene: no name, member id, birth date or diagnosis in the output, task logs or XCom
    phi = _phi_values(db_url)
    assert phi
    leaks = [("demo output", v) for v in phi if v in output]
    logs = [log for log in (run_dir / "airflow" / "logs").rglob("*") if log.is_file()]
    assert any("starting task_id=send_batch" in log.read_text(errors="replace") for log in logs)  # real task logs
    for log in logs:
        text = log.read_text(errors="replace")
        leaks += [(str(log), v) for v in phi if v in text]
    with sqlite3.connect(run_dir / "airflow" / "airflow.db") as meta:
        xcoms = [value for (value,) in meta.execute("SELECT value FROM xcom")]
    for value in xcoms:
        text = value if isinstance(value, str) else bytes(value or b"").decode(errors="replace")
        leaks += [("xcom", v) for v in phi if v in text]
    print(f"\nPHI SCAN: {len(phi):,} synthetic names, birth dates, member ids and diagnosis codes searched in "
          f"{len(output):,} characters of task output, {len(logs)} task log files and {len(xcoms)} XCom values "
          f"of two demo runs: {len(leaks)} hits")
    assert leaks == []
