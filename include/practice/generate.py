"""Generate a synthetic practice as plain rows, deterministically from a seed.

Pure Python (one `random.Random(seed)`), no database: `generate_practice` returns the rows
of every pm table in COPY column order with their ids already assigned, so the same seed
and dates give byte-identical data in any fresh database.

What "clean" means here, and what a dirty visit breaks (exactly one thing each):
  clean     every NPI passes the Luhn check, every diagnosis is a billable ICD-10-CM leaf,
            every pointer names an existing diagnosis, the date of service is in the window
            (<= today, inside the shortest timely-filing limit), the primary policy has a
            member id and the payer's roster shows the member active on that date, and no
            patient has two visits on one day (the duplicate-claim check cannot fire).
  dirty     see include.practice.dirty; each dirty visit belongs to a patient of its own,
            so its defect cannot leak onto a clean visit.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from include.billing.npi import npi_check_digit
from include.practice import reference as ref
from include.practice.dirty import (
    BAD_DX_POINTER,
    DIRTY_KINDS,
    FUTURE_DOS,
    INVALID_NPI,
    MISSING_MEMBER_ID,
    NON_BILLABLE_ICD10,
    TERMINATED_COVERAGE,
)

# Columns per table, in load order (parents before children). Ids are explicit.
COLUMNS: dict[str, tuple[str, ...]] = {
    "pm.billing_providers": ("id", "npi", "organization_name", "tax_id", "taxonomy_code", "address1", "city",
                             "state", "zip", "phone", "contact_name"),
    "pm.providers": ("id", "npi", "last_name", "first_name", "taxonomy_code"),
    "pm.facilities": ("id", "npi", "name", "address1", "city", "state", "zip"),
    "pm.payers": ("id", "name", "payer_identifier", "claim_filing_indicator", "timely_filing_days", "is_self_pay",
                  "address1", "city", "state", "zip"),
    "pm.fee_schedule": ("procedure_code", "description", "amount"),
    "pm.guarantors": ("id", "guarantor_number", "last_name", "first_name", "address1", "city", "state", "zip",
                      "email"),
    "pm.patients": ("id", "mrn", "last_name", "first_name", "birth_date", "sex", "address1", "city", "state", "zip",
                    "guarantor_id", "guarantor_relationship"),
    "pm.insurance_policies": ("id", "patient_id", "payer_id", "priority", "member_id", "group_number",
                              "relationship_code", "subscriber_last_name", "subscriber_first_name",
                              "subscriber_birth_date", "subscriber_sex", "subscriber_address1", "subscriber_city",
                              "subscriber_state", "subscriber_zip", "effective_date", "termination_date"),
    "pm.synthetic_member_plans": ("id", "payer_id", "member_id", "relationship_code", "last_name", "first_name",
                                  "birth_date", "sex", "group_number", "status", "plan_begin", "plan_end", "copay",
                                  "coinsurance", "deductible", "deductible_met", "out_of_pocket_max", "policy_id"),
    "pm.visits": ("id", "visit_number", "patient_id", "billing_provider_id", "rendering_provider_id",
                  "referring_provider_id", "facility_id", "place_of_service", "date_of_service", "status",
                  "completed_at", "prior_authorization", "onset_date", "accident_type", "accident_state",
                  "accident_date"),
    "pm.visit_diagnoses": ("visit_id", "sequence", "icd10_code"),
    "pm.charges": ("id", "visit_id", "line_number", "procedure_code", "modifier1", "modifier2", "modifier3",
                   "modifier4", "units", "amount", "dx_pointer1", "dx_pointer2", "dx_pointer3", "dx_pointer4"),
    "pm.synthetic_visit_labels": ("visit_id", "dirty_kind"),
}

# Completed visits fall at most this many days before `today`: the shortest timely-filing
# limit among the payers is 90 days, and the pipeline may run a little after seeding.
MAX_WINDOW_DAYS = 75
DEFAULT_WINDOW_DAYS = 60
SCHEDULED_SHARE = 0.03
CANCELLED_SHARE = 0.03
CENT = Decimal("0.01")
# Minors: the share that is a brother or sister of an earlier minor on the same coverage (one
# guarantor, one statement), the most children per guarantor, and guarantors with an e-mail.
SIBLING_SHARE = 0.45
MAX_CHILDREN = 4
GUARANTOR_EMAIL_SHARE = 0.55

_MBI_ALPHA = "ACDEFGHJKMNPQRTUVWXY"  # Medicare Beneficiary Identifier letters (no S L O I B Z)
_MBI_ALNUM = _MBI_ALPHA + "0123456789"
# CMS format: C A AN N A AN N A A N N (C = 1-9)
_MBI_PATTERN = ("123456789", _MBI_ALPHA, _MBI_ALNUM, "0123456789", _MBI_ALPHA, _MBI_ALNUM, "0123456789",
                _MBI_ALPHA, _MBI_ALPHA, "0123456789", "0123456789")


def _years_before(day: date, years: int) -> date:
    """`day` moved back `years` calendar years; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass
class PracticeData:
    """All rows of a generated practice, keyed by table (COPY column order)."""

    tables: dict[str, list[tuple]]
    dirty: dict[str, int]
    visits: int
    completed: int
    seed: int
    today: date
    start_date: date
    end_date: date
    dirty_share: float
    dirty_kinds: tuple[str, ...]


def dirty_count(completed: int, share: float) -> int:
    """Dirty visits for `completed` completed visits: Python's round() (half to even)."""
    return round(share * completed)


def visit_counts(visits: int) -> tuple[int, int, int]:
    """(completed, scheduled, cancelled) for a total of `visits`."""
    scheduled = round(visits * SCHEDULED_SHARE)
    cancelled = round(visits * CANCELLED_SHARE)
    return visits - scheduled - cancelled, scheduled, cancelled


def resolve_window(today: date | None, start_date: date | None, end_date: date | None,
                   *, quarter: bool = False) -> tuple[date, date, date]:
    """(today, start, end) of the dates of service of completed visits, checked.

    `quarter`: the practice lives through the window on a simulated clock (the demo), each visit
    billed days after it happens, so a window longer than the timely-filing limit is fine."""
    today = today or date.today()
    end = end_date or today - timedelta(days=1)
    start = start_date or today - timedelta(days=DEFAULT_WINDOW_DAYS)
    if start > end:
        raise ValueError(f"start date {start} is after end date {end}")
    if end > today:
        raise ValueError(f"end date {end} is after today {today}: completed visits cannot be in the future")
    if not quarter and (today - start).days > MAX_WINDOW_DAYS:
        raise ValueError(
            f"start date {start} is more than {MAX_WINDOW_DAYS} days before today {today}: clean visits "
            "would break the 90-day timely-filing limit of the commercial payers")
    return today, start, end


@dataclass
class _Patient:
    id: int
    birth_date: date
    sex: str
    kind: str  # primary coverage: medicare, medicaid, commercial, self
    payer_identifier: str | None
    policy_ids: list[int] = field(default_factory=list)
    plan_ids: list[int] = field(default_factory=list)


@dataclass
class _Family:
    """The children of one guarantor, as the generator groups them."""

    key: tuple
    children: int = 0
    guarantor_id: int | None = None
    relationship: str = "parent"
    last: str = ""
    addr: tuple = ()
    subscriber: tuple | None = None  # (last, first, birth, sex) of the parent holding the plan
    group: str | None = None


@dataclass
class _Encounter:
    billing_provider_id: int
    rendering_provider_id: int
    referring_provider_id: int | None
    facility_id: int | None
    place_of_service: str
    prior_authorization: str | None = None
    onset_date: date | None = None
    accident_type: str | None = None
    accident_state: str | None = None
    accident_date: date | None = None
    dx: list[str] = field(default_factory=list)
    # [procedure, [modifiers], units, [diagnosis codes it points to]]
    lines: list[list] = field(default_factory=list)

    def add_dx(self, code: str) -> str:
        if code not in self.dx and len(self.dx) < 12:
            self.dx.append(code)
        return code


class _Generator:
    def __init__(self, seed: int, today: date, start: date, end: date, working_days: bool = False):
        self.r = random.Random(seed)
        # random.choice/randint go through _randbelow and dominate the profile; one float is enough
        rnd = self.r.random
        self.pick = lambda seq: seq[int(rnd() * len(seq))]
        self.randint = lambda low, high: low + int(rnd() * (high - low + 1))
        self._cumulative: dict[tuple, list[int]] = {}
        self.seed = seed
        self.today, self.start, self.end = today, start, end
        self.window_days = (end - start).days
        # a practice open on working days: visits go round them in turn, so every one has some
        self.working_days = [start + timedelta(days=i) for i in range(self.window_days + 1)
                             if (start + timedelta(days=i)).weekday() < 5] if working_days else []
        self.next_day = 0
        self.t: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self._npis: set[str] = set()
        self._member_ids: set[tuple[str, str]] = set()
        self.patients: list[_Patient] = []
        # guarantors draw from a stream of their own, so the practice's other rows stay as they were
        self.g = random.Random(seed * 1_000_003 + 17)
        self.families: dict[tuple, list[_Family]] = {}
        self.busy_days: set[tuple[int, date]] = set()

    # --- small helpers -----------------------------------------------------------------

    def npi(self) -> str:
        while True:
            base = str(self.pick("12")) + str(self.randint(10_000_000, 99_999_999))
            npi = base + npi_check_digit(base)
            if npi not in self._npis:
                self._npis.add(npi)
                return npi

    def bad_npi(self) -> str:
        base = "1" + str(self.randint(10_000_000, 99_999_999))
        good = int(npi_check_digit(base))
        npi = base + str((good + self.randint(1, 9)) % 10)
        self._npis.add(npi)
        return npi

    def weighted(self, population: Sequence, weights: tuple[int, ...]):
        cumulative = self._cumulative.get(weights)
        if cumulative is None:
            cumulative = self._cumulative[weights] = list(itertools.accumulate(weights))
        return population[bisect.bisect(cumulative, self.r.random() * cumulative[-1])]

    def address(self) -> tuple[str, str, str, str]:
        r = self.r
        street = f"{self.randint(100, 9899)} {self.pick(ref.STREET_NAMES)} {self.pick(ref.STREET_SUFFIXES)}"
        if r.random() < 0.12:
            street += f" Apt {self.randint(1, 48)}"
        city, zips = self.pick(ref.CITIES)
        return street, city, ref.HOME_STATE, self.pick(zips) + f"{self.randint(1, 9999):04d}"

    def person(self, sex: str | None = None, last_name: str | None = None) -> tuple[str, str, str]:
        r = self.r
        sex = sex or ("F" if r.random() < 0.52 else "M")
        first = self.pick(ref.FEMALE_FIRST_NAMES if sex == "F" else ref.MALE_FIRST_NAMES)
        return last_name or self.pick(ref.LAST_NAMES), first, sex

    def birth_date(self, age: int) -> date:
        """A birth date that makes the patient exactly `age` on `today`, counted in calendar years
        (365-day years drift a day every leap year: an "18-year-old" could still be 17); at least 120
        days old so that coverage starts before the first visit."""
        newest = _years_before(self.today, age)
        oldest = _years_before(self.today, age + 1) + timedelta(days=1)
        low = max(120, (self.today - newest).days)
        return self.today - timedelta(days=self.randint(low, (self.today - oldest).days))

    def first_of_month_before(self, latest: date, months_back: int) -> date:
        year, month0 = divmod(latest.year * 12 + latest.month - 1 - months_back, 12)
        return date(year, month0 + 1, 1)

    def effective_date(self, birth: date) -> date:
        eff = self.first_of_month_before(self.start, self.randint(2, 120))
        if eff <= birth:
            eff = self.first_of_month_before(birth, -1)
        return eff

    def member_id(self, payer_identifier: str) -> str:
        while True:
            if payer_identifier == "MCR01":
                mid = "".join(self.pick(chars) for chars in _MBI_PATTERN)
            elif payer_identifier == "MCD01":
                mid = str(self.randint(10**11, 10**12 - 1))
            elif payer_identifier == "AETNA":
                mid = f"W{self.randint(10**8, 10**9 - 1)}"
            elif payer_identifier == "BCBS01":
                mid = self.pick(("YRB", "ZOH", "XOA", "YRP")) + f"W{self.randint(10**7, 10**8 - 1)}"
            elif payer_identifier == "UHC01":
                mid = str(self.randint(10**8, 10**9 - 1))
            elif payer_identifier == "CIGNA":
                mid = f"U{self.randint(10**7, 10**8 - 1)}01"
            else:
                mid = f"H{self.randint(10**7, 10**8 - 1)}"
            if (payer_identifier, mid) not in self._member_ids:
                self._member_ids.add((payer_identifier, mid))
                return mid

    def group_number(self, payer_identifier: str) -> str | None:
        pool = self.group_pools.get(payer_identifier)
        return self.pick(pool) if pool else None

    def money(self, *choices: str) -> Decimal:
        return Decimal(self.pick(choices))

    def cost_sharing(self, kind: str, priority: str, payer_identifier: str) -> tuple[Decimal, ...]:
        """(copay, coinsurance, deductible, deductible_met, out_of_pocket_max) the payer applies."""
        zero = Decimal("0.00")
        if priority != "primary" and kind != "commercial":
            return zero, Decimal("0.00"), zero, zero, zero
        if kind == "medicaid":
            return zero, Decimal("0.00"), zero, zero, zero
        if kind == "medicare":
            deductible = Decimal("283.00")      # Part B, 2026
            # Original Medicare has no out-of-pocket limit; the simulation still needs a number
            return zero, Decimal("0.20"), deductible, self.deductible_met(deductible, medicare=True), \
                Decimal("9350.00")
        if payer_identifier == "BCHMO":
            deductible = self.money("0.00", "250.00", "500.00")
            copay, coins, oop = self.money("15.00", "20.00", "30.00"), self.money("0.00", "0.10"), Decimal("4500.00")
        else:
            deductible = self.money("500.00", "1000.00", "1500.00", "2000.00", "3000.00", "5000.00")
            copay = self.money("20.00", "25.00", "30.00", "35.00", "40.00", "50.00")
            coins = self.money("0.10", "0.20", "0.30")
            oop = max(deductible, self.money("3000.00", "4000.00", "5000.00", "6000.00", "7500.00", "9200.00"))
        if priority != "primary":
            copay = Decimal("0.00")
        return copay, coins, deductible, self.deductible_met(deductible), oop

    def deductible_met(self, deductible: Decimal, medicare: bool = False) -> Decimal:
        """Met-to-date at the start of the visit window, for the time of year: in January almost
        nobody has met a deductible; by the fourth quarter about half of commercial members and
        most Medicare members (a $283 Part B deductible) have met it in full, few have met nothing."""
        year_start = date(self.start.year, 1, 1)
        elapsed = min(1.0, (self.start - year_start).days / 365)
        full = (0.15 + 0.75 * elapsed) if medicare else 0.6 * elapsed
        nothing = (1 - elapsed) * (0.6 if medicare else 0.5)
        roll = self.r.random()
        if roll < full:
            met = deductible
        elif roll < full + nothing:
            met = Decimal(0)
        else:  # partly met: more of it later in the year
            cap = min(Decimal(1), Decimal(str(round(max(elapsed, 0.1) * 1.3, 2))))
            met = Decimal(self.randint(0, int(deductible * cap * 100))) / 100
        return met.quantize(CENT)

    # --- the practice's fixed parts ------------------------------------------------------

    def organisations(self) -> None:
        t = self.t
        for i, (name, taxonomy, addr, city, zip9, phone, contact) in enumerate(ref.BILLING_PROVIDERS, 1):
            t["pm.billing_providers"].append(
                (i, self.npi(), name, ref.BILLING_PROVIDER_EINS[i - 1], taxonomy, addr, city, ref.HOME_STATE, zip9,
                 phone, contact))
        for i, (name, addr, city, zip9, _pos) in enumerate(ref.FACILITIES, 1):
            t["pm.facilities"].append((i, self.npi(), name, addr, city, ref.HOME_STATE, zip9))
        self.facility_by_pos = {pos: i for i, (*_, pos) in enumerate(ref.FACILITIES, 1)}

        self.roles: dict[str, list[int]] = {}
        pid = 0
        for role, taxonomy, count in ref.RENDERING_ROLES:
            for _ in range(count):
                pid += 1
                last, first, _sex = self.person()
                t["pm.providers"].append((pid, self.npi(), last, first, taxonomy))
                self.roles.setdefault(role, []).append(pid)
        for taxonomy in ref.REFERRING_TAXONOMIES:
            pid += 1
            last, first, _sex = self.person()
            t["pm.providers"].append((pid, self.npi(), last, first, taxonomy))
            self.roles.setdefault("referring", []).append(pid)
        # clinicians whose NPI fails the check digit: only invalid_npi visits use them
        for _ in range(ref.INVALID_NPI_PROVIDERS):
            pid += 1
            last, first, _sex = self.person()
            t["pm.providers"].append((pid, self.bad_npi(), last, first, "207Q00000X"))
            self.roles.setdefault("invalid", []).append(pid)

        self.payer_ids: dict[str | None, int] = {}
        self.payer_kind: dict[str | None, str] = {}
        for i, (name, ident, cfi, days, kind, addr, city, state, zip9) in enumerate(ref.PAYERS, 1):
            t["pm.payers"].append((i, name, ident, cfi, days, kind == "self", addr, city, state, zip9))
            self.payer_ids[ident] = i
            self.payer_kind[ident] = kind
        self.group_pools = {
            ident: [self._group(ident) for _ in range(60)] for ident in ref.COMMERCIAL_IDS
        }
        t["pm.fee_schedule"].extend(ref.FEE_SCHEDULE)

    def _group(self, ident: str) -> str:
        if ident == "AETNA":
            return f"0{self.randint(100000, 999999)}"
        if ident == "BCBS01":
            return f"{self.randint(10000, 99999)}{self.pick('ABCDEFGH')}{self.randint(100, 999)}"
        if ident == "UHC01":
            return f"7{self.randint(100000, 999999)}"
        if ident == "CIGNA":
            return f"00{self.randint(10000, 99999)}"
        return f"HM{self.randint(1000, 9999)}"

    # --- patients, policies and the payers' view of them --------------------------------

    def new_patient(self, *, simple: bool = False, plan_end: date | None = None) -> _Patient:
        """A patient with coverage. `simple`: one primary policy, self-subscribed, never self-pay.

        A minor gets a parent (or another adult) as guarantor, see `family_for`; the main random
        stream is drawn exactly as if there were no families, so visits and money stay the same."""
        r = self.r
        roll = r.random()
        if simple:
            band = (18, 64) if roll < 0.8 else (67, 92)
        else:
            band = (0, 17) if roll < 0.20 else (18, 39) if roll < 0.45 else (40, 64) if roll < 0.77 else (67, 95)
        age = self.randint(*band)
        last, first, sex = self.person()
        birth = self.birth_date(age)
        addr = self.address()
        pid = len(self.patients) + 1

        # (payer identifier, relationship to subscriber) of the primary policy
        k = r.random()
        if age >= 65:
            primary = ("MCR01", "18") if k < 0.78 else ("BCHMO", "18") if k < 0.86 else \
                (self.pick(ref.COMMERCIAL_IDS[:4]), self.pick(("18", "01"))) if k < 0.97 else (None, "18")
        elif age < 18:
            primary = ("MCD01", "18") if k < 0.35 else (self.pick(ref.COMMERCIAL_IDS), "19") if k < 0.95 \
                else (None, "18")
        elif age < 26:
            primary = (self.pick(ref.COMMERCIAL_IDS), "19") if k < 0.40 else \
                (self.pick(ref.COMMERCIAL_IDS), "18") if k < 0.70 else ("MCD01", "18") if k < 0.90 else (None, "18")
        else:
            primary = (self.pick(ref.COMMERCIAL_IDS), "18") if k < 0.62 else \
                (self.pick(ref.COMMERCIAL_IDS), "01") if k < 0.77 else ("MCD01", "18") if k < 0.94 else (None, "18")
        if simple:
            ident = primary[0] or self.pick(ref.COMMERCIAL_IDS)
            primary = (ident, "18")

        ident, rel = primary
        family = self.family_for(ident, rel, birth) if age < 18 and not simple else None
        if family is not None and family.children:  # a sibling: the family's name and home
            last, addr = family.last, family.addr
        patient = _Patient(pid, birth, sex, self.payer_kind[ident], ident)
        self.patients.append(patient)
        if ident is not None:
            effective = self.effective_date(birth)
            if ident == "MCR01":  # Medicare starts the first of the 65th-birthday month
                effective = max(effective, date(birth.year + 65, birth.month, 1))
            joined = family is not None and family.children and rel == "19"
            self.add_policy(patient, (last, first, birth, sex, addr), ident, "primary", rel, effective, plan_end,
                            subscriber=family.subscriber if joined else None, group=family.group if joined else None)
        guarantor_id, relationship = None, "self"
        if family is not None:
            guarantor_id, relationship = self.join_family(family, patient, last, addr, rel)
        self.t["pm.patients"].append((pid, f"RFM{pid:07d}", last, first, birth, sex, *addr, guarantor_id,
                                      relationship))
        if ident is None:
            return patient  # self-pay: no policy

        if not simple:
            s = r.random()
            if ident == "MCR01" and s < 0.40:
                second = "MCD01" if s < 0.10 else self.pick(ref.MEDIGAP_IDS)
                self.add_policy(patient, (last, first, birth, sex, addr), second, "secondary", "18", effective, None)
            elif self.payer_kind[ident] == "commercial" and rel == "18" and 18 <= age < 65 and s < 0.14:
                second = self.pick([c for c in ref.COMMERCIAL_IDS if c != ident])
                self.add_policy(patient, (last, first, birth, sex, addr), second, "secondary", "01",
                                self.effective_date(birth), None)
        return patient

    # --- guarantors: the parent (or another adult) responsible for a minor's bills ----------

    def family_for(self, ident: str | None, rel: str, birth: date) -> _Family:
        """The family a minor belongs to: often (SIBLING_SHARE) one of the last few families on the
        same coverage, with room for another child and a parent old enough; else a new one."""
        g = self.g
        recent = self.families.setdefault((ident, rel), [])
        fits = [f for f in recent if f.children < MAX_CHILDREN
                and (f.subscriber is None or f.subscriber[2] <= birth - timedelta(days=16 * 365))]
        if fits and g.random() < SIBLING_SHARE:
            return fits[int(g.random() * len(fits))]
        family = _Family(key=(ident, rel))
        recent.append(family)
        del recent[:-6]
        return family

    def join_family(self, family: _Family, patient: _Patient, last: str, addr: tuple, rel: str) -> tuple[int, str]:
        """(guarantor id, relationship) of `patient` in `family`; the first child creates the guarantor:
        the subscriber parent of a plan held by a parent, else a parent (or now and then a
        grandparent or guardian, 'other') living at the child's address."""
        g = self.g
        if not family.children:
            family.last, family.addr = last, addr
            if rel == "19":
                policy = self.t["pm.insurance_policies"][patient.policy_ids[0] - 1]
                family.group = policy[5]
                family.subscriber = tuple(policy[7:11])
                g_last, g_first = family.subscriber[0], family.subscriber[1]
                family.relationship = "parent"
            else:
                family.relationship = "parent" if g.random() < 0.9 else "other"
                keep_name = g.random() < (0.85 if family.relationship == "parent" else 0.4)
                g_last = last if keep_name else ref.LAST_NAMES[int(g.random() * len(ref.LAST_NAMES))]
                names = ref.FEMALE_FIRST_NAMES if g.random() < 0.6 else ref.MALE_FIRST_NAMES
                g_first = names[int(g.random() * len(names))]
            email = None
            if g.random() < GUARANTOR_EMAIL_SHARE:
                local = ".".join(re.sub("[^a-z]", "", name.lower()) for name in (g_first, g_last))
                email = f"{local}{int(g.random() * 90) + 10}@example.com"
            guarantors = self.t["pm.guarantors"]
            family.guarantor_id = len(guarantors) + 1
            guarantors.append((family.guarantor_id, f"G{family.guarantor_id:07d}", g_last, g_first, *addr, email))
        family.children += 1
        return family.guarantor_id, family.relationship

    def add_policy(self, patient: _Patient, who: tuple, ident: str, priority: str, rel: str, effective: date,
                   plan_end: date | None, *, subscriber: tuple | None = None, group: str | None = None) -> None:
        """`subscriber`, `group`: a sibling on the plan its parent already holds for a brother or
        sister (the random draws for a new subscriber are still made, then replaced)."""
        r = self.r
        last, first, birth, sex, addr = who
        if rel == "18":
            sub = (last, first, birth, sex)
        elif rel == "19":  # a parent holds the plan
            p_last, p_first, p_sex = self.person(last_name=last if r.random() < 0.8 else None)
            p_birth = birth - timedelta(days=self.randint(20 * 365, 42 * 365))
            sub = (p_last, p_first, p_birth, p_sex)
        else:  # "01": the spouse holds the plan
            s_last, s_first, s_sex = self.person(sex="M" if sex == "F" else "F",
                                                 last_name=last if r.random() < 0.75 else None)
            s_birth = birth + timedelta(days=self.randint(-8 * 365, 8 * 365))
            s_birth = min(s_birth, self.today - timedelta(days=19 * 365))
            sub = (s_last, s_first, s_birth, s_sex)
        member = self.member_id(ident)
        drawn_group = self.group_number(ident)
        if subscriber is not None:
            sub, group = subscriber, group
        else:
            group = drawn_group
        payer_id = self.payer_ids[ident]
        policy_id = len(self.t["pm.insurance_policies"]) + 1
        self.t["pm.insurance_policies"].append(
            (policy_id, patient.id, payer_id, priority, member, group, rel, *sub, *addr, effective, None))
        patient.policy_ids.append(policy_id)

        kind = self.payer_kind[ident]
        sharing = self.cost_sharing(kind, priority, ident)
        status = "terminated" if plan_end else "active"
        plans = self.t["pm.synthetic_member_plans"]
        if rel != "18":  # the payer also knows the subscriber, who is not our patient
            plans.append((len(plans) + 1, payer_id, member, "18", sub[0], sub[1], sub[2], sub[3], group, status,
                          effective, plan_end, *sharing, None))
        plans.append((len(plans) + 1, payer_id, member, rel, last, first, birth, sex, group, status, effective,
                      plan_end, *sharing, policy_id))
        patient.plan_ids.append(len(plans))

    # --- encounters ------------------------------------------------------------------------

    def pick_pos(self, enc_kind: str) -> tuple[str, int | None]:
        if enc_kind in ("preventive", "pt", "procedure", "skin"):
            return "11", None
        x = self.r.random()
        if x < 0.70:
            return "11", None
        if x < 0.85:
            return "11", self.facility_by_pos["11"]
        if x < 0.95:
            return "22", self.facility_by_pos["22"]
        return "19", self.facility_by_pos["19"]

    def clinician(self, enc_kind: str, age: int) -> int:
        r = self.r
        if enc_kind == "pt":
            return self.pick(self.roles["pt"])
        if enc_kind in ("procedure", "skin") and r.random() < 0.5:
            return self.pick(self.roles["sports"])
        if age < 18 and r.random() < 0.7:
            return self.pick(self.roles["pediatrics"])
        return self.pick(self.roles[self.pick(("family", "family", "family", "internal", "np", "pa"))])

    def encounter(self, patient: _Patient, dos: date, enc_kind: str) -> _Encounter:
        r = self.r
        age = (dos - patient.birth_date).days // 365
        pos, facility = self.pick_pos(enc_kind)
        enc = _Encounter(
            billing_provider_id=2 if enc_kind == "pt" else 1,
            rendering_provider_id=self.clinician(enc_kind, age),
            referring_provider_id=None, facility_id=facility, place_of_service=pos)
        medicare = patient.payer_identifier == "MCR01"
        getattr(self, "_enc_" + enc_kind)(enc, patient, dos, age, medicare)
        if dos.month in (9, 10, 11, 12, 1, 2, 3) and enc_kind in ("sick", "chronic", "preventive") \
                and r.random() < (0.35 if enc_kind == "preventive" else 0.12) and len(enc.dx) < 12:
            z23 = enc.add_dx(ref.DX_IMMUNIZATION)
            enc.lines.append(["G0008" if medicare else "90471", [], 1, [z23]])
            enc.lines.append(["90686", [], 1, [z23]])
        return enc

    def _em(self, new: bool, weights: Sequence[int] | None = None) -> str:
        if new:
            return self.weighted(("99202", "99203", "99204", "99205"), (10, 50, 35, 5))
        return self.weighted(("99211", "99212", "99213", "99214", "99215"), weights or (3, 17, 45, 32, 3))

    def _em_pointers(self, enc: _Encounter) -> list[str]:
        return [c for c in enc.dx if c != ref.DX_EXTERNAL_CAUSE][:4]

    def _enc_sick(self, enc: _Encounter, patient: _Patient, dos: date, age: int, medicare: bool) -> None:
        r = self.r
        acute = ref.DX_ACUTE_CHILD if age < 18 else ref.DX_ACUTE_ADULT
        enc.add_dx(self.pick(acute))
        for _ in range(self.weighted((0, 1, 2, 3), (35, 35, 20, 10))):
            enc.add_dx(self.pick(acute if r.random() < 0.5 or age < 18 else ref.DX_CHRONIC))
        em = [self._em(r.random() < 0.12), [], 1, self._em_pointers(enc)]
        enc.lines.append(em)
        dx = set(enc.dx)
        if "J029" in dx and r.random() < 0.6:
            enc.lines.append(["87880", [], 1, ["J029"]])
        if "N390" in dx:
            enc.lines.append(["81002", [], 1, ["N390"]])
        chest = [c for c in ("R079", "R0602", "I4891", "I2510") if c in dx]
        if chest and r.random() < 0.6:
            enc.lines.append(["93000", [], 1, chest[:2]])
        lungs = [c for c in ("R0602", "J189", "R051", "J209", "R079") if c in dx]
        if lungs and enc.place_of_service in ("22", "19"):
            enc.lines.append(["71046", ["26"], 1, lungs[:2]])
        inflamed = [c for c in ("J209", "J0190", "J45909", "L309") if c in dx]
        if inflamed and age >= 12 and r.random() < 0.25:
            enc.lines.append(["96372", [], 1, inflamed[:1]])
            enc.lines.append(["J1100", [], self.randint(4, 10), inflamed[:1]])
            em[1] = ["25"]  # separately identifiable E/M with an injection
        if age >= 18 and r.random() < 0.15:
            enc.lines.append(["36415", [], 1, [enc.dx[0]]])
            enc.lines.append([self.pick(("80053", "85025")), [], 1, [enc.dx[0]]])

    def _enc_chronic(self, enc: _Encounter, patient: _Patient, dos: date, age: int, medicare: bool) -> None:
        r = self.r
        pool = ref.DX_CHRONIC_CHILD if age < 18 else ref.DX_CHRONIC
        complex_ = age >= 40 and r.random() < 0.04
        n = self.randint(8, 10) if complex_ else self.weighted((1, 2, 3, 4), (30, 35, 25, 10))
        for code in r.sample(pool, min(n, len(pool))):
            enc.add_dx(code)
        if complex_:
            for code in r.sample(ref.DX_SECONDARY_ONLY[:4], self.randint(1, 2)):
                enc.add_dx(code)
        elif "E1165" in enc.dx and r.random() < 0.3:
            enc.add_dx("Z79899")
        enc.lines.append([self._em(False, (0, 5, 35, 50, 10)), [], 1, self._em_pointers(enc)])
        dx = set(enc.dx)
        if age >= 18 and r.random() < 0.5:
            enc.lines.append(["36415", [], 1, [enc.dx[0]]])
            sugar = [c for c in ("E119", "E1165", "E1140", "R7303") if c in dx]
            if sugar:
                enc.lines.append(["83036", [], 1, sugar[:2]])
            lipids = [c for c in ("E785", "I2510", "I10") if c in dx]
            if lipids:
                enc.lines.append(["80061", [], 1, lipids[:2]])
            if r.random() < 0.5:
                enc.lines.append(["80053", [], 1, [enc.dx[0]]])
        heart = [c for c in ("I4891", "I2510", "I509") if c in dx]
        if heart and r.random() < 0.25:
            enc.lines.append(["93000", [], 1, heart[:2]])

    def _enc_preventive(self, enc: _Encounter, patient: _Patient, dos: date, age: int, medicare: bool) -> None:
        r = self.r
        if medicare:
            code = "G0438" if r.random() < 0.15 else "G0439"
        else:
            band = 0 if age < 1 else 1 if age < 5 else 2 if age < 12 else 3 if age < 18 else 4 if age < 40 \
                else 5 if age < 65 else 6
            code = ("9938" if r.random() < 0.15 else "9939") + str(band + 1)
        exam = enc.add_dx(self.pick(ref.DX_CHILD_EXAM if age < 18 else ref.DX_ADULT_EXAM))
        if age >= 18:
            for extra in r.sample(ref.DX_SCREENING, self.randint(0, 2)):
                enc.add_dx(extra)
        line = [code, [], 1, self._em_pointers(enc)]
        enc.lines.append(line)
        if age >= 18 and r.random() < 0.4:
            enc.lines.append(["36415", [], 1, [exam]])
            for lab in ("80053", "85025", "80061"):
                if r.random() < 0.7:
                    enc.lines.append([lab, [], 1, [exam]])
        if age >= 18 and r.random() < 0.08:  # a problem addressed at the same visit
            problem = enc.add_dx(self.pick(ref.DX_CHRONIC))
            enc.lines.append(["99213", ["25"], 1, [problem]])

    def _enc_procedure(self, enc: _Encounter, patient: _Patient, dos: date, age: int, medicare: bool) -> None:
        r = self.r
        joint, side = self.pick(ref.DX_JOINT)
        enc.add_dx(joint)
        if r.random() < 0.4:
            enc.add_dx(self.pick(("M1990", "I10", "E119", "E669")))
        if r.random() < 0.7:
            enc.lines.append([self._em(False, (0, 10, 60, 30, 0)), ["25"], 1, self._em_pointers(enc)])
        enc.lines.append(["20610", [side], 1, [joint]])
        enc.lines.append(["J3301", [], 4, [joint]])
        if patient.payer_identifier == "BCHMO":
            enc.prior_authorization = f"{self.randint(10**9, 10**10 - 1)}"

    def _enc_skin(self, enc: _Encounter, patient: _Patient, dos: date, age: int, medicare: bool) -> None:
        r = self.r
        lesion = enc.add_dx(self.pick(ref.DX_SKIN_LESION))
        if r.random() < 0.6:
            enc.add_dx(self.pick(ref.DX_CHRONIC))
            enc.lines.append(["99213", ["25"], 1, self._em_pointers(enc)])
        enc.lines.append(["11102", [], 1, [lesion]])

    def _enc_pt(self, enc: _Encounter, patient: _Patient, dos: date, age: int, medicare: bool) -> None:
        r = self.r
        for code in r.sample(ref.DX_PT + ref.DX_BACK, self.randint(1, 3)):
            enc.add_dx(code)
        enc.referring_provider_id = self.pick(self.roles["referring"])
        enc.onset_date = dos - timedelta(days=self.randint(7, 150))
        if self.payer_kind[patient.payer_identifier] == "commercial" and \
                r.random() < (0.9 if patient.payer_identifier == "BCHMO" else 0.4):
            enc.prior_authorization = f"PA{self.randint(10**7, 10**8 - 1)}"
        exercise = ["GP"] + (["KX"] if medicare and r.random() < 0.3 else [])
        enc.lines.append(["97110", exercise, self.randint(2, 4), self._em_pointers(enc)])
        if r.random() < 0.6:
            manual = ["GP", "59"]
            if medicare and r.random() < 0.4:
                manual.append("KX")
                if r.random() < 0.3:
                    manual.append("CQ")  # furnished in part by a PT assistant
            enc.lines.append(["97140", manual, self.randint(1, 2), enc.dx[:1]])

    def _enc_accident(self, enc: _Encounter, patient: _Patient, dos: date, age: int, medicare: bool) -> None:
        r = self.r
        enc.add_dx(self.pick(ref.DX_ACCIDENT))
        if r.random() < 0.5:
            enc.add_dx("M62838")
        enc.add_dx(ref.DX_EXTERNAL_CAUSE)  # external cause: listed, never the first, never pointed to
        enc.accident_type = "AA"
        enc.accident_state = self.pick(ref.ACCIDENT_STATES)
        enc.accident_date = enc.onset_date = dos - timedelta(days=self.randint(1, 14))
        enc.lines.append([self._em(r.random() < 0.4, (0, 5, 45, 45, 5)), [], 1, self._em_pointers(enc)])

    def encounter_kind(self, age: int, dirty: bool = False) -> str:
        if dirty:  # at most 5 diagnoses, so a bad pointer still fits within 12
            return "sick"
        if age < 12:
            return self.weighted(("sick", "chronic", "preventive"), (60, 10, 30))
        if age < 18:
            return self.weighted(("sick", "chronic", "preventive", "pt"), (55, 10, 30, 5))
        return self.weighted(("sick", "chronic", "preventive", "procedure", "skin", "pt", "accident"),
                             (43, 22, 10, 7, 3, 13, 2))

    # --- visits --------------------------------------------------------------------------

    def dos_in_window(self) -> date:
        if self.working_days:
            self.next_day += 1
            return self.working_days[self.next_day % len(self.working_days)]
        return self.start + timedelta(days=self.randint(0, self.window_days))

    def completed_at(self, day: date) -> datetime:
        # US office hours seen in UTC; the chart is closed the same day
        return datetime.combine(day, time(0), UTC) + timedelta(minutes=self.randint(13 * 60, 23 * 60 + 59))

    def free_day(self, patient_pool: Sequence[_Patient], day_picker) -> tuple[_Patient, date]:
        """A patient and a day on which that patient has no other visit."""
        while True:
            patient = self.pick(patient_pool)
            for _ in range(5):
                day = day_picker()
                if (patient.id, day) not in self.busy_days:
                    self.busy_days.add((patient.id, day))
                    return patient, day

    def generate(self, visits: int, dirty_share: float, dirty_kinds: Sequence[str]) -> PracticeData:
        r = self.r
        completed, scheduled, cancelled = visit_counts(visits)
        n_dirty = dirty_count(completed, dirty_share) if dirty_kinds else 0
        kinds = list(dirty_kinds)
        # spread evenly; the remainder goes to kinds picked at random
        per_kind = {k: n_dirty // len(kinds) for k in kinds} if kinds else {}
        for k in r.sample(kinds, n_dirty % len(kinds) if kinds else 0):
            per_kind[k] += 1

        self.organisations()
        clean_completed = completed - n_dirty
        # about two visits per patient, and never so few patients that their free days run out
        booked = clean_completed + scheduled + cancelled
        n_patients = max(1, -(-booked // 2), -(-2 * booked // (self.window_days + 1)))
        for _ in range(n_patients):
            self.new_patient()
        pool = list(self.patients)

        # (sort key, tiebreak, patient id, day, status, completed_at, encounter | None, dirty kind | None)
        records: list[tuple] = []
        for _ in range(clean_completed):
            patient, day = self.free_day(pool, self.dos_in_window)
            age = (day - patient.birth_date).days // 365
            enc = self.encounter(patient, day, self.encounter_kind(age))
            records.append((day, r.random(), patient.id, day, "completed", self.completed_at(day), enc, None))

        dirty_list = [k for k in kinds for _ in range(per_kind[k])]
        r.shuffle(dirty_list)
        for kind in dirty_list:
            records.append(self.dirty_visit(kind))

        for status, count in (("scheduled", scheduled), ("cancelled", cancelled)):
            for _ in range(count):
                if status == "scheduled":
                    patient, day = self.free_day(
                        pool, lambda: self.today + timedelta(days=self.randint(1, 30)))
                    created = self.end
                else:
                    patient, day = self.free_day(pool, self.dos_in_window)
                    created = day
                records.append((created, r.random(), patient.id, day, status, None, None, None))

        records.sort(key=lambda rec: (rec[0], rec[1]))
        self.emit_visits(records)
        dirty = {k: per_kind.get(k, 0) for k in kinds}
        return PracticeData(self.t, dirty, visits, completed, self.seed, self.today, self.start, self.end,
                            dirty_share, tuple(kinds))

    def dirty_visit(self, kind: str) -> tuple:
        r = self.r
        if kind == FUTURE_DOS:
            day = self.today + timedelta(days=self.randint(1, 30))
            entered = self.dos_in_window()
        else:
            day = entered = self.dos_in_window()
        plan_end = None
        if kind == TERMINATED_COVERAGE:
            plan_end = day - timedelta(days=self.randint(1, 30))
        patient = self.new_patient(simple=True, plan_end=plan_end)
        self.busy_days.add((patient.id, day))
        age = (day - patient.birth_date).days // 365
        enc = self.encounter(patient, day, self.encounter_kind(age, dirty=True))

        if kind == MISSING_MEMBER_ID:
            policies = self.t["pm.insurance_policies"]
            row = list(policies[patient.policy_ids[0] - 1])
            row[4] = None  # the front desk never keyed it; the payer still knows the member
            policies[patient.policy_ids[0] - 1] = tuple(row)
        elif kind == INVALID_NPI:
            enc.rendering_provider_id = self.pick(self.roles["invalid"])
        elif kind == NON_BILLABLE_ICD10:
            bad = self.pick([c for c in ref.NON_BILLABLE_CODES if c not in enc.dx])
            position = r.randrange(len(enc.dx))
            old = enc.dx[position]
            enc.dx[position] = bad
            for line in enc.lines:  # pointers follow the code they pointed at
                line[3] = [bad if c == old else c for c in line[3]]
        elif kind == BAD_DX_POINTER:
            line = self.pick(enc.lines)
            missing = f"#{len(enc.dx) + 1}"  # a sequence with no diagnosis behind it
            if len(line[3]) < 4:
                line[3] = line[3] + [missing]
            else:
                line[3] = line[3][:3] + [missing]
        elif kind not in (FUTURE_DOS, TERMINATED_COVERAGE):
            raise ValueError(f"unknown dirty kind {kind!r}; known: {', '.join(DIRTY_KINDS)}")
        return (entered, r.random(), patient.id, day, "completed", self.completed_at(entered), enc, kind)

    def emit_visits(self, records: Iterable[tuple]) -> None:
        t = self.t
        visits, dxs, charges, labels = (t["pm.visits"], t["pm.visit_diagnoses"], t["pm.charges"],
                                        t["pm.synthetic_visit_labels"])
        fees = ref.FEES
        charge_id = 0
        for vid, (_key, _tie, patient_id, day, status, completed_at, enc, kind) in enumerate(records, 1):
            if enc is None:
                clinician = self.pick(self.roles["family"])
                visits.append((vid, f"V{vid:07d}", patient_id, 1, clinician, None, None, "11", day, status,
                               None, None, None, None, None, None))
                continue
            visits.append((vid, f"V{vid:07d}", patient_id, enc.billing_provider_id, enc.rendering_provider_id,
                           enc.referring_provider_id, enc.facility_id, enc.place_of_service, day, status,
                           completed_at, enc.prior_authorization, enc.onset_date, enc.accident_type,
                           enc.accident_state, enc.accident_date))
            seq = {code: i for i, code in enumerate(enc.dx, 1)}
            for i, code in enumerate(enc.dx, 1):
                dxs.append((vid, i, code))
            for line_no, (code, mods, units, pointers) in enumerate(enc.lines, 1):
                charge_id += 1
                m = (mods + [None, None, None, None])[:4]
                p = [seq[c] if c in seq else int(c[1:]) for c in pointers] + [None, None, None, None]
                charges.append((charge_id, vid, line_no, code, m[0], m[1], m[2], m[3], units,
                                (fees[code] * units).quantize(CENT), p[0], p[1], p[2], p[3]))
            if kind:
                labels.append((vid, kind))


def generate_practice(*, visits: int, seed: int, dirty_share: float = 0.05,
                      dirty_kinds: Sequence[str] = DIRTY_KINDS, today: date | None = None,
                      start_date: date | None = None, end_date: date | None = None,
                      quarter: bool = False) -> PracticeData:
    """Rows for a practice with `visits` visits (about 94% completed), reproducible from `seed`.

    `quarter`: visits on every working day of the window, however long (the demo's simulated quarter)."""
    if visits < 1:
        raise ValueError("visits must be at least 1")
    if not 0 <= dirty_share <= 1:
        raise ValueError("dirty share must be between 0 and 1")
    unknown = [k for k in dirty_kinds if k not in DIRTY_KINDS]
    if unknown:
        raise ValueError(f"unknown dirty kind(s) {', '.join(unknown)}; known: {', '.join(DIRTY_KINDS)}")
    if len(set(dirty_kinds)) != len(dirty_kinds):
        raise ValueError("dirty kinds repeat")
    today, start, end = resolve_window(today, start_date, end_date, quarter=quarter)
    # hundreds of thousands of acyclic tuples: the cycle collector would only rescan them
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Generator(seed, today, start, end, working_days=quarter).generate(visits, dirty_share, tuple(dirty_kinds))
    finally:
        if collecting:
            gc.enable()
