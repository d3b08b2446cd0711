"""End to end over the mailbox folder: 1,000 claims in, 999 / 277CA / 835 out."""
from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import sandbox_world as w

from include.edi.balance import balance_835
from include.edi.validate import validate_x12
from include.edi.x277ca import parse_277ca
from include.edi.x835 import parse_835
from include.edi.x999 import parse_999
from include.sandbox.adjudication import allowed_amount
from include.sandbox.clearinghouse import Clearinghouse
from include.sandbox.roster import Roster
from include.sandbox.scenario import Scenario

DEFAULT = Path(__file__).resolve().parents[3] / "include" / "sandbox" / "scenarios" / "default.yaml"
N = 1000


def errors(data: bytes, name: str):
    return [f for f in validate_x12(data, name) if f.severity == "error"]


def within(observed: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    mean = n * p
    return abs(observed - mean) <= sigmas * math.sqrt(n * p * (1 - p)) + 1


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("sandbox")
    roster_d = w.write_roster(base / "roster.json")
    roster = Roster.load(base / "roster.json")
    scenario = Scenario.load(DEFAULT)
    rng = random.Random(42)
    active = w.active_members(roster_d)
    terminated = [m for m in roster_d["members"] if m["status"] == "terminated"]
    claims, expect = [], {}
    for i in range(1, N + 1):
        kind = ("unknown_member" if i % 100 == 1 else "invalid_npi" if i % 100 == 2 else
                "non_billable" if i % 100 == 3 else "terminated" if i % 100 == 4 else
                "secondary" if i % 20 == 5 else "ok")
        if kind == "terminated":
            c = w.make_claim(i, rng.choice(terminated), rng)      # DOS in February, plan ended in January
        else:
            c = w.make_claim(i, rng.choice(active), rng,
                             member_id="NOPE" + str(i) if kind == "unknown_member" else None,
                             rendering_npi=w.bad_npi(i) if kind == "invalid_npi" else None,
                             dx=["M545"] if kind == "non_billable" else None)
        if kind == "secondary":
            w.secondary_of(c, primary_paid=(c.total_charge * Decimal("0.5")).quantize(Decimal("0.01")),
                           primary_pr=(c.total_charge * Decimal("0.2")).quantize(Decimal("0.01")))
        claims.append(c)
        expect[c.claim_id] = kind
    ch = Clearinghouse(base / "mailbox", scenario, roster)
    # two files, one of them split into several transaction sets
    (ch.inbound / "claims_a.837").write_bytes(w.build_file(claims[:600], 501, per_tx=250))
    (ch.inbound / "claims_b.837").write_bytes(w.build_file(claims[600:], 502))
    (ch.inbound / "claims_c.837.part").write_bytes(w.build_file(claims[:3], 503))   # upload in progress
    (ch.inbound / ".hidden.837").write_bytes(w.build_file(claims[:3], 504))
    r1 = ch.process(w.RECEIVED)
    r2 = ch.process(w.RECEIVED + dt.timedelta(days=1))               # nothing due yet
    r3 = ch.process(w.RECEIVED + dt.timedelta(days=30))              # every payer's delay has passed
    return dict(ch=ch, claims=claims, expect=expect, scenario=scenario, roster=roster, reports=(r1, r2, r3),
                roster_d=roster_d)


def _out(ch, prefix):
    return sorted(p for p in ch.outbound.iterdir() if p.name.startswith(prefix))


def test_acknowledgments_and_front_end_rejections_are_exact(world):
    ch, expect = world["ch"], world["expect"]
    r1 = world["reports"][0]
    assert r1.files == 2 and r1.claims_received == N and r1.transactions_rejected == 0
    assert [p.name for p in _out(ch, "999")] == ["999_000000501.x12", "999_000000502.x12"]
    for p in _out(ch, "999"):
        acks = parse_999(p.read_bytes())
        assert all(t.status == "A" for a in acks for t in a.transactions)
    assert sum(len(a.transactions) for p in _out(ch, "999") for a in parse_999(p.read_bytes())) == 3 + 1
    statuses = {c.claim_id: c for p in _out(ch, "277CA") for c in parse_277ca(p.read_bytes())}
    assert set(statuses) == set(expect)
    wanted = {"unknown_member": ("A7", "33"), "invalid_npi": ("A7", "562"), "non_billable": ("A7", "255"),
              "terminated": ("A7", "88")}
    random_rejects = Counter()
    for cid, kind in expect.items():
        s = statuses[cid].statuses[0]
        if kind in wanted:
            assert (s.category, s.code) == wanted[kind], (cid, kind, s)
            assert statuses[cid].action_code == "U"
        elif s.category == "A7":
            random_rejects[s.code] += 1
        else:
            assert (s.category, s.code) == ("A2", "20")
            assert statuses[cid].payer_claim_control_number
    assert statuses[[c for c, k in expect.items() if k == "invalid_npi"][0]].statuses[0].entity == "82"
    n_clean = sum(1 for k in expect.values() if k not in wanted)
    sc = world["scenario"]
    assert within(random_rejects["454"], n_clean, sc.rejections["invalid_procedure_code"])
    assert within(random_rejects["21"], n_clean, sc.rejections["missing_information"])
    assert r1.claims_rejected == sum(1 for k in expect.values() if k in wanted) + sum(random_rejects.values())


def test_inbound_files_archived_part_and_dotfiles_ignored(world):
    ch = world["ch"]
    assert sorted(p.name for p in ch.archive.iterdir()) == ["claims_a.837", "claims_b.837"]
    assert sorted(p.name for p in ch.inbound.iterdir()) == [".hidden.837", "claims_c.837.part"]
    assert not [p for p in ch.outbound.iterdir() if p.name.startswith(".")]      # no temp files left


def test_every_output_passes_pyx12(world):
    ch = world["ch"]
    files = list(ch.outbound.iterdir())
    assert {p.name.split("_")[0] for p in files} == {"999", "277CA", "835"}
    for p in files:
        assert errors(p.read_bytes(), p.name) == [], p.name


def test_payments_wait_for_the_delay_then_balance_to_the_cent(world):
    ch, expect, sc = world["ch"], world["expect"], world["scenario"]
    r1, r2, r3 = world["reports"]
    assert r1.remittances == 0 and r2.remittances == 0
    remits = [r for p in _out(ch, "835") for r in parse_835(p.read_bytes())]
    assert r3.remittances == len(remits) == 3                        # one per payer (one payee here)
    assert len({r.trace_number for r in remits}) == 3
    assert {r.payer_id for r in remits} == {"BCBS1", "MCR01", "AETN1"}
    for r in remits:
        assert balance_835(r) == []
        assert r.payee_id == w.BILLING.npi and r.payer_name
        assert r.payment_method in ("ACH", "CHK")
    paid = {c.claim_id: (r, c) for r in remits for c in r.claims}
    accepted = [cid for cid, c in _accepted(ch).items()]
    assert sorted(paid) == sorted(accepted)                          # every accepted claim paid or denied once
    claims = {c.claim_id: c for c in world["claims"]}
    icn = {c.claim_id: c.payer_claim_control_number for p in _out(ch, "277CA") for c in parse_277ca(p.read_bytes())}
    for cid, (r, cp) in paid.items():
        c = claims[cid]
        assert cp.payer_claim_control_number == icn[cid]
        assert [ln.line_control_number for ln in cp.lines] == [ln.line_control_number for ln in c.lines]
        pct = sc.terms(r.payer_id).fee_schedule_percent
        for ln, src in zip(cp.lines, c.lines):
            if ln.allowed_amount is not None:
                assert ln.allowed_amount == allowed_amount(src.charge, pct)
                co45 = sum(a.amount for a in ln.adjustments if (a.group, a.reason) == ("CO", "45"))
                assert co45 == src.charge - ln.allowed_amount
        if expect[cid] == "secondary" and cp.status_code != "4":
            assert cp.status_code == "2"
            oa23 = sum(a.amount for ln in cp.lines for a in ln.adjustments if (a.group, a.reason) == ("OA", "23"))
            assert oa23 == c.other_payers[0].paid_amount
            assert cp.paid <= c.other_payers[0].adjustments[1][2]     # never more than the primary left


def _accepted(ch):
    return {c.claim_id: c for p in _out(ch, "277CA") for c in parse_277ca(p.read_bytes()) if c.action_code == "WQ"}


def test_denial_mix_matches_the_scenario(world):
    ch, sc = world["ch"], world["scenario"]
    claims = {c.claim_id: c for c in world["claims"]}
    remits = [r for p in _out(ch, "835") for r in parse_835(p.read_bytes())]
    cps = [c for r in remits for c in r.claims]
    n = len(cps)
    denied = Counter()
    line_97, multi_lines = 0, 0
    for cp in cps:
        if cp.status_code == "4":
            a = cp.lines[0].adjustments[0]
            if all(x.reason == "97" for ln in cp.lines for x in ln.adjustments):
                continue
            denied[f"{a.group}-{a.reason}"] += 1
            if a.reason == "16":
                assert all(ln.remark_codes == ["M51"] for ln in cp.lines)
        else:
            for k, ln in enumerate(cp.lines):
                if k and any(a.reason == "97" for a in ln.adjustments):
                    line_97 += 1
            multi_lines += max(0, len(cp.lines) - 1)
    no_auth = sum(1 for cp in cps if not claims[cp.claim_id].prior_authorization)
    primaries = sum(1 for cp in cps if not claims[cp.claim_id].other_payers)
    assert within(denied["CO-16"], n, sc.denials["CO-16"])
    assert within(denied["CO-50"], n, sc.denials["CO-50"])
    assert within(denied["CO-29"], n, sc.denials["CO-29"])
    assert within(denied["CO-197"], no_auth, sc.denials["CO-197"])
    assert within(denied["CO-22"], primaries, sc.denials["CO-22"])
    assert denied["CO-197"] == sum(1 for cp in cps if cp.status_code == "4"
                                   and cp.lines[0].adjustments[0].reason == "197"
                                   and not claims[cp.claim_id].prior_authorization)
    assert within(line_97, multi_lines, sc.denials["CO-97"])
    assert sum(denied.values()) > 0 and line_97 > 0


def test_patient_responsibility_follows_the_plan(world):
    ch, roster = world["ch"], world["roster"]
    claims = {c.claim_id: c for c in world["claims"]}
    used: Counter = Counter()
    for r in (r for p in _out(ch, "835") for r in parse_835(p.read_bytes())):
        for cp in r.claims:
            c = claims[cp.claim_id]
            if c.other_payers or cp.status_code == "4":
                continue
            m = roster.find(c.payer.payer_id, c.subscriber.member_id)
            ded = sum(a.amount for ln in cp.lines for a in ln.adjustments if (a.group, a.reason) == ("PR", "1"))
            copay = sum(a.amount for ln in cp.lines for a in ln.adjustments if (a.group, a.reason) == ("PR", "3"))
            coins = sum(a.amount for ln in cp.lines for a in ln.adjustments if (a.group, a.reason) == ("PR", "2"))
            used[m.member_id] += ded
            assert copay <= m.copay
            assert not (copay and coins)                  # a copay plan has no coinsurance here
            assert cp.patient_responsibility == ded + copay + coins
    for mid, total in used.items():
        m = roster.find(None, mid)
        assert total <= m.deductible_remaining            # the deductible carries across claims


def test_process_again_is_idempotent(world):
    ch = world["ch"]
    before = {p.name: p.read_bytes() for p in ch.outbound.iterdir()}
    r = ch.process(w.RECEIVED + dt.timedelta(days=30))
    assert r.files == 0 and r.remittances == 0 and r.outputs == []
    assert {p.name: p.read_bytes() for p in ch.outbound.iterdir()} == before
    # a restart (new object on the same folder) continues from the saved state
    again = Clearinghouse(ch.root, world["scenario"], world["roster"])
    assert again.process(w.RECEIVED + dt.timedelta(days=31)).outputs == []


def test_reversals_follow_the_rate_a_week_later(world):
    """Runs last: a later payment run reverses and re-pays about `reversal.rate` of the paid claims."""
    ch, sc = world["ch"], world["scenario"]
    first = [c for p in _out(ch, "835") for r in parse_835(p.read_bytes()) for c in r.claims]
    paid = {c.claim_id: c for c in first if c.paid > 0}
    r = ch.process(w.RECEIVED + dt.timedelta(days=30 + sc.reversal_delay_days))
    later = [(p, rem) for p in r.outputs for rem in parse_835((ch.outbound / p).read_bytes())]
    for name, rem in later:
        assert balance_835(rem) == [] and errors((ch.outbound / name).read_bytes(), name) == []
    reversed_ids = [c.claim_id for _, rem in later for c in rem.claims if c.status_code == "22"]
    assert r.reversals == len(reversed_ids) > 0
    assert within(len(reversed_ids), len(paid), sc.reversal_rate)
    assert set(reversed_ids) <= set(paid)
