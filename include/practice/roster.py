"""The payers' roster for the clearinghouse sandbox: who is covered, how, and until when.

Payer-side truth drawn from pm.synthetic_member_plans (the practice itself never reads it).
The file holds PHI, so it is written 0600, atomically (a reader never sees half a file).
Money and rates are strings ("25.00", "0.20") so no reader turns them into floats.
Members missing from the roster are unknown to the payer.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import psycopg

_MEMBERS = """
SELECT p.payer_identifier, m.member_id, m.last_name, m.first_name, m.birth_date, m.sex, m.group_number,
       m.status, m.plan_begin, m.plan_end, m.copay, m.coinsurance, m.deductible, m.deductible_met,
       m.out_of_pocket_max, m.relationship_code
  FROM pm.synthetic_member_plans m
  JOIN pm.payers p ON p.id = m.payer_id
 ORDER BY m.id
"""
_PAYERS = """
SELECT payer_identifier, name, claim_filing_indicator
  FROM pm.payers
 WHERE NOT is_self_pay AND payer_identifier IS NOT NULL
 ORDER BY id
"""


def _iso(value):
    return value.isoformat() if value is not None else None


def roster_document(conn: psycopg.Connection) -> dict:
    """The roster as a JSON-ready dict: {"members": [...], "payers": [...]}."""
    members = [
        {
            "payer_id": payer, "member_id": member, "last_name": last, "first_name": first,
            "birth_date": _iso(birth), "sex": sex, "group_number": group, "status": status,
            "plan_begin": _iso(begin), "plan_end": _iso(end), "copay": str(copay), "coinsurance": str(coins),
            "deductible": str(deductible), "deductible_met": str(met), "out_of_pocket_max": str(oop),
            "relationship_code": rel,
        }
        for (payer, member, last, first, birth, sex, group, status, begin, end, copay, coins, deductible, met,
             oop, rel) in conn.execute(_MEMBERS)
    ]
    payers = [{"payer_id": ident, "name": name, "claim_filing_indicator": cfi}
              for ident, name, cfi in conn.execute(_PAYERS)]
    return {"members": members, "payers": payers}


def export_roster(conn: psycopg.Connection | str, path: str | os.PathLike) -> int:
    """Write the roster JSON to `path` (mode 0600); return the number of members.

    `conn` is a psycopg connection or a database URL.
    """
    if isinstance(conn, str):
        with psycopg.connect(conn) as own:
            document = roster_document(own)
    else:
        document = roster_document(conn)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".roster-", suffix=".json", dir=target.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1)
            out.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(document["members"])
