"""Eligibility read as payers mean it, from hand-built 271s (005010X279A1).

Each 271 below is written segment by segment; the expected answers follow the implementation
guide's codes: EB02 coverage level, EB03 service type (30 health benefit plan coverage, 98
professional physician visit - office), EB06 time period (23 calendar year, 24 year to date,
29 remaining, 27 visit), EB12 in-network, EB01 5 "active - pending investigation", EB01 R "other or
additional payor" with its 2120 NM1 (PRP primary payer, SEP secondary payer), AAA03 reject reasons
and AAA04 follow-up actions. See docs/eligibility.md.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from include.billing.eligibility import CheckResult, check_new_claims, cob_question, eligibility_item, result_from_271
from include.billing.rcm_sql import query
from include.edi.x270 import parse_270
from include.edi.x271 import parse_271

D = Decimal
DOS = dt.date(2026, 11, 2)
CHECKED = dt.date(2026, 11, 27)


def x271(*body: str) -> bytes:
    """A 271 interchange around the 2000A payer / 2000B provider levels and `body` (2000C onwards)."""
    segs = ["ST*271*0001*005010X279A1", "BHT*0022*11*1*20261127*1000",
            "HL*1**20*1", "NM1*PR*2*BLUE PLAINS*****PI*BLUE1",
            "HL*2*1*21*1", "NM1*1P*2*RIVERSIDE FAMILY PRACTICE*****XX*1234567893", *body]
    segs.append(f"SE*{len(segs) + 1}*0001")
    head = ["ISA*00*          *00*          *ZZ*BLUE1          *ZZ*BILLINGSVC     *261127*1000*^*00501*000000005*0*P*:",
            "GS*HB*BLUE1*BILLINGSVC*20261127*1000*5*X*005010X279A1"]
    return ("~".join(head + segs + ["GE*1*5", "IEA*1*000000005"]) + "~").encode()


def subscriber(*benefits: str, trace: str = "E7-20261102", member: str = "M123") -> list[str]:
    return ["HL*3*2*22*0", f"TRN*2*{trace}*9999999999", f"NM1*IL*1*ROE*ANN****MI*{member}",
            "DMG*D8*19700101*F", "DTP*346*D8*20250101", *benefits]


def answer(*body: str, **kw):
    [resp] = parse_271(x271(*body))
    return result_from_271(7, resp, day=DOS, checked_on=CHECKED, **kw)


def test_benefits_are_chosen_by_level_service_type_network_and_time():
    r = answer(*subscriber(
        "EB*1**30**GOLD PPO",
        # deductible: last plan year's remaining row first (dated 2025: not this date of service),
        # out-of-network rows, then the individual in-network calendar-year and remaining amounts
        "EB*C*IND*30***29*100*****Y", "DTP*348*RD8*20250101-20251231",
        "EB*C*IND*30***23*1000*****N", "EB*C*IND*30***29*900*****N",
        "EB*C*IND*30***23*1500*****Y", "EB*C*IND*30***29*650*****Y",
        # the family accumulator (embedded): 400 left for the whole family
        "EB*C*FAM*30***23*3000*****Y", "EB*C*FAM*30***29*400*****Y",
        # copays: plan-wide 50, office visit 25, office visit out of network 60
        "EB*B*IND*30***27*50*****Y", "EB*B*IND*98***27*60*****N", "EB*B*IND*98***27*25*****Y",
        # coinsurance: out of network 30 %, in network 20 %
        "EB*A*IND*30*****.3****N", "EB*A*IND*30*****.2****Y",
        # out of pocket: 5000 a calendar year, 1200 met so far (no 'remaining' row)
        "EB*G*IND*30***23*5000*****Y", "EB*G*IND*30***24*1200*****Y"))
    assert r.status == "active" and r.covers(DOS)
    assert r.copay == D("25")                          # the visit's service type (98) beats 30
    assert r.coinsurance_percent == D("0.2")           # in network, not the first row
    assert r.deductible == D("1500")                   # IND, in network, calendar year
    assert r.deductible_remaining == D("400")          # min(individual 650, family 400)
    assert r.out_of_pocket_remaining == D("3800")      # 5000 − 1200 met year to date


def test_individual_remaining_without_a_family_accumulator_and_family_only_when_no_individual_row():
    r = answer(*subscriber("EB*1**30", "EB*C*IND*30***29*650*****Y", "EB*G*FAM*30***29*2500*****Y"))
    assert r.deductible_remaining == D("650")
    assert r.out_of_pocket_remaining == D("2500")      # only the family's is known
    # a plan-wide office-visit copay for another service type (e.g. 86 emergency) does not apply
    assert answer(*subscriber("EB*1**30", "EB*B*IND*86***27*150*****Y")).copay is None


def test_active_pending_investigation_goes_to_review():
    r = answer(*subscriber("EB*5**30"))
    assert r.status == "review" and not r.covers(DOS)
    item = eligibility_item(11, r, DOS, "BLUE PLAINS")
    assert item.reason_code == "ELIG_REVIEW" and "pending investigation" in item.explanation
    # plain active coverage next to it is active
    assert answer(*subscriber("EB*1**30", "EB*5**30")).status == "active"


@pytest.mark.parametrize("code, reason, status, who", [
    ("41", "ELIG_PROVIDER_ENROLLMENT", "unknown", "enrollment"),
    ("43", "ELIG_PROVIDER_ENROLLMENT", "unknown", "enrollment"),
    ("51", "ELIG_PROVIDER_ENROLLMENT", "unknown", "enrollment"),
    ("79", "ELIG_PROVIDER_ENROLLMENT", "unknown", "enrollment"),
    ("72", "ELIG_UNKNOWN", "unknown", "with the patient"),
    ("73", "ELIG_UNKNOWN", "unknown", "with the patient"),
    ("75", "ELIG_UNKNOWN", "unknown", "with the patient"),
    ("76", "ELIG_UNKNOWN", "unknown", "with the patient"),
    ("42", "ELIG_ERROR", "error", "phone or portal"),
    ("57", "ELIG_ERROR", "error", "correct the request data"),
])
def test_aaa_reasons_go_to_the_person_who_can_act(code, reason, status, who):
    # provider reasons come at the information receiver level (2100B), member reasons at 2100C
    body = (["AAA*N**" + code + "*C"] if code in ("41", "43", "51", "79")
            else subscriber("AAA*N**" + code + "*C"))
    r = answer(*body)
    assert r.status == status
    item = eligibility_item(11, r, DOS, "BLUE PLAINS")
    assert item.reason_code == reason and who in item.explanation
    if reason == "ELIG_PROVIDER_ENROLLMENT":
        assert "not the patient's data" in item.explanation and "member id" not in item.explanation


@pytest.mark.parametrize("follow, retry_after, words", [
    ("W", CHECKED + dt.timedelta(days=30), "Please Wait 30 Days and Resubmit; no new inquiry before 2026-12-27"),
    ("X", CHECKED + dt.timedelta(days=10), "Please Wait 10 Days and Resubmit; no new inquiry before 2026-12-07"),
    ("N", None, "Resubmission Not Allowed; do not send the inquiry again"),
    ("Y", None, "We Will Hold Your Request and Respond Again Shortly; do not send the inquiry again"),
    ("R", None, "Resubmission Allowed."),
])
def test_aaa04_follow_up_actions_are_kept_and_told(follow, retry_after, words):
    r = answer(*subscriber(f"AAA*N**42*{follow}"))
    assert (r.follow_up_action, r.retry_after) == (follow, retry_after)
    assert words in eligibility_item(11, r, DOS).explanation


def test_eb_r_names_the_other_payer():
    r = answer(*subscriber("EB*1**30", "EB*R**30*MB", "LS*2120", "NM1*PRP*2*MEDICARE PART B*****PI*MCRB1",
                           "LE*2120"))
    assert r.status == "active"
    assert r.other_payer == {"entity_code": "PRP", "name": "MEDICARE PART B", "identifier": "MCRB1",
                             "insurance_type": "MB"}
    # billed as primary while the payer names another primary: a COB question before the claim goes out
    assert "PRIMARY payer" in cob_question(r, "P", "BLUE1", [])
    # a secondary claim whose primary on file is that payer: records agree
    assert cob_question(r, "S", "BLUE1", [("primary", "MCRB1", "MEDICARE PART B")]) is None
    # other coverage the practice has no record of
    other = answer(*subscriber("EB*1**30", "EB*R**30*C1", "LS*2120", "NM1*SEP*2*ACME HEALTH*****PI*ACME",
                               "LE*2120"))
    assert "not on file" in cob_question(other, "P", "BLUE1", [])
    assert cob_question(other, "P", "BLUE1", [("secondary", "ACME", "ACME HEALTH")]) is None


# ------------------------------------------------------------------ against the ledger

class FakePayer:
    """A real-time eligibility endpoint answering each member with a hand-built 271."""

    name, url, workers = "realtime", "test://payer", 2

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = answers

    def exchange(self, request: bytes) -> bytes:
        [q] = parse_270(request)
        return x271(*subscriber(*self.answers[q.member_id], trace=q.trace_number, member=q.member_id))


def test_claims_are_held_with_routed_items_and_the_follow_up_is_honoured(db):
    from tests.unit.posting.factory import seed_practice

    claims = seed_practice(db, 5, status="new", secondary_for={2})
    members = {c["id"]: db.execute("SELECT ip.member_id FROM billing.claims c JOIN pm.insurance_policies ip "
                                   "ON ip.id = c.policy_id WHERE c.id = %s", (c["id"],)).fetchone()[0]
               for c in claims}
    c1, c2, c3, c4, c5 = (c["id"] for c in claims)
    payer = FakePayer({
        members[c1]: ["EB*1**30", "EB*R**30*MB", "LS*2120", "NM1*PRP*2*MEDICARE*****PI*MCR01", "LE*2120"],
        members[c2]: ["EB*1**30", "EB*R**30*C1", "LS*2120", "NM1*SEP*2*SECOND PLAN*****PI*SEC01", "LE*2120"],
        members[c3]: ["EB*5**30"],
        members[c4]: ["AAA*N**42*W"],
        members[c5]: ["AAA*N**42*P"],
    })
    today = dt.date.today()
    out = check_new_claims(db, transport=payer, actor="test", today=today)
    db.commit()
    assert out["by_reason"] == {"ELIG_COB": 1, "ELIG_REVIEW": 1, "ELIG_ERROR": 2}
    items = dict(db.execute("SELECT claim_id, reason_code FROM billing.work_queue").fetchall())
    assert items == {c1: "ELIG_COB", c3: "ELIG_REVIEW", c4: "ELIG_ERROR", c5: "ELIG_ERROR"}
    status = dict(db.execute("SELECT id, status FROM billing.claims").fetchall())
    assert status[c2] == "new"                    # its other payer is its secondary on file: it goes on
    assert {status[c] for c in (c1, c3, c4, c5)} == {"held"}
    # AAA04 W: no new 270 for 30 days, even past the cache window; P: the next run may ask again
    policy = {c: db.execute("SELECT policy_id FROM billing.claims WHERE id = %s", (c,)).fetchone()[0]
              for c in (c4, c5)}
    reusable = {r[0]: r for r in db.execute(query("submission", "eligibility_cached"), {
        "policy_ids": list(policy.values()), "cache_days": 0, "today": today}).fetchall()}
    assert list(reusable) == [policy[c4]]
    assert reusable[policy[c4]][6:8] == ("W", today + dt.timedelta(days=30))


def test_a_cached_answer_keeps_its_route(db):
    # what the cache gives back makes the same item as the fresh answer did
    res = CheckResult(3, "unknown", reject_reason="51 Provider Not on File", route="provider")
    assert eligibility_item(9, res, DOS).reason_code == "ELIG_PROVIDER_ENROLLMENT"
