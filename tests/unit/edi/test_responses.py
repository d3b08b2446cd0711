"""999 / 277CA / 835 builders are pyx12-valid; 270/271/276/277 pass the structural checks;
every builder round-trips through its parser."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.edi.balance import balance_835
from include.edi.reader import read_interchanges
from include.edi.validate import structural_findings, validate_x12
from include.edi.x270 import EligibilityInquiry, build_270, parse_270
from include.edi.x271 import Benefit, EligibilityResponse, Rejection, build_271, parse_271
from include.edi.x276 import StatusInquiry, build_276, parse_276
from include.edi.x277 import build_277, parse_277
from include.edi.x277ca import ClaimStatus, LineStatus, Status, build_277ca, parse_277ca
from include.edi.x835 import Adjustment as A
from include.edi.x835 import ClaimPayment, ProviderAdjustment, Remittance835, ServicePayment, build_835, parse_835
from include.edi.x999 import Ack999, ElementError, SegmentError, TransactionAck, build_999, parse_999

C = dt.datetime(2026, 3, 2, 9, 0)
ENV = dict(sender_id="BHP01", receiver_id="ACME01", interchange_control_number=12, group_control_number=34,
           created=C)


def clean(data):
    f = validate_x12(data, "built")
    assert f == [], "\n".join(map(str, f))


def remittance(method="CHK"):
    return Remittance835(
        payment_amount=D("100.00"), trace_number="TRACE1", payment_method=method, payment_date=dt.date(2026, 3, 2),
        payer_trace_id="1234567890", payer_name="BIG HEALTH PLAN", payer_id="BHP01",
        payee_name="ACME MEDICAL GROUP", payee_id="1234567893",
        claims=[ClaimPayment("C000001", "1", D("300"), D("160"), D("40"), "12", "PCN1", "11", "1",
                             patient_last_name="DOE", patient_first_name="JANE",
                             patient_id="M1", statement_from=dt.date(2026, 2, 1), statement_to=dt.date(2026, 2, 1),
                             received_date=dt.date(2026, 2, 5), remark_codes=["MA01"], amounts={"AU": D("260")},
                             lines=[ServicePayment("99213", D("100"), D("60"), modifiers=["25"], units=D(1),
                                                   service_date=dt.date(2026, 2, 1), line_control_number="L1",
                                                   adjustments=[A("PR", "1", D("40"))], remark_codes=["N130"],
                                                   allowed_amount=D("100")),
                                    ServicePayment("99214", D("200"), D("100"), units=D(1), original_procedure="99215",
                                                   service_date=dt.date(2026, 2, 1), line_control_number="L2",
                                                   adjustments=[A("CO", "45", D("54")), A("CO", "253", D("1")),
                                                                A("CO", "97", D("1")), A("CO", "59", D("1")),
                                                                A("CO", "16", D("1")), A("CO", "24", D("3")),
                                                                A("CO", "94", D("-1")), A("PR", "2", D("20")),
                                                                A("PR", "3", D("20"))])]),
                ClaimPayment("C000002", "22", D("-100"), D("-50"), D("0"), "12", "PCN0", "11", "1",
                             adjustments=[A("CO", "45", D("-50"))]),
                ClaimPayment("C000003", "4", D("75"), D("0"), D("0"), "12", "PCN3", "11", "1",
                             adjustments=[A("CO", "29", D("75"))])],
        provider_adjustments=[ProviderAdjustment("1234567893", dt.date(2026, 12, 31), "WO", "X1", D("-10")),
                              ProviderAdjustment("1234567893", dt.date(2026, 12, 31), "L6", None, D("20"))])


@pytest.mark.parametrize("method", ["CHK", "ACH"])
def test_835_build_valid_balanced_round_trip(method):
    r = remittance(method)
    data = build_835([r, remittance(method)], **ENV)
    clean(data)
    [p, p2] = parse_835(data)
    assert balance_835(p) == [] and balance_835(r) == []
    for f in ("payment_amount", "trace_number", "payment_method", "payment_date", "payer_trace_id", "payer_name",
              "payer_id", "payee_name", "payee_id", "provider_adjustments"):
        assert getattr(p, f) == getattr(r, f), f
    for a, b in zip(r.claims, p.claims):
        for f in ("claim_id", "status_code", "charge", "paid", "patient_responsibility", "filing_indicator",
                  "payer_claim_control_number", "facility_code", "frequency_code", "adjustments", "remark_codes",
                  "statement_from", "statement_to", "received_date", "amounts", "lines", "patient_id"):
            assert getattr(a, f) == getattr(b, f), f
    cas = [s for s in read_interchanges(data)[0].groups[0].transactions[0].segments if s.tag == "CAS"]
    assert max(len(s.elements) for s in cas) <= 19   # at most 6 triplets per CAS
    assert p.claims[1].is_reversal and p2.to_dict() == p.to_dict()


def test_835_unbalanced_is_reported_not_fixed():
    r = remittance()
    r.payment_amount = D("101.00")
    r.claims[0].lines[0].paid = D("61")
    codes = sorted(f.code for f in balance_835(r))
    assert codes == ["claim_line_paid", "line_unbalanced", "transaction_unbalanced"]
    assert r.payment_amount == D("101.00")


def test_999_build_valid_round_trip():
    ack = Ack999("HC", "17", group_version="005010X222A1", transactions=[
        TransactionAck("837", "0001", "A", "005010X222A1"),
        TransactionAck("837", "0002", "R", "005010X222A1", ["5"], [
            SegmentError("CLM", 22, "8", "2300", [], [ElementError("2", "7", "782", "ABC")]),
            SegmentError("REF", 30, "3", "2300")]),
        TransactionAck("837", "0003", "E", "005010X222A1", [], [SegmentError("NM1", 9, "8", "2010", [],
                                                                             [ElementError("9", "4", "67")])])])
    data = build_999([ack, Ack999("HC", "18", group_version="005010X222A1",
                                  transactions=[TransactionAck("837", "0001", "A", "005010X222A1")])], **ENV)
    clean(data)
    p, p2 = parse_999(data)
    assert p.transactions == ack.transactions
    assert (p.group_status, p.included, p.received, p.accepted_count) == ("P", 3, 3, 2)
    assert p2.group_status == "A"
    assert "Invalid code value (value 'ABC')" in p.transactions[1].explain()


def statuses():
    return [ClaimStatus("C1", [Status("A2", "20", "PR")], dt.date(2026, 3, 2), total_charge=D("100.50"),
                        payer_claim_control_number="PCN1", member_id="M1", patient_last_name="DOE",
                        patient_first_name="J", provider_npi="1234567893", service_from=dt.date(2026, 2, 1),
                        service_to=dt.date(2026, 2, 1)),
            ClaimStatus("C2", [Status("A7", "562", "85"), Status("A7", "164", "IL")], dt.date(2026, 3, 2),
                        total_charge=D("50"), member_id="M2", patient_last_name="ROE", provider_npi="1999999984",
                        service_from=dt.date(2026, 2, 1), service_to=dt.date(2026, 2, 3),
                        lines=[LineStatus("99213", D("50"), statuses=[Status("A7", "454")], line_control_number="L1",
                                          service_date=dt.date(2026, 2, 1))])]


def test_277ca_build_valid_round_trip():
    cs = statuses()
    data = build_277ca(cs, **ENV)
    clean(data)
    p = parse_277ca(data)
    assert [(c.claim_id, c.category, c.status_code, c.entity_code, c.total_charge, c.payer_claim_control_number,
             c.effective_date, c.accepted, c.rejected) for c in p] == [
        ("C1", "A2", "20", "PR", D("100.50"), "PCN1", dt.date(2026, 3, 2), True, False),
        ("C2", "A7", "562", "85", D("50"), None, dt.date(2026, 3, 2), False, True)]
    assert p[1].statuses == cs[1].statuses and p[1].lines[0].statuses == cs[1].lines[0].statuses
    assert "Rejected for Invalid Information" in p[1].description


def test_270_build_structural_round_trip():
    iq = [EligibilityInquiry("T1", "M1", "DOE", "JANE", dt.date(1980, 1, 1), "F", "BHP", "BHP01", "1234567893", "ACME",
                             dt.date(2026, 3, 1)),
          EligibilityInquiry("T2", "M2", "ROE", "RICH", dt.date(1970, 1, 1), "M", "BHP", "BHP01", "1234567893", "ACME",
                             dt.date(2026, 3, 1), ["30", "98"], dependent_last_name="ROE", dependent_first_name="KID",
                             dependent_birth_date=dt.date(2015, 1, 1), dependent_sex="F")]
    data = build_270(iq, **ENV)
    clean(data)
    assert parse_270(data) == iq


def test_271_build_structural_round_trip():
    rs = [EligibilityResponse(["T1"], "M1", "DOE", "JANE", dt.date(1980, 1, 1), "F",
                              dates={"346": (dt.date(2026, 1, 1), dt.date(2026, 1, 1)),
                                     "347": (dt.date(2026, 12, 31), dt.date(2026, 12, 31))},
                              benefits=[Benefit("1", "IND", ["30"], "HM", "GOLD"),
                                        Benefit("B", "IND", ["98"], time_period="27", amount=D("25"), in_network="Y"),
                                        Benefit("A", "IND", ["30"], percent=D("0.2"), in_network="Y"),
                                        Benefit("C", "IND", ["30"], time_period="23", amount=D("1000"), in_network="Y"),
                                        Benefit("C", "IND", ["30"], time_period="29", amount=D("400"), in_network="Y"),
                                        Benefit("G", "FAM", ["30", "1"], time_period="23", amount=D("6000"),
                                                in_network="N")]),
          EligibilityResponse(["T2"], "M2", "ROE", "KID", dt.date(2015, 1, 1), "F", is_dependent=True,
                              relationship_code="19", benefits=[Benefit("6", "IND", ["30"])]),
          EligibilityResponse(["T3"], "M3", "NOPE", rejections=[Rejection("75", "C", "N", "subscriber")])]
    data = build_271(rs, **ENV)
    clean(data)
    p = parse_271(data)
    assert [(r.trace_number, r.status) for r in p] == [("T1", "active"), ("T2", "inactive"), ("T3", "rejected")]
    assert p[0].benefits == rs[0].benefits and p[0].plan_begin == dt.date(2026, 1, 1)
    assert p[0].plan_end == dt.date(2026, 12, 31)
    assert [b.amount for b in p[0].deductibles] == [D("1000"), D("400")]
    assert [b.time_period for b in p[0].deductibles] == ["23", "29"]
    assert p[0].copays[0].amount == D("25") and p[0].coinsurance[0].percent == D("0.2")
    assert p[0].out_of_pocket[0].service_types == ["30", "1"]
    assert p[1].member_id == "M2" and p[1].is_dependent
    assert p[2].rejections[0].description == "Subscriber/Insured Not Found"


def test_276_277_build_structural_round_trip():
    sq = [StatusInquiry("TR1", "C1", "M1", "DOE", "J", "BHP", "BHP01", "1234567893", "ACME", D("100"),
                        dt.date(2026, 2, 1), dt.date(2026, 2, 3), receiver_id="ACME01")]
    data = build_276(sq, **ENV)
    clean(data)
    assert parse_276(data) == sq
    cs = [ClaimStatus("TR1", [Status("F1", "65")], dt.date(2026, 3, 1), None, D("100"), D("80"), dt.date(2026, 3, 1),
                      check_number="CHK1", check_date=dt.date(2026, 3, 2), payer_claim_control_number="PCN",
                      patient_account_number="C1", member_id="M1", service_from=dt.date(2026, 2, 1),
                      service_to=dt.date(2026, 2, 3))]
    data = build_277(cs, **ENV)
    clean(data)
    [p] = parse_277(data)
    for f in ("claim_id", "statuses", "effective_date", "total_charge", "paid_amount", "adjudication_date",
              "check_number", "check_date", "payer_claim_control_number", "patient_account_number", "service_from",
              "service_to", "member_id"):
        assert getattr(p, f) == getattr(cs[0], f), f


def test_status_parser_reads_levels_by_hl03_whatever_the_version():
    """One status schema for both guides: a 277 or 277CA whose GS08 names no known version gives the
    same claims; a dependent (23) claim takes the dependent's name; an HL level the schema does not
    know ends the open loops (its TRN is no claim) until the next known level; a PT level out of
    place (straight under the receiver) is read where the guide puts it."""
    cs = [ClaimStatus("TR1", [Status("A2", "20")], dt.date(2026, 3, 1), total_charge=D("100"), member_id="M1",
                      patient_last_name="DOE", provider_npi="1234567893"),
          ClaimStatus("TR2", [Status("A7", "21", "85")], dt.date(2026, 3, 1), total_charge=D("50"), member_id="M2",
                      patient_last_name="ROE", provider_npi="1234567893")]
    for build, parse in ((build_277ca, parse_277ca), (build_277, parse_277)):
        data = build(cs, **ENV)
        version = data.split(b"GS*")[1].split(b"~")[0].split(b"*")[7]
        known = parse(data)
        assert [c.claim_id for c in known] == ["TR1", "TR2"]
        assert parse(data.replace(version, b"005010X999")) == known
        assert parse(data.replace(version, b"005010")) == known

    def one(body):
        segs = ["ISA*00*          *00*          *ZZ*P              *ZZ*R              *260302*0900*^*00501"
                "*000000012*0*T*:", "GS*HN*P*R*20260302*0900*34*X*005010", "ST*277*0001",
                "BHT*0010*08*1*20260302*0900*DG", "HL*1**20*1", "NM1*PR*2*PAYER*****PI*P1", *body]
        return "~".join(segs + [f"SE*{len(segs) - 1}*0001", "GE*1*34", "IEA*1*000000012", ""]).encode()

    dependent = one(["HL*2*1*21*1", "NM1*41*2*US*****46*R", "HL*3*2*19*1", "NM1*1P*2*DR*****XX*1234567893",
                     "HL*4*3*22*1", "NM1*IL*1*DOE*JANE****MI*M1", "HL*5*4*23*0", "NM1*QC*1*DOE*KID",
                     "TRN*2*D1", "STC*A2:20*20260301**10"])
    [c] = parse_277(dependent)
    assert (c.claim_id, c.member_id, c.patient_last_name, c.patient_first_name, c.provider_npi, c.payer_id) == (
        "D1", "M1", "DOE", "KID", "1234567893", "P1")
    odd = one(["HL*2*1*21*1", "HL*3*2*19*1", "NM1*85*2*DR*****XX*1234567893", "HL*4*3*XX*0", "TRN*2*LOST",
               "STC*A2:20*20260301", "HL*5*2*PT", "NM1*QC*1*ROE*AL****MI*M9", "TRN*2*K1", "STC*A7:21*20260301"])
    assert [(c.claim_id, c.member_id, c.category) for c in parse_277ca(odd)] == [("K1", "M9", "A7")]


def test_structural_checks_find_problems():
    data = build_270([EligibilityInquiry("T1", "M1", "DOE", "JANE", payer_name="P", payer_id="P1",
                                         provider_npi="1234567893", provider_name="A")], **ENV)
    bad = data.replace(b"HL*3*2*22*0", b"HL*3*9*22*1").replace(b"EQ*30~", b"")
    bad = bad.replace(b"SE*", b"SE*")
    [t] = read_interchanges(bad)[0].groups[0].transactions
    codes = {f.code for f in structural_findings(t)}
    assert {"hl02_parent", "hl04", "missing_segment"} <= codes


@settings(database=None, max_examples=25, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.decimals(D("0"), D("5000"), places=2), st.decimals(D("0"), D("1"), places=2),
                          st.sampled_from(["1", "2", "4", "22"])), min_size=1, max_size=6))
def test_835_property_balanced_remittances_round_trip(rows):
    claims = []
    for i, (charge, ratio, status) in enumerate(rows):
        paid = (charge * ratio).quantize(D("0.01"))
        claims.append(ClaimPayment(f"C{i}", status, charge, paid, D("0"), "12", f"P{i}", "11", "1",
                                   adjustments=[A("CO", "45", charge - paid)] if charge != paid else [],
                                   lines=[ServicePayment("99213", charge, paid, units=D(1), line_control_number=f"L{i}",
                                                         adjustments=[])]))
    claims_total = sum((c.paid for c in claims), D(0))
    r = Remittance835(payment_amount=claims_total, trace_number="T", payer_name="P", payee_name="Q",
                      payee_id="1234567893", payment_date=dt.date(2026, 1, 2), payer_trace_id="1234567890",
                      claims=claims)
    # line CAS mirrors claim CAS: move them to the line so both levels balance
    for c in claims:
        c.lines[0].adjustments, c.adjustments = c.adjustments, []
    data = build_835([r], **ENV)
    [p] = parse_835(data)
    assert balance_835(p) == []
    assert [(c.claim_id, c.charge, c.paid, c.status_code) for c in p.claims] == \
        [(c.claim_id, c.charge, c.paid, c.status_code) for c in claims]
