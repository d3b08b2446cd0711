"""What the sandbox's payers allow per procedure code, and which codes carry no cost sharing.

MEDICARE is the payer's base fee schedule: for physician services the Medicare Physician
Fee Schedule (national, non-facility, unadjusted for locality), for laboratory tests the
Clinical Laboratory Fee Schedule (national limit), for drugs and vaccines the Part B
drug pricing (ASP + 6 %) and for vaccine administration the Part B administration rate.
The figures are rounded approximations of the CY 2025 national amounts of the CMS
look-up tools, good to a few per cent — enough for realistic magnitudes, not a price list
(see include/sandbox/README.md).  Commercial payers pay a multiple of it, Medicaid a
fraction (the scenario's ``medicare_percent``).
"""
from __future__ import annotations

from decimal import Decimal

D = Decimal

MEDICARE: dict[str, Decimal] = {code: D(v) for code, v in {
    # office E/M (MPFS, non-facility)
    "99202": "70.75", "99203": "108.61", "99204": "162.15", "99205": "214.06",
    "99211": "22.96", "99212": "55.91", "99213": "89.74", "99214": "126.73", "99215": "178.13",
    # preventive medicine (MPFS; Medicare itself does not cover 9938x/9939x, commercial plans key off them)
    "99381": "118.43", "99382": "123.68", "99383": "128.21", "99384": "138.24", "99385": "134.33",
    "99386": "155.52", "99387": "168.79", "99391": "106.44", "99392": "113.81", "99393": "113.17",
    "99394": "122.86", "99395": "125.79", "99396": "135.82", "99397": "147.79",
    # annual wellness visit
    "G0438": "169.51", "G0439": "130.76",
    # clinical laboratory fee schedule
    "36415": "3.00", "80053": "10.56", "80061": "13.39", "83036": "9.71", "85025": "7.77", "81002": "3.48",
    "87880": "16.53",
    # diagnostics (global)
    "93000": "16.17", "71046": "30.43",
    # vaccines and their administration
    "90686": "21.79", "90471": "20.90", "G0008": "33.59",
    # injections, drugs (per HCPCS unit), procedures
    "96372": "14.81", "J1100": "0.11", "J3301": "1.51", "20610": "62.91", "11102": "97.45",
    # therapy (per 15-minute unit)
    "97110": "29.16", "97140": "26.92",
}.items()}

OFFICE_EM = frozenset({"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"})
PREVENTIVE = frozenset({f"9938{i}" for i in range(1, 8)} | {f"9939{i}" for i in range(1, 8)})
WELLNESS = frozenset({"G0402", "G0438", "G0439"})          # Medicare IPPE and annual wellness visits
VACCINES = frozenset({"90686", "90732", "90670", "90677", "90746", "90739", "90750", "90715", "90651"})
VACCINE_ADMIN = frozenset({"90471", "90472", "G0008", "G0009", "G0010"})
LAB = frozenset({"36415", "80053", "80061", "83036", "85025", "81002", "87880"})


def category(code: str) -> str:
    """office_em | preventive | wellness | vaccine | lab | other."""
    if code in OFFICE_EM:
        return "office_em"
    if code in PREVENTIVE:
        return "preventive"
    if code in WELLNESS:
        return "wellness"
    if code in VACCINES or code in VACCINE_ADMIN:
        return "vaccine"
    if code in LAB:
        return "lab"
    return "other"


def no_cost_sharing(kind: str, code: str) -> bool:
    """Services the plan pays in full (no deductible, copay or coinsurance).

    * commercial (in network): ACA preventive services — preventive visits, ACIP vaccines and
      their administration (45 CFR 147.130), and the Medicare wellness codes if billed;
    * Medicare Part B: the annual wellness visit, vaccines and their administration (flu,
      pneumococcal, hepatitis B) and clinical laboratory tests (42 CFR 410.152(h), 410.160(b)).
    Medicaid has no cost sharing at all for these services (handled by the caller).
    """
    cat = category(code)
    if kind == "medicare":
        return cat in ("wellness", "vaccine", "lab")
    return cat in ("preventive", "wellness", "vaccine")
