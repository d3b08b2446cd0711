"""CARC/RARC code tables (data files in include/billing/codes/) and denial classification.

Each adjustment (group code + CARC, with RARCs) gets a category (eligibility, authorization,
coding, bundling, medical necessity, timely filing, duplicate, coordination of benefits,
missing information, patient responsibility, contractual) and an action:

- ``correct``     fix the claim and send a replacement (frequency 7)
- ``appeal``      write an appeal packet with a deadline
- ``write_off``   policy write-off of the payer balance
- ``patient``     the patient owes it (patient ledger)
- ``contractual`` the contract says so (CO-45): nothing to do
- ``info``        informational (OA-23 prior payer impact): nothing to do
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CODES_DIR = Path(__file__).resolve().parent / "codes"
ACTIONS = ("correct", "appeal", "write_off", "patient", "contractual", "info")
CATEGORIES = ("eligibility", "authorization", "coding", "bundling", "medical necessity", "timely filing",
              "duplicate", "coordination of benefits", "missing information", "patient responsibility",
              "contractual")
DENIAL_ACTIONS = frozenset({"correct", "appeal", "write_off"})
# when the CARC says only "information missing", the RARC names what is missing
_GENERIC_CATEGORIES = {"missing information"}


@dataclass(frozen=True)
class Code:
    code: str
    description: str
    category: str
    action: str


@lru_cache(maxsize=None)
def load_table(name: str) -> dict[str, Code]:
    """'carc' or 'rarc' → {code: Code}; a bad row names the file and line."""
    path = CODES_DIR / f"{name}.csv"
    out: dict[str, Code] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            code = Code(row["code"].strip(), row["description"].strip(), row["category"].strip(),
                        row["action"].strip())
            if code.category not in CATEGORIES or code.action not in ACTIONS:
                raise ValueError(f"{path.name} line {n}: code {code.code}: unknown category "
                                 f"{code.category!r} or action {code.action!r}")
            out[code.code] = code
    return out


def describe(table: str, code: str, default: str = "") -> str:
    """A CARC's ('carc') or RARC's ('rarc') description from codes/<table>.csv, the one source of them."""
    found = load_table(table).get(code)
    return found.description if found else default


@dataclass(frozen=True)
class Classification:
    group: str
    carc: str
    rarcs: tuple[str, ...]
    category: str
    action: str
    description: str

    @property
    def reason_code(self) -> str:
        """Work-queue reason, e.g. CARC_CO-16."""
        return f"CARC_{self.group}-{self.carc}"

    @property
    def is_denial(self) -> bool:
        return self.action in DENIAL_ACTIONS

    def explanation(self) -> str:
        rarc = load_table("rarc")
        text = f"{self.group}-{self.carc}: {self.description}"
        for r in self.rarcs:
            if r in rarc:
                text += f"; {r}: {rarc[r].description}"
        return f"{text} [{self.category}; action: {self.action.replace('_', ' ')}]"


def classify(group: str, carc: str, rarcs=()) -> Classification:
    """Category and action of one adjustment. Unknown codes go to a person (action 'correct')."""
    carcs, rarc_table = load_table("carc"), load_table("rarc")
    rarcs = tuple(r for r in rarcs if r)
    c = carcs.get(carc)
    category, action = (c.category, c.action) if c else ("missing information", "correct")
    description = c.description if c else f"adjustment reason {carc} (not in the code table)"
    if category in _GENERIC_CATEGORIES:
        for r in rarcs:
            if r in rarc_table and rarc_table[r].category != category:
                category = rarc_table[r].category
                break
    if group == "PR":
        action = "patient"            # the payer assigned it to the patient, whatever the reason
    elif group == "OA" and carc == "23":
        action = "info"
    return Classification(group, carc, rarcs, category, action, description)


@lru_cache(maxsize=4096)
def is_denial(group: str, carc: str) -> bool:
    """Does this adjustment leave a payer balance someone must act on? Any CO/OA/PI amount that is
    not a contractual reduction (CO-45, CO-253 …) or the prior payer's impact (OA-23) — CO-204 too,
    although the code table's text would send a PR-204 to the patient; PR is never a denial. The
    same rule as denial routing (include.billing.denials._denied_adjustments)."""
    return group != "PR" and classify(group, carc).action not in ("contractual", "info")


PATIENT_CATEGORY = {"1": "deductible", "2": "coinsurance", "3": "copay"}


def patient_category(carc: str) -> str:
    """Patient-ledger category of a PR adjustment: deductible (PR-1), coinsurance (PR-2), copay (PR-3)."""
    return PATIENT_CATEGORY.get(carc, "non_covered")
