"""The ledger's one writer: every row of billing.edi_files, billing.claim_events and
billing.work_queue is inserted here (tests/unit/architecture/test_ledger_writers.py checks it).

Its SQL lives in include/sql/queries/ledger/; the rest of include.billing calls these functions.
"""

from include.billing.ledger.files import Stored, store_file, store_files

__all__ = ["Stored", "store_file", "store_files"]
