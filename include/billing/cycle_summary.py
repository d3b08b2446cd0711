"""The demo's summary of the revenue cycle, from the ledger (one named query)."""

from __future__ import annotations

from .rcm_sql import query

FIELDS = ("claims_accepted", "claims_rejected", "claims_paid", "claims_denied", "claims_corrected",
          "payments_posted_total", "patient_responsibility_total")


def cycle_summary(conn) -> dict:
    """Counts (int) and money (str, 2 decimals): claims_accepted, claims_rejected, claims_paid,
    claims_denied, claims_corrected, payments_posted_total, patient_responsibility_total."""
    row = conn.execute(query("posting", "cycle_summary")).fetchone()
    out = dict(zip(FIELDS, row))
    for k in ("payments_posted_total", "patient_responsibility_total"):
        out[k] = f"{out[k]:.2f}"
    return out
