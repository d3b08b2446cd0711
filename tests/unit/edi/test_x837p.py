"""837P builder: pyx12-valid output for every shape; build → read → parse round trip."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from edi_factories import (
    BILLING,
    CREATED,
    PAYER,
    RECEIVER,
    SUBMITTER,
    claim,
    dependent_claim,
    rich_claim,
    secondary_claim,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.edi.balance import balance_837
from include.edi.model import Address, Claim837, OtherPayerAdjudication, PatientDependent, ServiceLine, Subscriber
from include.edi.reader import Delimiters, read_interchanges
from include.edi.validate import validate_x12
from include.edi.x837p import build_837p, claim_to_dict, parse_837p, read_837p


def build(claims, **kw):
    args = dict(submitter=SUBMITTER, receiver=RECEIVER, interchange_control_number=1, group_control_number=1,
                first_transaction_control_number=1, created=CREATED, usage_indicator="T")
    args.update(kw)
    return build_837p(claims, **args)


def assert_valid(data):
    findings = validate_x12(data, "built.837")
    assert findings == [], "\n".join(map(str, findings))


CASES = {
    "simple": lambda: [claim(1, lines=3)],
    "dependent": lambda: [dependent_claim(1)],
    "secondary_cob": lambda: [secondary_claim(1)],
    "rich_replacement_12dx_4mods_50lines": lambda: [rich_claim(1)],
    "void": lambda: [claim(1, frequency_code="8", payer_claim_control_number="PCN9")],
    "mixed": lambda: [claim(1), dependent_claim(2), secondary_claim(3), rich_claim(4), claim(5),
                      dependent_claim(5), claim(6, billing_provider=BILLING.__class__(
                          org_name="OTHER GROUP", npi="1999999984", tax_id="987654321",
                          address=Address("9 PINE", "PEORIA", "IL", "616020000")))],
    "person_billing_provider": lambda: [claim(1, billing_provider=BILLING.__class__(
        last_name="WELBY", first_name="MARCUS", npi="1999999984", tax_id="987654321",
        address=Address("9 PINE", "PEORIA", "IL", "616020000")))],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_built_837p_is_pyx12_valid_and_round_trips(case):
    claims = CASES[case]()
    data = build(claims)
    assert_valid(data)
    parsed = read_837p(data)
    assert sorted(claim_to_dict(c)["claim_id"] for c in parsed) == sorted(c.claim_id for c in claims)
    by_id = {}
    for c in parsed:
        by_id.setdefault(c.claim_id, []).append(c)
    for c in claims:
        assert claim_to_dict(c) in [claim_to_dict(p) for p in by_id[c.claim_id]]


def test_rich_claim_fields_survive():
    c = rich_claim(1)
    [p] = read_837p(build([c]))
    for f in ("frequency_code", "payer_claim_control_number", "prior_authorization", "onset_date",
              "accident_type", "accident_state", "accident_date", "diagnosis_codes", "rendering_provider",
              "referring_provider", "service_facility", "lines", "subscriber", "payer"):
        assert getattr(p, f) == getattr(c, f), f
    assert p.billing_provider == c.billing_provider
    assert p.pay_to.address == c.pay_to.address
    assert len(p.lines) == 50 and p.lines[0].modifiers == ["GP", "59", "KX", "76"] and p.lines[0].ndc


def test_secondary_claim_fields_survive():
    c = secondary_claim(1)
    [p] = read_837p(build([c]))
    assert p.other_payers == c.other_payers
    assert p.lines[0].adjudications == c.lines[0].adjudications
    assert p == c


def test_dependent_hierarchy():
    data = build([dependent_claim(1), claim(2)]).decode()
    hls = re.findall(r"HL\*(\d+)\*(\d*)\*(\d+)\*(\d)", data)
    assert hls == [("1", "", "20", "1"), ("2", "1", "22", "1"), ("3", "2", "23", "0"), ("4", "1", "22", "0")]
    assert "PAT*19~" in data and "SBR*P**GRP1" in data and "SBR*P*18*GRP1" in data
    [p] = [x for x in read_837p(data.encode()) if x.claim_id == "C000001"]
    assert p.patient == dependent_claim(1).patient and p.subscriber.relationship_code == "19"


def test_clm_and_sv1_shape():
    data = build([rich_claim(1)]).decode()
    assert "CLM*RICH1*1762.5***11:B:7*Y*A*Y*Y**AA:::IL~" in data
    assert "REF*G1*AUTH77~REF*F8*PCN123456~" in data
    assert re.search(r"HI\*ABK:M545\*ABF:M5416(\*ABF:[A-Z0-9]+){10}~", data)
    assert "SV1*HC:97110:GP:59:KX:76*35.25*UN*2***1:2:3:4~" in data
    assert "NM1*82*1*SMITH*ANN****XX*1987654320~PRV*PE*PXC*225100000X~" in data
    assert "NM1*DN*1*JONES*BOB****XX*1112223330~" in data and "NM1*77*2*ACME CLINIC EAST*****XX*1444444440~" in data


def test_transaction_split_and_control_numbers():
    claims = [claim(i) for i in range(1, 8)]
    data = build(claims, max_claims_per_transaction=3, first_transaction_control_number=41)
    [isa] = read_interchanges(data)
    ts = isa.groups[0].transactions
    assert [t.control_number for t in ts] == ["0041", "0042", "0043"]
    assert [len(parse_837p(t)) for t in ts] == [3, 3, 1]
    assert isa.all_findings() == []
    assert_valid(data)


def test_invalid_claims_are_refused():
    with pytest.raises(ValueError, match="REF\\*F8"):
        build([claim(1, frequency_code="7")])
    with pytest.raises(ValueError):
        build([claim(1, diagnosis_codes=[f"A{i:02d}" for i in range(13)])])
    with pytest.raises(ValueError):
        build([])


@pytest.mark.parametrize("delims,line_breaks", [(Delimiters("*", ":", "^", "~"), True),
                                                (Delimiters("|", ">", "^", "~"), False),
                                                (Delimiters("*", ">", "!", "\n"), False)])
def test_other_delimiters_are_pyx12_valid(delims, line_breaks):
    data = build([claim(1), dependent_claim(2), secondary_claim(3)], delimiters=delims, line_breaks=line_breaks)
    assert_valid(data)
    assert sorted(c.claim_id for c in read_837p(data)) == ["C000001", "C000002", "C000003"]


def test_balance_837():
    c = claim(1, lines=2)
    assert balance_837([c]) == []
    c.total_charge = Decimal("1.00")
    [f] = balance_837([c])
    assert f.code == "claim_charge_mismatch" and f.severity == "error"


# ------------------------------------------------------------------ property: build → read → parse

_name = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=12)
_id = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=2, max_size=12)
_money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
_date = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))
_code = st.sampled_from(["99213", "99214", "97110", "G0439", "J1885", "36415"])
_dx = st.lists(st.sampled_from(["J069", "I10", "E119", "M545", "Z0000", "R51", "K219", "F329", "N390", "L309",
                                 "H6690", "B349", "J029"]), min_size=1, max_size=12)


@st.composite
def claims(draw):
    n_lines = draw(st.integers(1, 6))
    dx = draw(_dx)
    lines = [ServiceLine(line_control_number=draw(_id), procedure_code=draw(_code), charge=draw(_money),
                         units=Decimal(draw(st.integers(1, 12))), service_date=draw(_date),
                         modifiers=draw(st.lists(st.sampled_from(["25", "59", "GP", "KX", "76", "LT"]), max_size=4)),
                         dx_pointers=draw(st.lists(st.integers(1, len(dx)), min_size=1, max_size=4)))
             for _ in range(n_lines)]
    freq = draw(st.sampled_from(["1", "7", "8"]))
    sub = Subscriber(member_id=draw(_id), last_name=draw(_name), first_name=draw(_name), birth_date=draw(_date),
                     sex=draw(st.sampled_from(["M", "F", "U"])),
                     address=Address(draw(_name), draw(_name), "IL", "62701"), group_number=draw(_id),
                     claim_filing_indicator=draw(st.sampled_from(["CI", "MB", "MC", "BL"])))
    patient = None
    if draw(st.booleans()):
        rel = draw(st.sampled_from(["01", "19", "20", "G8"]))
        sub.relationship_code = rel
        patient = PatientDependent(last_name=draw(_name), first_name=draw(_name), birth_date=draw(_date),
                                   sex=draw(st.sampled_from(["M", "F"])), relationship_code=rel,
                                   address=Address(draw(_name), draw(_name), "IL", "62701"))
    others = []
    if draw(st.booleans()):
        sub.payer_responsibility = "S"
        others.append(OtherPayerAdjudication(
            payer_name=draw(_name), payer_id=draw(_id), subscriber_last_name=draw(_name),
            subscriber_first_name=draw(_name), subscriber_member_id=draw(_id), payer_responsibility="P",
            relationship_code="18", claim_filing_indicator="CI", paid_amount=draw(_money),
            # grouped by group code, as the builder writes them (one CAS per group, <= 6 triplets each)
            adjustments=sorted(draw(st.lists(st.tuples(st.sampled_from(["CO", "PR", "OA"]),
                                                       st.sampled_from(["45", "1", "2", "3", "23"]), _money),
                                             max_size=8)), key=lambda a: a[0]),
            adjudication_date=draw(_date)))
    return Claim837(claim_id=draw(_id), total_charge=sum((x.charge for x in lines), Decimal(0)),
                    place_of_service=draw(st.sampled_from(["11", "22", "02", "10"])), billing_provider=BILLING,
                    subscriber=sub, payer=PAYER, lines=lines, diagnosis_codes=dx, frequency_code=freq,
                    payer_claim_control_number=draw(_id) if freq != "1" else None,
                    prior_authorization=draw(st.none() | _id), onset_date=draw(st.none() | _date),
                    patient=patient, other_payers=others)


@settings(database=None, max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(claims(), min_size=1, max_size=5, unique_by=lambda c: c.claim_id), st.integers(1, 3))
def test_round_trip_property(cs, per_tx):
    data = build(cs, max_claims_per_transaction=per_tx)
    parsed = read_837p(data)
    assert sorted((claim_to_dict(c) for c in parsed), key=lambda d: d["claim_id"]) == \
        sorted((claim_to_dict(c) for c in cs), key=lambda d: d["claim_id"])
    by_id = {c.claim_id: c for c in parsed}
    for c in cs:
        assert by_id[c.claim_id] == c


@settings(database=None, max_examples=8, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(claims(), min_size=1, max_size=3, unique_by=lambda c: c.claim_id))
def test_generated_claims_are_pyx12_valid(cs):
    assert_valid(build(cs))


def test_other_payer_providers_do_not_replace_the_claims_own():
    # 2330D (NM1*82) and 2330G (NM1*85) name the other payer's providers: the loop schema puts
    # them under 2320, so the claim's rendering (2310B) and billing provider (2010AA) stay
    sample = Path(__file__).resolve().parents[2] / "fixtures" / "x12-samples" / "837_005010X222A2"
    c = read_837p(sample / "demo.cob.example3.C.837")[0]
    assert (c.rendering_provider.last_name, c.rendering_provider.npi, c.rendering_provider.taxonomy) == (
        "KILDARE", "1999996666", "204C00000X")
    data = build([secondary_claim(1)]).replace(b"NM1*PR*2*FIRST PAYER*****PI*FP001~",
                                               b"NM1*PR*2*FIRST PAYER*****PI*FP001~NM1*85*2*OTHER BILLER~")
    assert b"OTHER BILLER" in data
    back = parse_837p(read_interchanges(data)[0].groups[0].transactions[0])[0]
    assert back.billing_provider.org_name == BILLING.org_name
    assert back.other_payers[0].payer_id == "FP001"


def test_a_segment_out_of_its_loop_does_not_move_the_claim():
    # an 837I-style PRV after an unknown NM1 inside the claim is not the billing provider's PRV:
    # the lines after it still belong to the claim
    data = build([claim(1, lines=2)]).replace(b"LX*1~", b"NM1*71*1*JONES~PRV*AT*PXC*363LP0200N~LX*1~")
    back = parse_837p(read_interchanges(data)[0].groups[0].transactions[0])[0]
    assert len(back.lines) == 2 and back.billing_provider.taxonomy == BILLING.taxonomy


# ------------------------------------------------------------------ claim places from the builder

def _built_places(claims, **kw):
    places: list = []
    data = build(claims, places=places, **kw)
    return data, places


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("per_tx", [1, 2, 5000])
@pytest.mark.parametrize("delims,line_breaks", [(None, False), (Delimiters("*", ":", "^", "~"), True),
                                                (Delimiters("*", ">", "!", "\n"), False)])
def test_builder_places_are_what_the_registry_reads_back(case, per_tx, delims, line_breaks):
    """The claim places the builder records while writing are exactly those the generic reader finds
    in the bytes (submission stores them instead of re-reading each file)."""
    from include.edi.registry import claim_places

    kw = {"delimiters": delims} if delims else {}
    data, places = _built_places(CASES[case](), max_claims_per_transaction=per_tx, line_breaks=line_breaks, **kw)
    assert places and places == claim_places(data)
    assert build(CASES[case](), max_claims_per_transaction=per_tx, line_breaks=line_breaks, **kw) == data


def test_builder_gives_no_places_when_bytes_are_not_characters():
    """Non-ASCII text makes byte offsets differ from character offsets: no places (the caller reads
    the file), never wrong ones."""
    from include.edi.registry import claim_places

    c = claim(1)
    c.subscriber.last_name = "MÜLLER"
    data, places = _built_places([c, claim(2)])
    assert places == [] and len(claim_places(data)) == 2


@settings(database=None, max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(claims(), min_size=1, max_size=6, unique_by=lambda c: c.claim_id), st.integers(1, 3),
       st.booleans())
def test_builder_places_property(cs, per_tx, line_breaks):
    from include.edi.registry import claim_places

    data, places = _built_places(cs, max_claims_per_transaction=per_tx, line_breaks=line_breaks)
    assert places == claim_places(data)
    assert sorted(p.key for p in places) == sorted(c.claim_id for c in cs)
