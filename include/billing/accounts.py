"""A visit's account under coordination of benefits: who paid, what was written down, what the
patient owes, and what still waits for a payer.

The rules (docs/accounts.md has them with their sources):

- Payers adjudicate in order: primary (P), then secondary (S), then tertiary (T). Each later
  payer is sent only what the earlier one left to the patient (its PR, CLP05).
- The patient owes what the LAST payer to adjudicate left to them (its CLP05). A primary's PR
  on a visit that has a next payer is *pending* that payer, not billed to the patient; the
  next payer's CLP05 replaces it, it does not add to it.
- Write-downs (CO, PI, OA other than CARC 23) are counted once per visit, balance-forward:
  the primary's own provider-liable adjustments, then for each later payer what it took off
  the balance passed to it (balance − its payment − its PR). A secondary's OA-23 ("impact of
  prior payer") and its restatement of the primary's CO-45 are not write-downs of ours.
- Money the payers paid is the sum of every CLP04 of the visit's claims, reversals (negative)
  included, less PLB recoupments that name one of those claims.
- A visit's insurance is finished when the last payer in the chain has adjudicated and that
  adjudication stands (not reversed, not an open denial, not a crossover still awaited).
  Until then the part no payer has settled is `pending_insurance`, so that always
  charge = insurance_paid + contractual_adjustments + patient_responsibility + pending_insurance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from .carc import patient_category
from .rcm_sql import query

ZERO = Decimal("0.00")
LEVELS = ("P", "S", "T")
# an adjudication in one of these stands: the payer is done with the claim
SETTLED = frozenset({"paid", "partially_paid", "written_off", "closed"})
SUPERSEDED = frozenset({"replaced", "voided"})


@dataclass
class ClaimState:
    claim_id: int
    claim_number: str
    responsibility: str
    version: int
    frequency_code: str
    status: str
    payer_id: str | None
    total_charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    standing: int
    provider_liable: Decimal
    pr_by_reason: dict[str, Decimal]
    recouped: Decimal
    open_denied: Decimal = ZERO        # denied amounts whose correction or appeal is still open

    def to_dict(self) -> dict:
        return {"claim_id": self.claim_number, "payer_id": self.payer_id, "responsibility": self.responsibility,
                "frequency_code": self.frequency_code, "status": self.status}


@dataclass
class Account:
    visit_id: int
    visit_number: str
    patient_id: int
    claims: list[ClaimState] = field(default_factory=list)
    charge: Decimal = ZERO
    insurance_paid: Decimal = ZERO
    contractual_adjustments: Decimal = ZERO
    patient_responsibility: Decimal = ZERO
    patient_paid: Decimal = ZERO
    pending_insurance: Decimal = ZERO
    finished: bool = False
    # the claim whose adjudication set what the patient owes, and its PR by ledger category
    responsible_claim_id: int | None = None
    patient_categories: dict[str, Decimal] = field(default_factory=dict)
    # the date of the last patient statement that listed the visit (include/billing/statements.py)
    last_statement_date: dt.date | None = None

    @property
    def patient_balance(self) -> Decimal:
        return self.patient_responsibility - self.patient_paid

    def to_dict(self) -> dict:
        def m(v: Decimal) -> str:
            return f"{v:.2f}"

        return {"visit_id": self.visit_number, "patient_id": self.patient_id,
                "claims": [c.to_dict() for c in self.claims],
                "charge": m(self.charge), "insurance_paid": m(self.insurance_paid),
                "contractual_adjustments": m(self.contractual_adjustments),
                "patient_responsibility": m(self.patient_responsibility), "patient_paid": m(self.patient_paid),
                "patient_balance": m(self.patient_balance), "pending_insurance": m(self.pending_insurance),
                "insurance_finished": self.finished,
                "last_statement_date": self.last_statement_date.isoformat() if self.last_statement_date else None}


def _current(claims: list[ClaimState]) -> ClaimState | None:
    """The claim of one payer level that counts now: the latest version that is not a void."""
    live = [c for c in claims if c.frequency_code != "8" and c.status != "voided"]
    return live[-1] if live else None


def settle(account: Account) -> Account:
    """Work out the account's figures from its claims (see the module docstring)."""
    by_level: dict[str, list[ClaimState]] = {lvl: [] for lvl in LEVELS}
    for c in account.claims:
        by_level[c.responsibility].append(c)
    primary = _current(by_level["P"]) or (account.claims[0] if account.claims else None)
    account.charge = primary.total_charge if primary else ZERO
    account.insurance_paid = sum((c.paid - c.recouped for c in account.claims), ZERO)
    contractual, owed, finished, all_settled = ZERO, ZERO, False, True
    balance = account.charge
    responsible: ClaimState | None = None
    for i, level in enumerate(LEVELS):
        cur = _current(by_level[level])
        if cur is None or cur.standing <= 0:
            break                                  # this payer has not (or no longer) adjudicated
        level_paid = sum((c.paid for c in by_level[level]), ZERO)
        writedown = cur.provider_liable if level == "P" else balance - level_paid - cur.patient_responsibility
        # settled: the payer is done and nobody is pursuing it further; a denial that left everything
        # unpaid to the patient (PR-27, PR-204) is settled too: there is nothing to appeal for us
        settled = cur.status in SETTLED or (cur.status == "denied" and cur.provider_liable == 0)
        if settled and not cur.open_denied:
            contractual += writedown
        elif settled:
            contractual += writedown - cur.open_denied   # a denied line still being corrected or appealed
            all_settled = False
        else:
            all_settled = False                    # an open denial or a reversal: its part is pending
        nxt = next((c for c in (_current(by_level[n]) for n in LEVELS[i + 1:]) if c is not None), None)
        if nxt is not None and cur.patient_responsibility > 0:
            balance = cur.patient_responsibility   # passed on to the next payer: pending, not billed
            continue
        owed, responsible, finished = cur.patient_responsibility, cur, all_settled
        break
    account.contractual_adjustments = contractual
    account.patient_responsibility = owed
    remainder = account.charge - account.insurance_paid - contractual - owed
    # money no payer's standing adjudication explains (e.g. a recoupment with no re-adjudication
    # yet) keeps the visit open: it is shown as pending, for a person to look at
    account.finished = finished and remainder == 0
    account.pending_insurance = remainder
    account.responsible_claim_id = responsible.claim_id if responsible else None
    cats: dict[str, Decimal] = {}
    if responsible is not None and owed:
        for carc, amount in responsible.pr_by_reason.items():
            cat = patient_category(carc)
            cats[cat] = cats.get(cat, ZERO) + amount
        gap = owed - sum(cats.values(), ZERO)      # CLP05 that its PR adjustments don't explain
        if gap:
            cats["non_covered"] = cats.get("non_covered", ZERO) + gap
    account.patient_categories = {k: v for k, v in cats.items() if v}
    return account


def load_accounts(conn, visit_ids: list[int] | None = None, *, as_of: dt.date | None = None) -> list[Account]:
    """The accounts of the given visits (all visits with a claim when None), as the ledger stood
    at the end of `as_of` (UTC; everything posted when None)."""
    cutoff = (dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc) if as_of
              else dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc))
    params = {"visit_ids": list(visit_ids) if visit_ids is not None else None, "as_of": cutoff}
    accounts: dict[int, Account] = {}
    for row in conn.execute(query("accounts", "visit_claims"), params).fetchall():
        (claim_id, number, visit_id, visit_number, patient_id, resp, version, freq, status, charge, payer,
         paid, pr, standing, liable, pr_rows, recouped, _last, open_denied) = row
        acct = accounts.get(visit_id)
        if acct is None:
            acct = accounts[visit_id] = Account(visit_id, visit_number, patient_id)
        acct.claims.append(ClaimState(
            claim_id, number, resp, version, freq, status, payer, charge, paid, pr, standing, liable,
            {k: Decimal(str(v)) for k, v in (pr_rows or {}).items()}, recouped, open_denied))
    for visit_id, paid in conn.execute(query("accounts", "patient_paid"), params).fetchall():
        if visit_id in accounts:
            accounts[visit_id].patient_paid = paid
    for visit_id, day in conn.execute(query("accounts", "last_statement_date"), params).fetchall():
        if visit_id in accounts:
            accounts[visit_id].last_statement_date = day
    return [settle(a) for a in accounts.values()]


def ledger_deltas(conn, accounts: list[Account], *, source: str) -> list[tuple]:
    """Patient-ledger rows that bring each visit's insurance-driven entries to what its account
    says the patient owes now, per claim and category: the rows COPY writes, keyed by `source`
    (e.g. the remittance) so the same adjudication never moves the ledger twice."""
    claim_ids = [c.claim_id for a in accounts for c in a.claims]
    if not claim_ids:
        return []
    held: dict[tuple[int, str], Decimal] = {
        (cid, cat): amount for cid, cat, amount in
        conn.execute(query("accounts", "patient_ledger_by_claim"), {"claim_ids": claim_ids}).fetchall()}
    rows = []
    for a in accounts:
        want = {(a.responsible_claim_id, cat): amt for cat, amt in a.patient_categories.items()}
        keys = {k for k in held if k[0] in {c.claim_id for c in a.claims}} | set(want)
        for claim_id, cat in sorted(keys, key=lambda k: (k[0], k[1])):
            delta = want.get((claim_id, cat), ZERO) - held.get((claim_id, cat), ZERO)
            if delta:
                rows.append((a.patient_id, claim_id, "patient_responsibility", cat, delta,
                             f"acct:{source}:{claim_id}:{cat}"))
    return rows
