"""Claim statuses, their order, and the one way to change a claim's status.

The rules and the writes live in the ledger (include/billing/ledger/moves.py); this module keeps
the names its callers import.
"""

from __future__ import annotations

from include.billing.ledger.moves import STATUSES, TRANSITIONS, may_move, set_status, set_statuses

__all__ = ["STATUSES", "TRANSITIONS", "may_move", "set_status", "set_statuses"]
