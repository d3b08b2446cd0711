"""The payer's member roster: who is covered, by which plan, with what cost sharing.

Read from the JSON the practice generator exports (the payer-side truth); the sandbox
never reads the practice's database.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

ZERO = Decimal(0)


class RosterError(ValueError):
    """The roster file cannot be used; the message names the file and the row."""


@dataclass(frozen=True)
class Member:
    payer_id: str
    member_id: str
    last_name: str
    first_name: str
    birth_date: dt.date | None
    sex: str
    group_number: str | None
    status: str                      # active | terminated
    plan_begin: dt.date
    plan_end: dt.date | None
    copay: Decimal
    coinsurance: Decimal             # fraction, e.g. 0.20
    deductible: Decimal
    deductible_met: Decimal
    out_of_pocket_max: Decimal
    relationship_code: str = "18"    # 18 the subscriber; 01 spouse, 19 child … share the member id

    @property
    def is_subscriber(self) -> bool:
        return self.relationship_code in ("18", "", None)

    def covered_on(self, day: dt.date) -> bool:
        """Coverage in force on ``day`` (a terminated plan covers up to its end date)."""
        if day < self.plan_begin:
            return False
        if self.plan_end is not None and day > self.plan_end:
            return False
        if self.status != "active" and self.plan_end is None:
            return False
        return True

    @property
    def deductible_remaining(self) -> Decimal:
        return max(ZERO, self.deductible - self.deductible_met)


@dataclass(frozen=True)
class RosterPayer:
    payer_id: str
    name: str
    claim_filing_indicator: str = "CI"


class Roster:
    def __init__(self, members: list[Member], payers: list[RosterPayer]):
        self.members = list(members)
        self.payers = {p.payer_id: p for p in payers}
        # dependents share the subscriber's member id: every row is kept, the subscriber first
        self._by_key: dict[tuple, list[Member]] = {}
        for m in self.members:
            rows = self._by_key.setdefault((m.payer_id, m.member_id), [])
            if m.is_subscriber and not (rows and rows[0].is_subscriber):
                rows.insert(0, m)
            else:
                rows.append(m)
        self._by_id: dict[str, set] = {}
        for m in self.members:
            self._by_id.setdefault(m.member_id, set()).add(m.payer_id)

    def find(self, payer_id: str | None, member_id: str | None, *, last_name: str | None = None,
             first_name: str | None = None, birth_date: dt.date | None = None) -> Member | None:
        """The member of ``payer_id`` with ``member_id`` — the subscriber, or the family member
        matching the given name/birth date when one does.  When the payer id is unknown to the
        roster, a member id held at a single payer still matches (clearinghouse payer ids vary)."""
        if not member_id:
            return None
        rows = self._by_key.get((payer_id or "", member_id))
        if rows is None and payer_id not in self.payers:
            payers = self._by_id.get(member_id, set())
            if len(payers) == 1:
                rows = self._by_key.get((next(iter(payers)), member_id))
        if not rows:
            return None
        if last_name or birth_date:
            def score(m: Member) -> int:
                return ((2 if birth_date and m.birth_date == birth_date else 0)
                        + (1 if last_name and m.last_name.upper() == last_name.upper() else 0)
                        + (1 if first_name and m.first_name.upper() == first_name.upper() else 0))
            best = max(rows, key=score)
            if score(best) > score(rows[0]):
                return best
        return rows[0]

    def payer_name(self, payer_id: str) -> str:
        p = self.payers.get(payer_id)
        return p.name if p else payer_id

    @classmethod
    def from_dict(cls, data: dict, source: str = "roster") -> "Roster":
        if not isinstance(data, dict) or not isinstance(data.get("members"), list):
            raise RosterError(f"{source}: expected an object with a 'members' list")
        members = []
        for i, row in enumerate(data["members"]):
            members.append(_member(row, f"{source}: members[{i}]"))
        payers = []
        for i, row in enumerate(data.get("payers") or []):
            if not isinstance(row, dict) or not row.get("payer_id"):
                raise RosterError(f"{source}: payers[{i}]: payer_id missing")
            payers.append(RosterPayer(str(row["payer_id"]), str(row.get("name") or row["payer_id"]),
                                      str(row.get("claim_filing_indicator") or "CI")))
        return cls(members, payers)

    @classmethod
    def load(cls, path: str | Path) -> "Roster":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise RosterError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise RosterError(f"{path}: not valid JSON: {exc}") from None
        return cls.from_dict(data, str(path))


def _date(v, where, field, required=True):
    if v in (None, ""):
        if required:
            raise RosterError(f"{where}: {field} missing")
        return None
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise RosterError(f"{where}: {field} is not an ISO date") from None


def _money(v, where, field, default="0"):
    try:
        d = Decimal(str(default if v in (None, "") else v))
    except InvalidOperation:
        raise RosterError(f"{where}: {field} is not a number") from None
    if not d.is_finite() or d < 0:
        raise RosterError(f"{where}: {field} must be a non-negative number")
    return d


def _member(row, where) -> Member:
    if not isinstance(row, dict):
        raise RosterError(f"{where}: expected an object")
    for f in ("payer_id", "member_id"):
        if not row.get(f):
            raise RosterError(f"{where}: {f} missing")
    status = row.get("status") or "active"
    if status not in ("active", "terminated"):
        raise RosterError(f"{where}: status must be 'active' or 'terminated'")
    coins = _money(row.get("coinsurance"), where, "coinsurance")
    if coins > 1:
        raise RosterError(f"{where}: coinsurance is a fraction (0.20), not a percent")
    return Member(
        payer_id=str(row["payer_id"]), member_id=str(row["member_id"]),
        last_name=str(row.get("last_name") or ""), first_name=str(row.get("first_name") or ""),
        birth_date=_date(row.get("birth_date"), where, "birth_date", required=False),
        sex=str(row.get("sex") or "U"), group_number=row.get("group_number") or None,
        status=status, plan_begin=_date(row.get("plan_begin"), where, "plan_begin"),
        plan_end=_date(row.get("plan_end"), where, "plan_end", required=False),
        copay=_money(row.get("copay"), where, "copay"), coinsurance=coins,
        deductible=_money(row.get("deductible"), where, "deductible"),
        deductible_met=_money(row.get("deductible_met"), where, "deductible_met"),
        out_of_pocket_max=_money(row.get("out_of_pocket_max"), where, "out_of_pocket_max", "999999999"),
        relationship_code=str(row.get("relationship_code") or "18"))
