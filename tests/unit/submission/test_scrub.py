"""Scrubbing rules, each judged by the one implementation of them (scrub_findings.sql, through
scrub.scrub_claims_sql) over a claim in a real PostgreSQL; and the ICD-10-CM table the rules are fed."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from include.billing import scrub
from include.billing.npi import npi_check_digit
from tests.unit.posting.factory import DOS, seed_practice

TODAY = DOS + dt.timedelta(days=19)
GOOD_NPI = "123456789" + npi_check_digit("123456789")
BAD_NPI = GOOD_NPI[:9] + str((int(GOOD_NPI[9]) + 1) % 10)
DX13 = ["E119", "I10", "J069", "R051", "M5450", "K219", "N390", "R109", "E785", "F419", "G4700", "L309", "Z0000"]


class Claim:
    """One waiting claim of the test factory (lines 99213 and 85025, 100.00 each, pointer 1, on the DOS;
    diagnosis J069; billing NPI valid; payer BHP01): clean until a test changes it."""

    def __init__(self, db, claim_id):
        self.db, self.id = db, claim_id

    def set(self, **cols):
        self.db.execute(f"UPDATE billing.claims SET {', '.join(f'{k} = %({k})s' for k in cols)} WHERE id = %(c)s",
                        {**cols, "c": self.id})
        return self

    def line(self, n, **cols):
        self.db.execute(f"UPDATE billing.claim_lines SET {', '.join(f'{k} = %({k})s' for k in cols)} "
                        "WHERE claim_id = %(c)s AND line_number = %(n)s", {**cols, "c": self.id, "n": n})
        return self

    def only_line(self, **cols):
        """One line (the first, changed as given), the claim total its charge."""
        self.db.execute("DELETE FROM billing.claim_lines WHERE claim_id = %s AND line_number > 1", (self.id,))
        self.line(1, **cols)
        self.db.execute("UPDATE billing.claims SET total_charge = (SELECT sum(charge) FROM billing.claim_lines "
                        "WHERE claim_id = %(c)s) WHERE id = %(c)s", {"c": self.id})
        return self

    def provider(self, role, npi):
        pid = self.db.execute("INSERT INTO pm.providers (npi, last_name, first_name) VALUES (%s, 'DOC', 'A') "
                              "RETURNING id", (npi,)).fetchone()[0]
        self.db.execute(f"UPDATE pm.visits SET {role}_provider_id = %s WHERE id = "
                        "(SELECT visit_id FROM billing.claims WHERE id = %s)", (pid, self.id))
        return self

    def findings(self, today=TODAY) -> list[tuple[str, str]]:
        (s,) = scrub.scrub_claims_sql(self.db, [self.id], today).values()
        return [(f.code, f.message) for f in s.findings]

    def codes(self, today=TODAY) -> set[str]:
        return {code for code, _m in self.findings(today)}


@pytest.fixture
def c(db) -> Claim:
    (row,) = seed_practice(db, 1, status="new")
    return Claim(db, row["id"])


def test_clean_claim_passes(c):
    assert c.findings() == []


@pytest.mark.parametrize("role", ["rendering", "referring"])
def test_npi_check_digit_for_each_role(c, role):
    assert c.provider(role, BAD_NPI).findings() == [(
        "SCRUB_NPI", f"The {role} provider NPI fails the NPI check-digit test (10 digits, Luhn over prefix "
                     f"80840); correct it in the provider file.")]


def test_npi_one_finding_naming_the_billing_provider_first(c):
    c.db.execute("UPDATE pm.billing_providers SET npi = %s", (BAD_NPI,))
    c.provider("rendering", BAD_NPI)
    assert c.findings() == [("SCRUB_NPI", "The billing provider NPI fails the NPI check-digit test (10 digits, "
                                          "Luhn over prefix 80840); correct it in the provider file.")]


def test_a_valid_npi_of_each_role_passes(c):
    assert c.provider("rendering", GOOD_NPI).findings() == []
    c.db.execute("UPDATE pm.visits SET referring_provider_id = rendering_provider_id")
    assert c.findings() == []


@pytest.mark.parametrize("code", ["E11", "E11.9X", "ZZZ99", "S72001", "M54"])
def test_non_billable_icd10(c, code):
    assert c.set(diagnosis_codes=["I10", code]).findings() == [(
        "SCRUB_ICD10_NOT_BILLABLE", "Diagnosis position(s) 2 are not billable ICD-10-CM codes (a category or "
                                    "header, or not in the code set); code to the highest specificity.")]


@pytest.mark.parametrize("code", ["E119", "I10", "S72001A", "Z0000", "J069"])
def test_billable_icd10(c, code):
    assert c.set(diagnosis_codes=[code, "I10"]).findings() == []


@pytest.mark.parametrize("proc, ok", [("99213", True), ("G0442", True), ("0001U", True), ("9921", False),
                                      ("9921A", True), ("g0442", False), ("A12B4", False), ("A123", False)])
def test_cpt_format(c, proc, ok):
    c.only_line(procedure_code=proc)
    assert c.findings() == ([] if ok else [(
        "SCRUB_CPT_FORMAT", "Line(s) 1: procedure code is not a CPT (5 characters) or HCPCS (letter + 4 digits) code.")])


def test_cpt_format_over_random_codes(db):
    """Many codes at once (a claim each; the column holds at most 5 characters): flagged exactly when they are not 4 digits + a digit or letter, or a
    letter + 4 digits (upper case)."""
    rng = random.Random(5)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789a-."
    codes = [''.join(rng.choice(alphabet) for _ in range(rng.choice([3, 4, 5, 5, 5]))) for _ in range(150)]
    codes += ["99213", "G0442", "0001U", "A1234", "1234Z"]
    rows = seed_practice(db, len(codes), lines=1, status="new")
    for row, code in zip(rows, codes):
        db.execute("UPDATE billing.claim_lines SET procedure_code = %s WHERE claim_id = %s", (code, row["id"]))
    found = scrub.scrub_claims_sql(db, [r["id"] for r in rows], TODAY)

    def well_formed(code):
        return len(code) == 5 and ((code[:4].isdigit() and (code[4].isdigit() or "A" <= code[4] <= "Z"))
                                   or ("A" <= code[0] <= "Z" and code[1:].isdigit()))
    assert [bool(found[r["id"]].findings) for r in rows] == [not well_formed(code) for code in codes]
    assert {f.code for r in rows for f in found[r["id"]].findings} == {"SCRUB_CPT_FORMAT"}


@pytest.mark.parametrize("mods, problem", [
    (["25"], None), (["GP", "59", "KX", "CQ"], None),
    (["ZZ"], "line 1 has unknown modifier(s) ZZ"),
    (["25", "25"], "line 1 repeats a modifier"),
    (["GP", "59", "KX", "CQ", "76"], "line 1 has 5 modifiers (at most 4)"),
    (["ZZ", "GP", "ZZ", "59", "Q9"], "line 1 has 5 modifiers (at most 4); line 1 repeats a modifier; "
                                     "line 1 has unknown modifier(s) ZZ, ZZ, Q9"),
])
def test_modifiers(c, mods, problem):
    c.only_line(procedure_code="97110", modifiers=mods)
    found = [f for f in c.findings() if f[0] == "SCRUB_MODIFIER"]
    assert found == ([] if problem is None else [("SCRUB_MODIFIER", f"Modifier problem: {problem}.")])


def test_modifier_25_and_59_messages(c):
    c.line(1, modifiers=["25", "XS"]).line(2, procedure_code="97110", modifiers=["25"])
    assert c.findings() == [
        ("SCRUB_MODIFIER_25", "Modifier 25 problem: line 2: modifier 25 is for E/M codes (99202-99499), not 97110."),
        ("SCRUB_MODIFIER_59", "Modifier 59 (or XE/XP/XS/XU) never goes on an E/M code: line 1 (99213-XS); "
                              "an E/M separate from a procedure takes 25.")]
    c.only_line(modifiers=["25"])
    assert c.findings() == [("SCRUB_MODIFIER_25", "Modifier 25 problem: line 1: modifier 25 on 99213 needs another "
                             "service billed on the same date on this claim; without one, remove it.")]


@pytest.mark.parametrize("pointers, n_dx, problem", [
    ([1], 2, None), ([1, 2], 2, None),
    ([3], 2, "line 1 points to diagnosis 3 but the claim has 2"),
    ([], 2, "line 1 has 0 diagnosis pointers (1 to 4)"),
    ([1, 2, 3, 4, 5], 6, "line 1 has 5 diagnosis pointers (1 to 4)"),
    ([0], 2, "line 1 points to diagnosis 0 but the claim has 2"),
    ([1, 1], 2, "line 1 repeats a pointer"),
    ([1], 13, "the claim has 13 diagnoses (at most 12)"),
    ([1], 0, "the claim has no diagnosis; line 1 points to diagnosis 1 but the claim has 0"),
])
def test_dx_pointers(c, pointers, n_dx, problem):
    c.set(diagnosis_codes=DX13[:n_dx]).only_line(dx_pointers=pointers)
    found = [f for f in c.findings() if f[0] == "SCRUB_DX_POINTER"]
    assert found == ([] if problem is None else [("SCRUB_DX_POINTER", f"Diagnosis pointer problem: {problem}.")])


def test_totals(c):
    c.set(total_charge=Decimal("200.01"))
    assert c.findings() == [("SCRUB_TOTALS", "Charge problem: claim total 200.01 differs from the sum of its "
                                             "lines 200.00.")]
    c.set(total_charge=Decimal("0.00")).only_line(charge=Decimal("0.00"))
    assert c.findings() == [("SCRUB_TOTALS", "Charge problem: the claim total is not positive; line(s) 1 have no "
                                             "positive charge.")]
    c.db.execute("DELETE FROM billing.claim_lines WHERE claim_id = %s", (c.id,))
    c.set(total_charge=Decimal("100.00"))
    assert c.findings() == [("SCRUB_TOTALS", "Charge problem: the claim has no service lines; claim total 100.00 "
                                             "differs from the sum of its lines 0.")]


def test_totals_rule_is_exact_money_arithmetic(db):
    rng = random.Random(11)
    cases = []
    for _ in range(60):
        charges = [Decimal(rng.randint(1, 9999999)) / 100 for _ in range(rng.randint(1, 6))]
        delta = Decimal(rng.choice([0, 0, 1, -1, 500, -500])) / 100
        cases.append((charges, delta))
    rows = seed_practice(db, len(cases), lines=1, status="new")
    for row, (charges, delta) in zip(rows, cases):
        db.execute("DELETE FROM billing.claim_lines WHERE claim_id = %s", (row["id"],))
        for n, ch in enumerate(charges, start=1):
            db.execute("INSERT INTO billing.claim_lines (claim_id, line_number, line_control_number, procedure_code, "
                       "units, charge, dx_pointers, service_date) VALUES (%s, %s, %s, '99213', 1, %s, '{1}', %s)",
                       (row["id"], n, f"{row['claim_number']}L{n}", ch, DOS))
        db.execute("UPDATE billing.claims SET total_charge = %s WHERE id = %s", (sum(charges) + delta, row["id"]))
    found = scrub.scrub_claims_sql(db, [r["id"] for r in rows], TODAY)
    assert [[f.code for f in found[r["id"]].findings] for r in rows] == [
        ["SCRUB_TOTALS"] if delta else [] for _charges, delta in cases]


def test_future_date_and_timely_filing(c):
    future = TODAY + dt.timedelta(days=1)
    c.line(2, service_date=future)
    assert c.findings() == [("SCRUB_DOS_FUTURE", "The date of service is in the future; a claim can be billed "
                                                 "only after the service was given.")]
    c.line(2, service_date=DOS)
    c.db.execute("UPDATE pm.payers SET timely_filing_days = 90")
    assert c.findings(DOS + dt.timedelta(days=90)) == []
    assert c.findings(DOS + dt.timedelta(days=91)) == [(
        "SCRUB_TIMELY_FILING", f"The payer's timely-filing limit (90 days from the date of service) passed on "
                               f"{(DOS + dt.timedelta(days=90)).isoformat()}; send with proof of timely filing "
                               f"or write off.")]
    # from the earliest date of the claim: a line before the claim's date of service
    c.line(1, service_date=DOS - dt.timedelta(days=1))
    assert c.codes(DOS + dt.timedelta(days=90)) == {"SCRUB_TIMELY_FILING"}


def test_duplicate_and_unknown_payer(db):
    a, b = (Claim(db, r["id"]) for r in seed_practice(db, 2, status="new"))
    patient, number_a = db.execute("SELECT v.patient_id, c.claim_number FROM billing.claims c JOIN pm.visits v "
                                   "ON v.id = c.visit_id WHERE c.id = %s", (a.id,)).fetchone()
    db.execute("UPDATE pm.visits SET patient_id = %s WHERE id = (SELECT visit_id FROM billing.claims WHERE id = %s)",
               (patient, b.id))
    assert a.findings() == []                            # the lower claim id goes on
    assert b.findings() == [("SCRUB_DUPLICATE", f"Possible duplicate: line 1 repeats a line of claim {number_a} "
                             f"(same patient, date, code and rendering provider); line 2 repeats a line of claim "
                             f"{number_a} (same patient, date, code and rendering provider).")]
    unknown = ("SCRUB_PAYER_UNKNOWN", "The payer has no clearinghouse payer id; add it to the payer file before "
                                      "the claim can be sent.")
    db.execute("UPDATE pm.payers SET payer_identifier = '  ' WHERE payer_identifier = 'BHP01'")
    assert a.findings() == [unknown]
    a.set(payer_id=None)
    assert a.findings() == [unknown]


def test_messages_carry_no_diagnosis_codes(c):
    c.set(diagnosis_codes=["E11", "I10"])
    assert all("E11" not in m for _code, m in c.findings())


def _package_billable(code) -> bool:
    """What scrub asked simple_icd_10_cm before it read the code set from a table."""
    import simple_icd_10_cm as cm

    try:
        return cm.is_valid_item(code) and cm.is_leaf(code)
    except Exception:
        return False


def test_icd10_table_answers_as_the_package_over_the_whole_code_set(monkeypatch, tmp_path):
    from simple_icd_10_cm import simple_icd_10_cm as cm_module

    monkeypatch.setenv("BILLING_RUN_DIR", str(tmp_path))
    scrub._icd10_table.cache_clear()
    scrub.icd10_billable.cache_clear()
    names = list(cm_module._code_to_node)
    probes = set(names) | {n.replace(".", "") for n in names} | {
        "", "A", "A0", "A00.", "A00-A09", "a00.0", "J45.90X", "Z00.00 ", "99213", "E11.9.", "I10", "I1O", "R69"}
    differ = [c for c in sorted(probes) if scrub.icd10_billable(c) != _package_billable(c)]
    assert differ == []
    assert (tmp_path / "cache" / "icd10cm-items.json").exists()
    # read back from the cache folder: the same answers
    scrub._icd10_table.cache_clear()
    scrub.icd10_billable.cache_clear()
    assert [c for c in sorted(probes) if scrub.icd10_billable(c) != _package_billable(c)] == []


def test_icd10_cache_of_another_code_set_is_not_used(monkeypatch, tmp_path):
    import json

    monkeypatch.setenv("BILLING_RUN_DIR", str(tmp_path))
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache" / "icd10cm-items.json").write_text(json.dumps(
        {"key": "another release", "leaves": ["A00"], "others": ["I10"]}))
    scrub._icd10_table.cache_clear()
    scrub.icd10_billable.cache_clear()
    try:
        assert scrub.icd10_billable("I10") and not scrub.icd10_billable("A00")
        assert json.loads((tmp_path / "cache" / "icd10cm-items.json").read_text())["key"] == scrub._icd10_data_key()
    finally:
        scrub._icd10_table.cache_clear()
        scrub.icd10_billable.cache_clear()
