"""Over time: reversals and corrected payments, replacement and void claims, duplicates,
provider-level adjustments (L6 interest, FB forwarding balance), 276/277 claim status."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
import sandbox_world as w

from include.edi.balance import balance_835
from include.edi.validate import validate_x12
from include.edi.x276 import StatusInquiry, build_276
from include.edi.x277 import parse_277
from include.edi.x835 import parse_835
from include.sandbox.clearinghouse import Clearinghouse
from include.sandbox.roster import Roster
from include.sandbox.scenario import Scenario

DAY = dt.timedelta(days=1)


def _scenario(**kw):
    # paid 10 days after receipt, 5 days past the prompt-pay window: every 835 carries L6 interest
    base = {"seed": 11, "defaults": {"medicare_percent": 100, "delay_days": 10, "payment_method": "CHK",
                                     "prompt_pay_days": 5},
            "reversal": {"rate": 0.5, "delay_days": 5, "fee_delta_percent": 3}}
    base.update(kw)
    return Scenario.from_dict(base)


def _remits(ch, names):
    out = []
    for n in names:
        if n.startswith("835_"):
            data = (ch.outbound / n).read_bytes()
            assert [f for f in validate_x12(data, n) if f.severity == "error"] == [], n
            for r in parse_835(data):
                assert balance_835(r) == [], n
                out.append(r)
    return out


@pytest.fixture
def paid_world(tmp_path):
    rd = w.roster_dict(40)
    # generous plans so that payments are positive
    for m in rd["members"]:
        m["deductible_met"] = m["deductible"]
    rng = random.Random(9)
    claims = [w.make_claim(i, m, rng, prior_auth=True) for i, m in enumerate(w.active_members(rd)[:30], 1)]
    ch = Clearinghouse(tmp_path / "mb", _scenario(), Roster.from_dict(rd))
    (ch.inbound / "c.837").write_bytes(w.build_file(claims, 11))
    ch.process(w.RECEIVED)
    r = ch.process(w.RECEIVED + 10 * DAY)
    return ch, claims, rd, _remits(ch, r.outputs)


def test_reversal_then_corrected_payment_in_a_later_run(paid_world):
    ch, claims, _, first = paid_world
    original = {c.claim_id: c for r in first for c in r.claims}
    assert len(original) == 30 and all(r.provider_adjustments[0].reason_code == "L6" for r in first)
    assert all(r.payment_amount == sum(c.paid for c in r.claims) - sum(p.amount for p in r.provider_adjustments)
               for r in first)
    r = ch.process(w.RECEIVED + 15 * DAY)
    later = _remits(ch, r.outputs)
    cps = [c for x in later for c in x.claims]
    reversed_ids = [c.claim_id for c in cps if c.status_code == "22"]
    assert 5 <= len(reversed_ids) <= 25 and r.reversals == len(reversed_ids)
    for cid in reversed_ids:
        rev = next(c for c in cps if c.claim_id == cid and c.status_code == "22")
        new = next(c for c in cps if c.claim_id == cid and c.status_code != "22")
        old = original[cid]
        assert (rev.charge, rev.paid, rev.patient_responsibility) == (-old.charge, -old.paid,
                                                                      -old.patient_responsibility)
        assert [a.amount for ln in rev.lines for a in ln.adjustments] == \
            [-a.amount for ln in old.lines for a in ln.adjustments]
        assert rev.payer_claim_control_number == new.payer_claim_control_number == old.payer_claim_control_number
        assert new.paid > old.paid                       # +3 % fee schedule on re-adjudication
        assert new.patient_responsibility == old.patient_responsibility
    # and never again
    assert ch.process(w.RECEIVED + 40 * DAY).outputs == []


def test_replacement_and_void_claims(paid_world):
    ch, claims, rd, first = paid_world
    paid = {c.claim_id: c for r in first for c in r.claims}
    c1, c2 = claims[0], claims[1]
    repl = w.make_claim(1, next(m for m in rd["members"] if m["member_id"] == c1.subscriber.member_id),
                        random.Random(5), lines=2, prior_auth=True)
    repl.claim_id = "V0000001P2"
    for k, ln in enumerate(repl.lines, 1):
        ln.line_control_number = f"V0000001P2L{k}"
    repl.frequency_code, repl.payer_claim_control_number = "7", paid[c1.claim_id].payer_claim_control_number
    void = w.make_claim(2, next(m for m in rd["members"] if m["member_id"] == c2.subscriber.member_id),
                        random.Random(6), prior_auth=True)
    void.claim_id = "V0000002P2"
    void.frequency_code, void.payer_claim_control_number = "8", paid[c2.claim_id].payer_claim_control_number
    dup = claims[2]                                        # the same claim sent again
    (ch.inbound / "fix.837").write_bytes(w.build_file([repl, void, dup], 12))
    t = w.RECEIVED + 11 * DAY
    ch.process(t)
    r = ch.process(t + 10 * DAY)
    cps = [c for x in _remits(ch, r.outputs) for c in x.claims]
    by = {(c.claim_id, c.status_code): c for c in cps}
    assert by[(c1.claim_id, "22")].paid == -paid[c1.claim_id].paid
    new = next(c for c in cps if c.claim_id == "V0000001P2")
    assert new.status_code in ("1", "4") and [ln.line_control_number for ln in new.lines] == \
        ["V0000001P2L1", "V0000001P2L2"]
    assert by[(c2.claim_id, "22")].paid == -paid[c2.claim_id].paid
    assert not any(c.claim_id == "V0000002P2" for c in cps)          # a void only reverses
    assert by[(dup.claim_id, "4")].lines[0].adjustments[0].reason == "18"   # exact duplicate


def test_negative_run_forwards_the_balance(tmp_path):
    rd = w.roster_dict(10)
    for m in rd["members"]:
        m["deductible_met"] = m["deductible"]
    m = w.active_members(rd)[0]
    c = w.make_claim(1, m, random.Random(1), lines=4, prior_auth=True)
    ch = Clearinghouse(tmp_path / "mb", _scenario(reversal={"rate": 0.0}, defaults={"delay_days": 10}), Roster.from_dict(rd))
    (ch.inbound / "a.837").write_bytes(w.build_file([c], 1))
    ch.process(w.RECEIVED)
    first = _remits(ch, ch.process(w.RECEIVED + 10 * DAY).outputs)[0]
    assert first.claims[0].paid > 0
    v = w.make_claim(1, m, random.Random(1), lines=4, prior_auth=True)
    v.claim_id, v.frequency_code = "V0000001P2", "8"
    v.payer_claim_control_number = first.claims[0].payer_claim_control_number
    (ch.inbound / "b.837").write_bytes(w.build_file([v], 2))
    ch.process(w.RECEIVED + 11 * DAY)
    neg = _remits(ch, ch.process(w.RECEIVED + 21 * DAY).outputs)[0]
    assert neg.payment_amount == 0 and neg.payment_method == "NON"
    assert [(p.reason_code, p.amount) for p in neg.provider_adjustments] == [("FB", -first.claims[0].paid)]
    # the next payment recovers it
    c3 = w.make_claim(3, m, random.Random(3), lines=4, prior_auth=True)
    (ch.inbound / "c.837").write_bytes(w.build_file([c3], 3))
    ch.process(w.RECEIVED + 22 * DAY)
    nxt = _remits(ch, ch.process(w.RECEIVED + 32 * DAY).outputs)[0]
    fb = [p for p in nxt.provider_adjustments if p.reason_code == "FB"]
    assert fb and fb[0].amount == min(first.claims[0].paid, nxt.claims[0].paid)
    # the pair names one reference: the positive FB answers the earlier negative one
    assert fb[0].reference == neg.provider_adjustments[0].reference


def test_276_gets_a_277(paid_world):
    ch, claims, rd, first = paid_world
    paid = {c.claim_id: c for r in first for c in r.claims}
    inqs = [StatusInquiry(trace_number=f"S{k}", claim_id=cid, member_id="M", last_name="X", payer_id="BCBS01",
                          payer_name="BLUE PLAN", provider_npi=w.BILLING.npi, provider_name="ACME",
                          total_charge=Decimal("10"), service_from=dt.date(2026, 2, 1))
            for k, cid in enumerate([claims[0].claim_id, "V9999999P1"])]
    (ch.inbound / "q.276").write_bytes(build_276(inqs, sender_id="ACME01", receiver_id="SANDBOX",
                                                 interchange_control_number=44, group_control_number=44))
    r = ch.process(w.RECEIVED + 11 * DAY)
    assert r.status_inquiries == 2 and "277_000000044.x12" in r.outputs
    data = (ch.outbound / "277_000000044.x12").read_bytes()
    assert [f for f in validate_x12(data) if f.severity == "error"] == []
    st = {c.claim_id: c for c in parse_277(data)}
    assert st["S0"].statuses[0].category == "F1" and st["S0"].paid_amount == paid[claims[0].claim_id].paid
    assert st["S1"].statuses[0].category == "A4"


def test_unreadable_and_rejected_files_get_a_clear_answer(tmp_path):
    ch = Clearinghouse(tmp_path / "mb", _scenario(), Roster.from_dict(w.roster_dict(5)))
    (ch.inbound / "junk.837").write_bytes(b"hello world")
    rd = w.roster_dict(5)
    good = w.build_file([w.make_claim(1, w.active_members(rd)[0], random.Random(1))], 7)
    bad = good.replace(b":B:1*Y*A*Y*Y", b":B:1*Q*A*Y*Y")           # CLM06 must be Y or N
    (ch.inbound / "syntax.837").write_bytes(bad)
    r = ch.process(w.RECEIVED)
    assert r.files == 2 and r.files_failed == 1 and r.transactions_rejected == 1
    assert (ch.outbound / "junk.837.rejected.txt").read_text().startswith("REJECTED junk.837")
    from include.edi.x999 import parse_999
    ack = parse_999((ch.outbound / "999_000000007.x12").read_bytes())[0]
    t = ack.transactions[0]
    assert t.status == "R" and t.segment_errors and t.segment_errors[0].segment_id == "CLM"
    assert [(e.position, e.error_code) for e in t.segment_errors[0].elements] == [("6", "7")]
    assert [f for f in validate_x12((ch.outbound / "999_000000007.x12").read_bytes()) if f.severity == "error"] == []
    assert not any(n.startswith("277CA") for n in r.outputs)     # nothing accepted, nothing to acknowledge
    assert sorted(p.name for p in ch.archive.iterdir()) == ["junk.837", "syntax.837"]


def test_replacement_before_payment_takes_the_originals_place(tmp_path):
    rd = w.roster_dict(10)
    m = w.active_members(rd)[0]
    ch = Clearinghouse(tmp_path / "mb", _scenario(reversal={"rate": 0.0}), Roster.from_dict(rd))
    c = w.make_claim(1, m, random.Random(1), lines=2, prior_auth=True)
    (ch.inbound / "a.837").write_bytes(w.build_file([c], 1))
    ch.process(w.RECEIVED)
    from include.edi.x277ca import parse_277ca
    payer_ack = ch.process(w.RECEIVED + DAY).outputs          # the payer's 277CA carries its claim number
    icn = parse_277ca((ch.outbound / payer_ack[0]).read_bytes())[0].payer_claim_control_number
    fix = w.make_claim(1, m, random.Random(2), lines=3, prior_auth=True)
    fix.claim_id, fix.frequency_code, fix.payer_claim_control_number = "V0000001P2", "7", icn
    for k, ln in enumerate(fix.lines, 1):
        ln.line_control_number = f"V0000001P2L{k}"
    (ch.inbound / "b.837").write_bytes(w.build_file([fix], 2))
    ch.process(w.RECEIVED + 2 * DAY)
    r = ch.process(w.RECEIVED + 20 * DAY)
    cps = [cp for x in _remits(ch, r.outputs) for cp in x.claims]
    assert [(cp.claim_id, cp.status_code != "22") for cp in cps] == [("V0000001P2", True)]


def test_a_file_failing_half_way_is_quarantined_and_changes_nothing(tmp_path, monkeypatch):
    rd = w.roster_dict(10)
    ms = w.active_members(rd)
    ch = Clearinghouse(tmp_path / "mb", _scenario(), Roster.from_dict(rd))
    (ch.inbound / "a.837").write_bytes(w.build_file([w.make_claim(1, ms[0], random.Random(1))], 1))
    (ch.inbound / "b.837").write_bytes(w.build_file([w.make_claim(2, ms[1], random.Random(2))], 2))
    real = Clearinghouse._front_end

    def boom(self, c, *a, **kw):          # fault injection: a bug while handling a.837's claim
        if c.claim_id == "V0000001P1":
            raise RuntimeError("simulated bug")
        return real(self, c, *a, **kw)

    monkeypatch.setattr(Clearinghouse, "_front_end", boom)
    r = ch.process(w.RECEIVED)
    assert r.files == 2 and r.files_failed == 1
    assert sorted(p.name for p in ch.outbound.iterdir()) == ["277CA_000000002.x12", "999_000000002.x12",
                                                             "a.837.rejected.txt"]
    assert "internal error" in (ch.outbound / "a.837.rejected.txt").read_text()
    monkeypatch.undo()
    r = ch.process(w.RECEIVED + 20 * DAY)
    assert [c.claim_id for x in _remits(ch, r.outputs) for c in x.claims] == ["V0000002P1"]


def _crossover_world(tmp_path, **scenario):
    """One Medicare member who also holds a Medigap plan (AETNA) under the same name and birth date."""
    person = {"last_name": "DOE", "first_name": "JANE", "birth_date": "1950-04-02", "sex": "F", "status": "active",
              "plan_begin": "2024-01-01", "plan_end": None, "group_number": None}
    rd = {"members": [{**person, "payer_id": "MCR01", "member_id": "1EG4TE5MK72", "copay": "0.00",
                       "coinsurance": "0.20", "deductible": "283.00", "deductible_met": "283.00"},
                      {**person, "payer_id": "AETNA", "member_id": "W123456789", "copay": "0.00",
                       "coinsurance": "0.00", "deductible": "0.00", "deductible_met": "0.00"}],
          "payers": [{"payer_id": "MCR01", "name": "MEDICARE", "claim_filing_indicator": "MB"},
                     {"payer_id": "AETNA", "name": "AETNA", "claim_filing_indicator": "CI"}]}
    sc = Scenario.from_dict({"seed": 3, "payers": {"MCR01": {"kind": "medicare", "delay_days": 14, "crossover": True},
                                                   "AETNA": {"medicare_percent": 125, "delay_days": 10}},
                             **scenario})
    ch = Clearinghouse(tmp_path / "mb", sc, Roster.from_dict(rd))
    c = w.make_claim(1, rd["members"][0], random.Random(1), lines=1, prior_auth=True)
    c.lines[0].procedure_code, c.lines[0].charge = "99214", Decimal("205.00")
    c.total_charge = Decimal("205.00")
    return ch, c, rd


def test_medicare_crosses_over_to_medigap_which_pays_the_coinsurance(tmp_path):
    ch, c, rd = _crossover_world(tmp_path)
    (ch.inbound / "a.837").write_bytes(w.build_file([c], 1))
    ch.process(w.RECEIVED)
    ch.process(w.RECEIVED + DAY)
    medicare = _remits(ch, ch.process(w.RECEIVED + 14 * DAY).outputs)
    # Medicare: deductible met; allowed 126.73, 20 % = 25.346 -> PR-2 25.35, paid 101.38, CO-45 78.27;
    # forwarded to the Medigap payer: CLP02 19 with MA18
    assert [r.payer_id for r in medicare] == ["MCR01"]
    cp = medicare[0].claims[0]
    assert (cp.status_code, cp.paid, cp.patient_responsibility) == ("19", Decimal("101.38"), Decimal("25.35"))
    assert "MA18" in cp.remark_codes
    # the provider's own secondary claim for it would be a duplicate of the crossover (CO-18, N522)
    dup = w.make_claim(1, rd["members"][1], random.Random(1), lines=1, prior_auth=True)
    dup.claim_id = "V0000001P2"
    dup.lines[0].procedure_code, dup.lines[0].charge, dup.lines[0].line_control_number = "99214", Decimal("205.00"), "V0000001P2L1"
    dup.total_charge = Decimal("205.00")
    w.secondary_of(dup, primary_paid=Decimal("101.38"), primary_pr=Decimal("25.35"))
    (ch.inbound / "b.837").write_bytes(w.build_file([dup], 2))
    ch.process(w.RECEIVED + 15 * DAY)
    medigap = _remits(ch, ch.process(w.RECEIVED + 30 * DAY).outputs)
    assert [r.payer_id for r in medigap] == ["AETNA"]
    by_id = {x.claim_id: x for x in medigap[0].claims}
    # Medigap (plan without the Part B deductible): pays the 25.35 coinsurance; OA-23 = 205.00 - 25.35 = 179.65
    xo = by_id[c.claim_id]
    assert (xo.status_code, xo.paid, xo.patient_responsibility) == ("2", Decimal("25.35"), Decimal(0))
    assert [(a.group, a.reason, a.amount) for a in xo.lines[0].adjustments] == [("OA", "23", Decimal("179.65"))]
    assert xo.payer_claim_control_number != cp.payer_claim_control_number
    again = by_id["V0000001P2"]
    assert again.status_code == "4" and again.lines[0].adjustments[0].reason == "18"
    assert again.lines[0].remark_codes == ["N522"]


def test_late_payment_carries_interest_and_an_overpayment_is_recouped_by_claim(tmp_path):
    ch, c, rd = _crossover_world(tmp_path, recoupment={"rate": 1.0, "delay_days": 3, "percent": 10},
                                 pend={"rate": 1.0, "extra_days": [20, 20]})
    (ch.inbound / "a.837").write_bytes(w.build_file([c], 1))
    ch.process(w.RECEIVED)
    # held 20 days beyond the 14: paid on day 34, 4 days past the 30-day prompt-pay window;
    # interest 101.38 x 4.5 % x 4 / 365 = 0.0499... -> 0.05 (L6, negative: paid to the provider)
    first = _remits(ch, ch.process(w.RECEIVED + 34 * DAY).outputs)
    mcr = [r for r in first if r.payer_id == "MCR01"][0]
    assert [(p.reason_code, p.reference, p.amount) for p in mcr.provider_adjustments] == \
        [("L6", c.claim_id, Decimal("-0.05"))]
    # the next claim to Medicare, three days later, has 10 % of the first payment (10.138 -> 10.14) taken
    # back: WO naming the earlier claim
    c2 = w.make_claim(2, rd["members"][0], random.Random(2), lines=1, prior_auth=True)
    c2.lines[0].procedure_code, c2.lines[0].charge, c2.total_charge = "99213", Decimal("140.00"), Decimal("140.00")
    (ch.inbound / "b.837").write_bytes(w.build_file([c2], 2))
    ch.process(w.RECEIVED + 35 * DAY)
    later = [r for r in _remits(ch, ch.process(w.RECEIVED + 70 * DAY).outputs) if r.payer_id == "MCR01"]
    wo = [(p.reason_code, p.reference, p.amount) for r in later for p in r.provider_adjustments
          if p.reason_code == "WO"]
    assert wo == [("WO", c.claim_id, Decimal("10.14"))]
    assert all(r.payment_amount == sum(x.paid for x in r.claims) - sum(p.amount for p in r.provider_adjustments)
               for r in later)
