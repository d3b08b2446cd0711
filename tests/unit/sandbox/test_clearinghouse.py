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
from include.edi.x277 import parse_277
from include.edi.x277ca import parse_277ca
from include.edi.x835 import parse_835
from include.edi.x999 import parse_999
from include.sandbox import fee_schedule as fs
from include.sandbox.adjudication import LineIn, allowed_amount
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
    r2 = ch.process(w.RECEIVED + dt.timedelta(days=1))               # the payers' 277CA; nothing due yet
    r3 = ch.process(w.RECEIVED + dt.timedelta(days=scenario.adjudication_delay_days))   # every delay has passed
    return dict(ch=ch, claims=claims, expect=expect, scenario=scenario, roster=roster, reports=(r1, r2, r3),
                roster_d=roster_d)


def _out(ch, prefix):
    return sorted(p for p in ch.outbound.iterdir() if p.name.startswith(prefix))


def _clearinghouse_277ca(ch):
    return [p for p in _out(ch, "277CA_") if p.name[6].isdigit()]      # 277CA_<ISA13>.x12


def _payer_277ca(ch):
    return [p for p in _out(ch, "277CA_") if not p.name[6].isdigit()]  # 277CA_<payer>_<date>_<n>.x12


def test_acknowledgments_and_front_end_rejections_are_exact(world):
    ch, expect = world["ch"], world["expect"]
    r1 = world["reports"][0]
    assert r1.files == 2 and r1.claims_received == N and r1.transactions_rejected == 0
    assert [p.name for p in _out(ch, "999")] == ["999_000000501.x12", "999_000000502.x12"]
    for p in _out(ch, "999"):
        acks = parse_999(p.read_bytes())
        assert all(t.status == "A" for a in acks for t in a.transactions)
    assert sum(len(a.transactions) for p in _out(ch, "999") for a in parse_999(p.read_bytes())) == 3 + 1
    statuses = {c.claim_id: c for p in _clearinghouse_277ca(ch) for c in parse_277ca(p.read_bytes())}
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
            assert (s.category, s.code) == ("A1", "19")     # stage 1: received and forwarded
    assert statuses[[c for c, k in expect.items() if k == "invalid_npi"][0]].statuses[0].entity == "82"
    n_clean = sum(1 for k in expect.values() if k not in wanted)
    sc = world["scenario"]
    assert within(random_rejects["454"], n_clean, sc.rejections["invalid_procedure_code"])
    assert within(random_rejects["21"], n_clean, sc.rejections["missing_information"])
    assert r1.claims_rejected == sum(1 for k in expect.values() if k in wanted) + sum(random_rejects.values())


def test_the_payer_answers_every_forwarded_claim_a_day_later(world):
    """Stage 2: one payer 277CA answer per forwarded claim, A2 with the payer's claim number or A3."""
    ch, sc = world["ch"], world["scenario"]
    forwarded = {c.claim_id for p in _clearinghouse_277ca(ch) for c in parse_277ca(p.read_bytes())
                 if c.statuses[0].category == "A1"}
    answers = [c for p in _payer_277ca(ch) for c in parse_277ca(p.read_bytes())]
    assert sorted(c.claim_id for c in answers) == sorted(forwarded)
    assert world["reports"][1].outputs and all(n.startswith("277CA_") for n in world["reports"][1].outputs)
    cats = Counter(c.statuses[0].category for c in answers)
    assert set(cats) == {"A2", "A3"} and within(cats["A3"], len(answers), sc.payer_rejection_rate)
    assert all(c.payer_claim_control_number for c in answers if c.statuses[0].category == "A2")
    assert not any(c.payer_claim_control_number for c in answers if c.statuses[0].category == "A3")


def test_inbound_files_archived_part_and_dotfiles_ignored(world):
    ch = world["ch"]
    assert sorted(p.name for p in ch.archive.iterdir()) == ["claims_a.837", "claims_b.837"]
    assert sorted(p.name for p in ch.inbound.iterdir()) == [".hidden.837", "claims_c.837.part"]
    assert not [p for p in ch.outbound.iterdir() if p.name.startswith(".")]      # no temp files left


def test_every_output_passes_pyx12(world):
    ch = world["ch"]
    files = list(ch.outbound.iterdir())
    assert {p.name.split("_")[0] for p in files} == {"999", "277CA", "835", "277RFAI"}
    for p in files:
        if p.name.startswith("277RFAI_"):
            continue        # pyx12 has no 005010X213 map; tests/unit/sandbox/test_information_requests.py
        assert errors(p.read_bytes(), p.name) == [], p.name


def test_payments_wait_for_the_delay_then_balance_to_the_cent(world):
    ch, expect, sc = world["ch"], world["expect"], world["scenario"]
    r1, r2, r3 = world["reports"]
    assert r1.remittances == 0 and r2.remittances == 0
    remits = [r for p in _out(ch, "835") for r in parse_835(p.read_bytes())]
    assert r3.remittances == len(remits) == len(w.PAYERS)           # one per payer (one payee here)
    assert len({r.trace_number for r in remits}) == len(w.PAYERS)
    assert {r.payer_id for r in remits} == {p for p, _, _ in w.PAYERS}
    for r in remits:
        assert balance_835(r) == []
        assert r.payee_id == w.BILLING.npi and r.payer_name
        assert r.payment_method in ("ACH", "CHK")
    paid = {c.claim_id: (r, c) for r in remits for c in r.claims}
    accepted = [cid for cid, c in _accepted(ch).items()]
    # every accepted claim paid or denied once, but those the payer pended with a request for records
    asked = {a.patient_account_number for p in _out(ch, "277RFAI") for a in parse_277(p.read_bytes())}
    assert asked and within(len(asked), len(accepted), sc.rfai.rate) and asked <= set(accepted)
    assert sorted(paid) == sorted(set(accepted) - asked)
    claims = {c.claim_id: c for c in world["claims"]}
    icn = {c.claim_id: c.payer_claim_control_number for p in _payer_277ca(ch) for c in parse_277ca(p.read_bytes())}
    for cid, (r, cp) in paid.items():
        c = claims[cid]
        assert cp.payer_claim_control_number == icn[cid]
        assert [ln.line_control_number for ln in cp.lines] == [ln.line_control_number for ln in c.lines]
        terms = sc.terms(r.payer_id)
        for ln, src in zip(cp.lines, c.lines):
            if ln.allowed_amount:
                assert ln.allowed_amount == allowed_amount(LineIn("", src.procedure_code, src.charge, src.units),
                                                           terms, sc)
                co45 = sum(a.amount for a in ln.adjustments if (a.group, a.reason) == ("CO", "45"))
                assert co45 == src.charge - ln.allowed_amount
        if expect[cid] == "secondary" and cp.status_code != "4":
            assert cp.status_code == "2"
            oa23 = sum(a.amount for ln in cp.lines for a in ln.adjustments if (a.group, a.reason) == ("OA", "23"))
            primary_pr = c.other_payers[0].adjustments[1][2]
            assert oa23 == c.total_charge - primary_pr                 # the primary's effect: all it did not leave
            assert cp.paid <= primary_pr                               # never more than the primary left


def _accepted(ch):
    return {c.claim_id: c for p in _payer_277ca(ch) for c in parse_277ca(p.read_bytes()) if c.action_code == "WQ"}


def test_denial_mix_matches_the_scenario(world):
    ch, sc = world["ch"], world["scenario"]
    claims = {c.claim_id: c for c in world["claims"]}
    remits = [r for p in _out(ch, "835") for r in parse_835(p.read_bytes())]
    cps = [c for r in remits for c in r.claims]
    n = len(cps)
    denied = Counter()
    line_97, multi_lines, with_denial = 0, 0, 0
    remarks = {"CO-16": ["MA130", "N290"], "CO-197": ["M62"], "CO-22": ["MA04"], "CO-109": ["N418"],
               "CO-11": ["M76"], "PR-27": ["N30"]}
    for cp in cps:
        line_denied = [any(a.reason in ("97", "4") for a in ln.adjustments) for ln in cp.lines]
        with_denial += cp.status_code == "4" or any(line_denied)
        if cp.status_code == "4" and not all(line_denied):
            a = cp.lines[0].adjustments[0]
            denied[f"{a.group}-{a.reason}"] += 1
            if f"{a.group}-{a.reason}" in remarks:
                assert all(ln.remark_codes == remarks[f"{a.group}-{a.reason}"] for ln in cp.lines)
        elif cp.status_code != "4":
            for k, ln in enumerate(cp.lines):
                if k and any(a.reason == "97" for a in ln.adjustments):
                    line_97 += 1
                    assert ln.remark_codes == ["M15"] and ln.paid == 0 and ln.allowed_amount == 0
            multi_lines += max(0, len(cp.lines) - 1)
    no_auth = sum(1 for cp in cps if not claims[cp.claim_id].prior_authorization)
    primaries = sum(1 for cp in cps if not claims[cp.claim_id].other_payers)
    for code in ("CO-16", "CO-50", "CO-29", "CO-11", "PR-27"):
        assert within(denied[code], n, sc.denials[code]), code
    assert within(denied["CO-197"], no_auth, sc.denials["CO-197"])
    assert within(denied["CO-22"], primaries, sc.denials["CO-22"])
    assert within(denied["CO-109"], primaries, sc.denials["CO-109"])
    assert denied["CO-197"] == sum(1 for cp in cps if cp.status_code == "4"
                                   and cp.lines[0].adjustments[0].reason == "197"
                                   and not claims[cp.claim_id].prior_authorization)
    assert within(line_97, multi_lines, sc.denials["CO-97"])
    assert sum(denied.values()) > 0 and line_97 > 0
    # a practice sees denials on about 5-15 % of its claims
    assert 0.05 <= with_denial / n <= 0.15, with_denial / n


def test_patient_responsibility_follows_the_plan(world):
    ch, roster, sc = world["ch"], world["roster"], world["scenario"]
    claims = {c.claim_id: c for c in world["claims"]}
    used: Counter = Counter()
    checked = Counter()
    for r in (r for p in _out(ch, "835") for r in parse_835(p.read_bytes())):
        kind = sc.kind(r.payer_id, roster.payers[r.payer_id].claim_filing_indicator)
        for cp in r.claims:
            c = claims[cp.claim_id]
            if c.other_payers or cp.status_code == "4":
                continue
            m = roster.find(c.payer.payer_id, c.subscriber.member_id)
            pr = lambda ln, reason: sum(a.amount for a in ln.adjustments if (a.group, a.reason) == ("PR", reason))  # noqa: E731
            copays = [pr(ln, "3") for ln in cp.lines if pr(ln, "3")]
            assert len(copays) <= 1 and sum(copays) <= m.copay          # one copay per visit
            for ln in cp.lines:
                share = pr(ln, "1") + pr(ln, "2") + pr(ln, "3")
                code = ln.procedure_code
                if kind == "medicaid" or fs.no_cost_sharing(kind, code):
                    assert share == 0, (kind, code)
                    checked[kind, fs.category(code)] += 1
                if pr(ln, "3"):
                    assert fs.category(code) == "office_em" and kind == "commercial"
                    assert pr(ln, "1") == pr(ln, "2") == 0              # the copay bypasses the deductible
                if kind == "medicare" and share:                        # deductible, then 20 %
                    assert pr(ln, "3") == 0
                    assert abs(pr(ln, "2") - (ln.allowed_amount - pr(ln, "1")) * Decimal("0.2")) <= Decimal("0.005")
            used[(r.payer_id, m.member_id)] += sum(pr(ln, "1") for ln in cp.lines)
            assert cp.patient_responsibility == sum(pr(ln, x) for ln in cp.lines for x in ("1", "2", "3"))
    for (payer, mid), total in used.items():
        m = roster.find(payer, mid)
        limit = sc.medicare_part_b_deductible if payer == "MCR01" else m.deductible
        assert total <= max(Decimal(0), limit - m.deductible_met)     # the deductible carries across claims
    assert checked["medicare", "lab"] and checked["medicare", "vaccine"] and checked["commercial", "vaccine"]
    assert checked["medicaid", "office_em"]


def test_process_again_is_idempotent(world):
    ch = world["ch"]
    before = {p.name: p.read_bytes() for p in ch.outbound.iterdir()}
    r = ch.process(w.RECEIVED + dt.timedelta(days=world["scenario"].adjudication_delay_days))
    assert r.files == 0 and r.remittances == 0 and r.outputs == []
    assert {p.name: p.read_bytes() for p in ch.outbound.iterdir()} == before
    # a restart (new object on the same folder) continues from the saved state
    again = Clearinghouse(ch.root, world["scenario"], world["roster"])
    assert again.process(w.RECEIVED + dt.timedelta(days=world["scenario"].adjudication_delay_days + 1)).outputs == []


def test_reversals_follow_the_rate_a_week_later(world):
    """Runs last: a later payment run reverses and re-pays about `reversal.rate` of the paid claims."""
    ch, sc = world["ch"], world["scenario"]
    first = [c for p in _out(ch, "835") for r in parse_835(p.read_bytes()) for c in r.claims]
    paid = {c.claim_id: c for c in first if c.paid > 0}
    r = ch.process(w.RECEIVED + dt.timedelta(days=sc.adjudication_delay_days + sc.reversal_delay_days))
    later = [(p, rem) for p in r.outputs for rem in parse_835((ch.outbound / p).read_bytes())]
    for name, rem in later:
        assert balance_835(rem) == [] and errors((ch.outbound / name).read_bytes(), name) == []
    reversed_ids = [c.claim_id for _, rem in later for c in rem.claims if c.status_code == "22"]
    assert r.reversals == len(reversed_ids) > 0
    assert within(len(reversed_ids), len(paid), sc.reversal_rate)
    assert set(reversed_ids) <= set(paid)
