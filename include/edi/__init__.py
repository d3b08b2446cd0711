"""X12 5010 toolkit: streaming reader, writer, per-transaction builders/parsers, pyx12 validation.

Pure Python (stdlib + pyx12), no Airflow imports.  See README.md in this folder.
"""
from .errors import Finding, X12Error
from .reader import (
                     Delimiters,
                     FunctionalGroup,
                     Interchange,
                     Segment,
                     TransactionSet,
                     iter_segments,
                     iter_transactions,
                     read_interchanges,
)
from .writer import X12Writer, build_interchange

__all__ = ["X12Error", "Finding", "Delimiters", "Segment", "Interchange", "FunctionalGroup", "TransactionSet",
           "iter_segments", "iter_transactions", "read_interchanges", "X12Writer", "build_interchange"]
