"""Behaviour is data: scenario and roster files are validated with clear errors."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import sandbox_world as w

from include.sandbox.roster import Roster, RosterError
from include.sandbox.scenario import Scenario, ScenarioError

SCEN = Path(__file__).resolve().parents[3] / "include" / "sandbox" / "scenarios"


@pytest.mark.parametrize("name", ["default.yaml", "strict.yaml"])
def test_shipped_scenarios_load(name):
    s = Scenario.load(SCEN / name)
    assert s.terms("ANY").medicare_percent > 0 and s.denials


def test_default_scenario_values():
    s = Scenario.load(SCEN / "default.yaml")
    assert s.terms("BCBS01").medicare_percent == Decimal(140) and s.terms("AETNA").payment_method == "CHK"
    assert s.terms("unknown") == s.default_terms
    # commercial 110-160 % of Medicare, Medicaid below it; lags by payer type
    assert s.kind("MCR01") == "medicare" and s.terms("MCR01").delay_days == (14, 14) and s.terms("MCR01").crossover
    assert s.kind("MCD01") == "medicaid" and s.terms("MCD01").medicare_percent < 100
    assert s.terms("MCD01").delay_days == (30, 45)
    for pid in ("AETNA", "BCBS01", "UHC01", "CIGNA", "BCHMO"):
        assert s.kind(pid, "CI") == "commercial" and 110 <= s.terms(pid).medicare_percent <= 160
        assert 10 <= s.terms(pid).delay_days[0] <= s.terms(pid).delay_days[1] <= 30
    assert s.medicare_part_b_deductible == Decimal("283.00")


def test_a_payer_id_the_roster_does_not_know_is_an_error_naming_it(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("payers:\n  BCBS1: {medicare_percent: 140}\n")
    with pytest.raises(ScenarioError) as exc:
        Scenario.load(p, known_payers=["BCBS01", "AETNA"])
    assert "BCBS1" in str(exc.value) and str(p) in str(exc.value)
    from include.sandbox.clearinghouse import Clearinghouse
    with pytest.raises(ScenarioError, match="BCBS1"):
        Clearinghouse(tmp_path / "mb", Scenario.load(p), Roster.from_dict(w.roster_dict(5)))


@pytest.mark.parametrize("text, needle", [
    ("seed: 1\nbogus: 2\n", "unknown key(s) ['bogus']"),
    ("denials: {CO-16: 1.5}\n", "denials.CO-16: must be a rate between 0 and 1"),
    ("denials: {CO-99: 0.1}\n", "unknown code 'CO-99'"),
    ("denials: {CO-16: 0.6, CO-50: 0.6}\n", "add up to more than 1"),
    ("defaults: {payment_method: WIRE}\n", "payment_method: must be one of"),
    ("payers: {X: {medicare_percent: 0}}\n", "payers.X.medicare_percent"),
    ("payers: {X: {fee_schedule_percent: 80}}\n", "unknown key(s) ['fee_schedule_percent']"),
    ("payers: {X: {kind: hmo}}\n", "payers.X.kind"),
    ("payers: {X: {delay_days: [30, 10]}}\n", "payers.X.delay_days"),
    ("seed: abc\n", "seed must be an integer"),
    ("- a\n- b\n", "expected a mapping"),
    ("reversal: {delay_days: -1}\n", "reversal.delay_days"),
    ("a: [\n", "not valid YAML"),
])
def test_bad_scenarios_say_what_is_wrong(tmp_path, text, needle):
    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as exc:
        Scenario.load(p)
    assert needle in str(exc.value) and str(p) in str(exc.value)


def test_roster_loads_and_finds_members(tmp_path):
    d = w.write_roster(tmp_path / "r.json", n_members=10)
    r = Roster.load(tmp_path / "r.json")
    m = r.find("BCBS01", d["members"][0]["member_id"])
    assert m is not None and m.copay == Decimal(d["members"][0]["copay"])
    assert r.find("BCBS01", "nobody") is None and r.find("BCBS01", "") is None
    assert r.find("OTHER-ID", m.member_id) is m          # unknown payer id: unique member id still matches
    assert r.payer_name("MCR01") == "MEDICARE"


@pytest.mark.parametrize("patch, needle", [
    ({"member_id": ""}, "members[0]: member_id missing"),
    ({"status": "gone"}, "status must be"),
    ({"plan_begin": "01/02/2025"}, "plan_begin is not an ISO date"),
    ({"copay": "abc"}, "copay is not a number"),
    ({"coinsurance": "20"}, "coinsurance is a fraction"),
])
def test_bad_roster_rows_are_named(tmp_path, patch, needle):
    d = w.roster_dict(2)
    d["members"][0].update(patch)
    (tmp_path / "r.json").write_text(json.dumps(d))
    with pytest.raises(RosterError) as exc:
        Roster.load(tmp_path / "r.json")
    assert needle in str(exc.value)
    assert d["members"][0]["last_name"] not in str(exc.value)     # no PHI in errors


def test_dependents_share_the_member_id():
    d = w.roster_dict(1)
    sub = d["members"][0]
    kid = {**sub, "first_name": "KID", "birth_date": "2015-05-05", "relationship_code": "19", "status": "terminated",
           "plan_end": "2026-01-31"}
    d["members"] = [kid, {**sub, "relationship_code": "18"}]       # the dependent listed first
    r = Roster.from_dict(d)
    assert r.find(sub["payer_id"], sub["member_id"]).is_subscriber
    found = r.find(sub["payer_id"], sub["member_id"], last_name=sub["last_name"], first_name="KID",
                   birth_date=__import__("datetime").date(2015, 5, 5))
    assert found.relationship_code == "19" and found.status == "terminated"


def test_package_exports_and_longest_delay():
    from include.sandbox import Clearinghouse  # noqa: F401
    from include.sandbox import Scenario as S
    s = S.load(SCEN / "default.yaml")
    # the slowest payer (Medicaid, 45 days) plus the longest review hold (35 days)
    assert s.adjudication_delay_days == max(t.delay_days[1] for t in [s.default_terms, *s.payers.values()]) \
        + s.pend_extra_days[1] == 45 + 35
