"""The ledger's one writer: every row of billing.edi_files, billing.claim_events and
billing.work_queue is inserted here, a work item is updated and closed here, every claim status
moves here, the patient-side money (payments, their applications, credit balances, refunds,
self-pay charges) is recorded here, and remittance.py writes every payment, adjustment and
patient-ledger entry of an 835 (posting stages them, it writes them);
tests/unit/architecture/test_ledger_writers.py checks the writes.

Its SQL lives in include/sql/queries/ledger/; the rest of include.billing calls these functions.
"""

from include.billing.ledger.events import (
                                           CURRENT,
                                           Event,
                                           record_claims_created,
                                           record_event,
                                           record_events,
                                           record_secondaries_created,
)
from include.billing.ledger.files import Stored, store_file, store_files
from include.billing.ledger.moves import ignored, may_move, move_claims, set_status, set_statuses
from include.billing.ledger.work import (
                                         DUE_SOON,
                                         WorkItem,
                                         assign_work_item,
                                         close_superseded_denial_items,
                                         close_work_item,
                                         close_work_items,
                                         open_work_item,
                                         open_work_items,
                                         update_work_item,
                                         work_item_id,
)

__all__ = ["CURRENT", "DUE_SOON", "Event", "Stored", "WorkItem", "assign_work_item", "close_superseded_denial_items", "close_work_item",
           "close_work_items", "ignored", "may_move", "move_claims", "open_work_item", "open_work_items",
           "record_claims_created", "record_event", "record_events", "record_secondaries_created", "set_status",
           "set_statuses", "store_file", "store_files", "update_work_item", "work_item_id"]
