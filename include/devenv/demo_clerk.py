"""The demo's billing clerk: works the open correction and new-claim items as a real clerk could.

A clerk knows only what the practice's own records say, so the answer key is fixed and names,
for each field a denial item can ask about, where the right value is found:

| field               | the answer key                                                     |
|---------------------|--------------------------------------------------------------------|
| procedure_code      | the coded encounter: pm.charges.procedure_code of the line's charge |
| modifiers           | the coded encounter: pm.charges.modifier1..4                         |
| dx_pointers         | the coded encounter: pm.charges.dx_pointer1..4                       |
| diagnosis           | the visit's coded diagnoses: pm.visit_diagnoses, in sequence         |
| member_id           | the insurance card (the simulated payer's roster for the policy)     |
| coverage_order      | the insurance card: the roster shows the policy in force that day    |
| prior_authorization | the visit's authorization (pm.visits, which the 837 reads already)   |

The clerk corrects only the field the item names (all of the lines' coded fields when the item
names none, e.g. CO-16 without a specific RARC), only where the claim differs from the record,
with the record's value. It never adds a modifier or cuts a pointer the record doesn't have.
When the record agrees with the claim, the claim was coded as documented: it is released as it
is (a replacement or new claim the payer can reprocess), with an event saying so. Every released
claim goes through the full scrubber (include.billing.workqueue.release). A COB item is resolved
only when the card confirms the coverage order; otherwise the claim waits for a person.
"""

from __future__ import annotations

import datetime as dt
import logging

from include.billing import workqueue
from include.billing.ledger import record_event
from include.billing.rcm_sql import query

log = logging.getLogger(__name__)

LINE_FIELDS = {"procedure_code": "chart_code", "modifiers": "chart_modifiers", "dx_pointers": "chart_pointers"}


def _value(field: str, v) -> str:
    return ",".join(str(x) for x in v) if isinstance(v, (list, tuple)) else str(v)


def corrections_from_record(conn, claim_id: int, fix: str | None) -> list[tuple[str, str, int | None, int | None]]:
    """(field, value, line_number, position) for each place the claim differs from the record,
    limited to the field the item names (None: the lines' coded fields and the diagnoses)."""
    out: list[tuple[str, str, int | None, int | None]] = []
    fields = [fix] if fix else [*LINE_FIELDS, "diagnosis"]
    lines = conn.execute(query("denials", "clerk_chart_lines"), {"claim_id": claim_id}).fetchall()
    chart = conn.execute(query("denials", "clerk_chart_claim"), {"claim_id": claim_id}).fetchone()
    dx, chart_dx, member_id, roster_member_id, _covers = chart
    for field in fields:
        if field in LINE_FIELDS:
            for number, code, mods, pointers, chart_code, chart_mods, chart_pointers in lines:
                claim_v = {"procedure_code": code, "modifiers": list(mods or []),
                           "dx_pointers": list(pointers or [])}[field]
                record_v = {"procedure_code": chart_code, "modifiers": list(chart_mods or []),
                            "dx_pointers": list(chart_pointers or [])}[field]
                if chart_code is not None and record_v != claim_v and (record_v or field == "modifiers"):
                    out.append((field, _value(field, record_v), number, None))
        elif field == "diagnosis" and chart_dx:
            for pos, code in enumerate(chart_dx, start=1):
                if pos > len(dx or []) or dx[pos - 1] != code:
                    out.append(("diagnosis", code, None, pos))
        elif field == "member_id" and roster_member_id and roster_member_id != member_id:
            out.append(("member_id", roster_member_id, None, None))
    return out


def auto_correct_for_demo(conn, actor: str, limit: int | None = None, today: dt.date | None = None) -> int:
    """Work the open correction / new-claim items; returns how many claims were released."""
    done = 0
    conn.commit()
    rows = conn.execute(query("denials", "open_correctable"), {"limit": limit or 1_000_000}).fetchall()
    conn.commit()
    for item_id, claim_id, reason_code, _action, fix in rows:
        try:
            with conn.transaction():
                if fix == "coverage_order":
                    covers = conn.execute(query("denials", "clerk_chart_claim"), {"claim_id": claim_id}).fetchone()[4]
                    if not covers:
                        log.info("demo clerk: claim %s coverage not confirmed by the card; left to a person", claim_id)
                        continue
                    for (cob_id,) in conn.execute(query("denials", "open_coverage_items"),
                                                  {"claim_id": claim_id}).fetchall():
                        workqueue.resolve(conn, cob_id, actor=actor,
                                          note="coverage order confirmed against the insurance card")
                    changes = []
                else:
                    changes = corrections_from_record(conn, claim_id, fix)
                for field, value, line_number, position in changes:
                    workqueue.correct(conn, item_id, field, value, actor=actor, line_number=line_number,
                                      position=position)
                if not changes:
                    record_event(conn, claim_id, "verified_against_record", actor=actor,
                              detail={"work_item_id": item_id, "field": fix, "changed": False},
                              dedupe_key=f"verified:{item_id}")
                workqueue.release(conn, item_id, actor=actor, today=today)
            done += 1
        except workqueue.ActionError as exc:
            log.info("demo clerk skipped item %s (%s): %s", item_id, reason_code, exc)
    return done
