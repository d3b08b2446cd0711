"""Posting 835 files concurrently (post_stored_remittances(workers=…)) leaves the ledger exactly as
serial posting does: the same files posted both ways into two databases made from the same
template, compared row by row on natural keys (the surrogate ids of rows posting creates depend
on which file reserved its ids first, so they are translated to what they name)."""
from __future__ import annotations

import dataclasses
import json
import os
import threading
from contextlib import contextmanager
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from include.billing import posting
from include.billing.posting import post_stored_remittances
from tests.unit.posting.factory import denied_clp, file_835, negate, paid_clp, remittance, seed_practice, store

ACTOR = "test:concurrent"


@contextmanager
def _other_database(pg_admin_url, pg_template):
    name = f"billing_t{os.getpid()}_concurrent"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                       sql.Identifier(pg_template)))
    url = pg_admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _seed(conn) -> list[dict]:
    """14 claims, each its own visit; claims 2, 3 and 9 with secondary coverage; the visits of claims
    0 and 6 belong to one patient (files about different visits of one patient may post together)."""
    claims = seed_practice(conn, 14, secondary_for={3, 4, 10})
    conn.execute("""UPDATE pm.visits SET patient_id = %s
                     WHERE id = (SELECT visit_id FROM billing.claims WHERE id = %s)""",
                 (claims[0]["patient_id"], claims[6]["id"]))
    conn.commit()
    return claims


def _files(claims) -> list[tuple[str, bytes]]:
    """Files in the order they arrive: independent ones, ones sharing claims (a reversal and its
    correction), a duplicate, a PLB recoupment naming another file's CLP07, a secondary payer's
    answer for a secondary claim an earlier file creates, an unknown claim (held) and a file that
    cannot be read as money (quarantined)."""
    c = claims
    first = paid_clp(c[0], deductible=Decimal("20.00"))
    f = []
    f.append(("a.835", file_835([remittance([first, paid_clp(c[1], copay=Decimal("10.00")),
                                              paid_clp(c[2], coinsurance=Decimal("4.00"))], trace="T-A")])))
    f.append(("b.835", file_835([remittance([paid_clp(c[3], deductible=Decimal("10.00")),
                                              paid_clp(c[4], copay=Decimal("5.00"))], trace="T-B")])))
    two = remittance([paid_clp(c[5]), paid_clp(c[6], coinsurance=Decimal("7.50"))], trace="T-C",
                     plb=[("L6", "-1.25")])
    f.append(("c.835", file_835([two])))
    f.append(("d.835", file_835([remittance([denied_clp(c[7]), denied_clp(c[8], "PR", "27")], trace="T-D")])))
    # the payer takes back claim 0's payment and pays it again with another deductible
    f.append(("e.835", file_835([remittance([negate(first), paid_clp(c[0], deductible=Decimal("30.00"))],
                                            trace="T-E")])))
    f.append(("c-again.835", file_835([two])))                    # the same payment run in another envelope
    crossover = dataclasses.replace(paid_clp(c[9], copay=Decimal("15.00")), status_code="19")
    f.append(("f.835", file_835([remittance([paid_clp(c[10]), crossover], trace="T-F",
                                            plb=[("WO", "12.00")])])))
    f.append(("g.835", file_835([remittance([paid_clp(c[11])], trace="T-G")])))
    # the secondary payer answers claim 3's secondary claim, which b.835 creates
    secondary = {"claim_number": c[3]["claim_number"][:-2] + "S1", "total": c[3]["total"],
                 "lines": [{**ln, "lcn": c[3]["claim_number"][:-2] + "S1L" + str(i)}
                           for i, ln in enumerate(c[3]["lines"], start=1)], "id": c[3]["id"]}
    f.append(("h.835", file_835([remittance([paid_clp(secondary, paid_pct=Decimal("1"))], trace="T-H")])))
    f.append(("unknown.835", file_835([remittance([paid_clp({**c[12], "claim_number": "V9999999P1"})],
                                                  trace="T-U")])))
    # an amount with a fraction of a cent: the file is quarantined whole
    f.append(("bad.835", file_835([remittance([paid_clp(c[13])], trace="T-Q")]).replace(b"BPR*I*", b"BPR*I*0.001", 1)))
    # the PLB WO of f.835 names claim 4's payer claim number (its CLP07 from b.835)
    return f


def _fix_plb(files, claims) -> list[tuple[str, bytes]]:
    ref = f"PCN{claims[4]['id']:08d}".encode()
    return [(n, d.replace(b"WO:REF1", b"WO:" + ref)) for n, d in files]


def _snapshot(conn) -> dict:
    """The ledger on natural keys: claim numbers for claim ids, (trace, CLP index) for claim
    payments, traces for remittances."""
    claim = dict(conn.execute("SELECT id, claim_number FROM billing.claims").fetchall())
    rem = dict(conn.execute("SELECT id, trace_number FROM billing.remittances").fetchall())
    cp = {i: (rem[r], n) for i, r, n in conn.execute(
        "SELECT id, remittance_id, clp_index FROM billing.claim_payments").fetchall()}
    lp = {i: (cp[p], n) for i, p, n in conn.execute(
        "SELECT id, claim_payment_id, svc_index FROM billing.line_payments").fetchall()}
    pa = {i: (rem[r], n) for i, r, n in conn.execute(
        "SELECT id, remittance_id, position FROM billing.provider_adjustments").fetchall()}
    line = {i: (claim[c], n) for i, c, n in conn.execute(
        "SELECT id, claim_id, line_number FROM billing.claim_lines").fetchall()}
    files = dict(conn.execute("SELECT id, file_name FROM billing.edi_files").fetchall())
    by_prefix = {"835": (rem,), "created": (claim,), "secondary_ready": (claim,), "crossed_over": (claim,),
                 "secondary_superseded": (claim,), "crossover": (claim,), "prior": (claim, cp), "plb": (rem,),
                 "denial": (cp,)}

    def key(k):
        if k is None:
            return None
        parts = k.split(":")
        if parts[0] == "acct":               # acct:remit<id>:<claim id>:<category>
            return ("acct", rem[int(parts[1][5:])], claim[int(parts[2])], parts[3])
        maps = by_prefix.get(parts[0], ())
        return (parts[0], *[maps[i][int(v)] if i < len(maps) and v.isdigit() else v
                            for i, v in enumerate(parts[1:])])

    def js(d):
        return walk(json.loads(d) if isinstance(d, str) else d)

    def walk(d):
        if isinstance(d, list):
            return [walk(x) for x in d]
        if not isinstance(d, dict):
            return d
        out = {}
        for k, v in d.items():
            if k == "remittance_id" and v is not None:
                v = rem[int(v)]
            elif k == "claim_payment_id" and v is not None:
                v = cp[int(v)]
            elif k.endswith("claim_id") and v is not None:
                v = claim[int(v)]
            out[k] = walk(v)
        return out

    def rows(q, f):
        return sorted((f(*r) for r in conn.execute(q).fetchall()), key=repr)

    return {
        "claims": rows("SELECT claim_number, status, responsibility, version, frequency_code, "
                       "payer_claim_control_number, prior_payer_paid, prior_payer_adjustments, replaces_claim_id "
                       "FROM billing.claims", lambda n, s, r, v, f, p, pp, pa_, rep: (
                           n, s, r, v, f, p, pp, js(pa_), claim.get(rep))),
        "claim_lines": rows("SELECT id, line_control_number, procedure_code, charge FROM billing.claim_lines",
                            lambda i, *r: (line[i], *r)),
        "remittances": rows("SELECT trace_number, payer_identifier, edi_file_id, payment_amount, state, held_reason "
                            "FROM billing.remittances", lambda t, p, f, *r: (t, p, files[f], *r)),
        "claim_payments": rows("SELECT id, claim_id, status_code, charge, paid, patient_responsibility, "
                               "payer_claim_control_number, is_reversal, reverses_payment_id "
                               "FROM billing.claim_payments",
                               lambda i, c, s, ch, pd, pr, pccn, rev, revid: (
                                   cp[i], claim[c], s, ch, pd, pr, pccn, rev, cp.get(revid))),
        "line_payments": rows("SELECT id, claim_line_id, procedure_code, charge, paid, allowed, units "
                              "FROM billing.line_payments", lambda i, ln, *r: (lp[i], line.get(ln), *r)),
        "adjustments": rows("SELECT claim_payment_id, line_payment_id, position, group_code, reason_code, amount, "
                            "quantity, remark_codes FROM billing.adjustments",
                            lambda c, ln, *r: (cp[c], lp.get(ln), *r)),
        "provider_adjustments": rows(
            "SELECT id, reason_code, reference, amount, applied_as, claim_id, nets_adjustment_id "
            "FROM billing.provider_adjustments",
            lambda i, r, ref, a, how, c, n: (pa[i], r, ref, a, how, claim.get(c), pa.get(n))),
        "patient_ledger": rows("SELECT patient_id, claim_id, entry_type, category, amount, source_key "
                               "FROM billing.patient_ledger",
                               lambda p, c, t, cat, a, k: (p, claim.get(c), t, cat, a, key(k))),
        # each claim's history in order; histories of different claims may interleave
        "claim_events": rows("SELECT claim_id, array_agg(ARRAY[event_type, from_status, to_status, actor, "
                             "source_file_id::text, detail::text, dedupe_key, run_id] ORDER BY id) "
                             "FROM billing.claim_events GROUP BY claim_id",
                             lambda c, evs: (claim[c], [(e[0], e[1], e[2], e[3], files.get(int(e[4])) if e[4] else None,
                                                         js(e[5]), key(e[6]), e[7]) for e in evs])),
        "work_queue": rows("SELECT dedupe_key, claim_id, source, reason_code, explanation, details, edi_file_id, "
                           "state, due_date, run_id FROM billing.work_queue",
                           lambda k, c, s, r, e, d, f, *rest: (key(k), claim.get(c), s, r, e, js(d), files.get(f),
                                                               *rest)),
        "edi_files": rows("SELECT file_name, state, error FROM billing.edi_files", lambda *r: r),
    }


def _post_all(url, workers, files=None):
    with psycopg.connect(url) as conn:
        # a run bound to the connection: every worker's rows must name it too
        conn.execute("SELECT set_config('billing.run_id', 'run-1', false)")
        conn.commit()
        claims = _seed(conn)
        files = files or _fix_plb(_files(claims), claims)
        for name, data in files:
            store(conn, name, data)
        out = post_stored_remittances(conn, actor=ACTOR, workers=workers,
                                      connect=lambda: psycopg.connect(url))
        conn.commit()
        return out, _snapshot(conn), files


def test_concurrent_posting_leaves_the_ledger_serial_posting_leaves(db_url, pg_admin_url, pg_template):
    serial_out, serial, files = _post_all(db_url, workers=1)
    with _other_database(pg_admin_url, pg_template) as other:
        # the same seed in a database from the same template: the same claim ids, so the same bytes
        concurrent_out, concurrent, _ = _post_all(other, workers=3, files=files)
    # what the scenario covers, in the serial run
    assert serial_out["remittances_posted"] == 8 and serial_out["remittances_duplicate"] == 1
    assert serial_out["remittances_held"] == 1 and serial_out["quarantined"] == 1
    assert serial_out["secondary_claims"] >= 2
    states = {t: s for t, _, _, _, s, _ in serial["remittances"]}
    assert states["T-H"] == "posted" and states["T-U"] == "held"
    assert [r for r in serial["provider_adjustments"] if r[1] == "WO"][0][4] == "claim_recoupment"
    assert all(ev[-1] == "run-1" for _, evs in serial["claim_events"] for ev in evs
               if ev[3] == ACTOR)
    assert concurrent_out == serial_out
    for table in serial:
        assert concurrent[table] == serial[table], table


def test_files_that_share_claims_traces_or_references_post_in_file_order(db):
    claims = _seed(db)
    ids = {}
    for name, data in _fix_plb(_files(claims), claims):
        ids[name] = store(db, name, data)
    files = posting._rows(db, "pending_835")
    assert [f.file_name for f in files] == list(ids)
    after = posting._posting_order(db, files)
    n = {v: k for k, v in ids.items()}

    def waits(name):
        return {n[i] for i in after[ids[name]]}
    assert waits("a.835") == set() and waits("b.835") == set() and waits("c.835") == set()
    assert waits("d.835") == set()
    assert waits("e.835") == {"a.835"}                       # claim 0: its reversal after its payment
    assert waits("c-again.835") == {"c.835"}                 # the same payer trace
    # the WO names claim 4's CLP07, which only b.835 brings: a recoupment of a reference the ledger
    # does not know yet waits for every earlier file, and every later file waits for it
    assert waits("f.835") == set(list(ids)[:6])
    assert waits("g.835") == {"f.835"}
    # a claim number not in the ledger yet (an earlier file may create it): after every earlier file
    assert waits("h.835") == set(list(ids)[:8])
    assert waits("unknown.835") == set(list(ids)[:9])
    assert waits("bad.835") == {"unknown.835"}


def test_a_failure_stops_handing_out_files_and_is_raised(db, db_url):
    claims = _seed(db)
    for name, data in _fix_plb(_files(claims), claims):
        store(db, name, data)
    opened = []

    def connect():
        if opened:
            raise psycopg.OperationalError("no more connections")
        opened.append(threading.current_thread().name)
        return psycopg.connect(db_url)

    with pytest.raises(psycopg.OperationalError):
        post_stored_remittances(db, actor=ACTOR, workers=3, connect=connect)
    # the connection failed before any file was handed out: everything is still to post
    assert db.execute("SELECT count(*) FROM billing.edi_files WHERE state = 'stored'").fetchone()[0] == 11
    out = post_stored_remittances(db, actor=ACTOR, workers=2, connect=lambda: psycopg.connect(db_url))
    assert out["remittances_posted"] == 8 and out["files"] == 11


def test_workers_without_a_way_to_connect_is_refused(db):
    with pytest.raises(ValueError):
        post_stored_remittances(db, actor=ACTOR, workers=2)


def test_the_scan_reads_what_posting_may_touch(db):
    claims = seed_practice(db, 2)
    data = file_835([remittance([paid_clp(claims[0]), paid_clp(claims[1], pccn="PAYER-7")], trace="T-1",
                                plb=[("FB", "5.00"), ("WO", "1.00")])])
    keys = posting._scan_835(data.replace(b"FB:REF1", b"FB"))
    assert keys.claim_numbers == {c["claim_number"] for c in claims}
    assert keys.traces == {"T-1"}
    # CLP07s, the WO's reference, and "no reference" (FBs without one net with each other)
    assert keys.references == {f"PCN{claims[0]['id']:08d}", "PAYER-7", "REF1", ""}
    assert keys.recoupment_refs == {"REF1"}
    # the X12 reader's segments: a second interchange is read with its own delimiters
    other = data.replace(b"*", b"|").replace(b"~", b"\n")
    assert posting._scan_835(data + other) == posting._scan_835(data) == posting._scan_835(data + data)
    assert posting._scan_835(data.replace(b"ACME MEDICAL", b"LISA MEDICAL")) is not None
    assert posting._scan_835(b"not an interchange") is None


def test_a_worker_failing_mid_file_loses_nothing_and_the_rerun_posts_the_rest_once(db_url, pg_admin_url,
                                                                                   pg_template):
    from include.billing.rcm_sql import query
    from tests.support.faults import Fault, FaultyConnection, InjectedFault

    _, serial, files = _post_all(db_url, workers=1)
    with _other_database(pg_admin_url, pg_template) as other, psycopg.connect(other) as conn:
        conn.execute("SELECT set_config('billing.run_id', 'run-1', false)")
        conn.commit()
        _seed(conn)
        for name, data in files:
            store(conn, name, data)
        # the second connection's first payment run fails after its claims moved, before it commits
        crash = Fault(statement=query("ledger", "close_superseded_denial_items"))
        with pytest.raises(InjectedFault):
            post_stored_remittances(conn, actor=ACTOR, workers=2,
                                    connect=lambda: FaultyConnection(psycopg.connect(other), crash))
        assert crash.fired
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM billing.edi_files WHERE state = 'stored'").fetchone()[0] > 0
        post_stored_remittances(conn, actor=ACTOR, workers=2, connect=lambda: psycopg.connect(other))
        conn.commit()
        assert _snapshot(conn) == serial
