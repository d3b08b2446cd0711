"""The one documented error type for malformed X12 input, and structured findings."""
from __future__ import annotations

from dataclasses import asdict, dataclass


class X12Error(Exception):
    """Malformed X12 input where meaning is lost.

    str() looks like ``"claims.837: segment 14 (byte 812): ISA segment too short"``.
    """

    def __init__(self, message: str, *, file: str | None = None,
                 segment_index: int | None = None, offset: int | None = None):
        self.message = message
        self.file = file
        self.segment_index = segment_index
        self.offset = offset
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.segment_index is not None:
            loc = f"segment {self.segment_index}"
            if self.offset is not None:
                loc += f" (byte {self.offset})"
            parts.append(loc)
        elif self.offset is not None:
            parts.append(f"byte {self.offset}")
        parts.append(self.message)
        return ": ".join(parts)

    def __reduce__(self):
        return (_rebuild, (self.message, self.file, self.segment_index, self.offset))


def _rebuild(message, file, segment_index, offset):
    return X12Error(message, file=file, segment_index=segment_index, offset=offset)


@dataclass
class Finding:
    """A problem found in a file: ``severity`` is 'error' or 'warning'."""

    severity: str
    code: str
    message: str
    segment: str | None = None
    segment_index: int | None = None
    element: str | None = None
    file: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        loc = []
        if self.file:
            loc.append(self.file)
        if self.segment_index is not None:
            loc.append(f"segment {self.segment_index}")
        if self.segment:
            loc.append(self.segment + (f"/{self.element}" if self.element else ""))
        where = ": ".join(loc)
        return f"{self.severity} {self.code}: {where + ': ' if where else ''}{self.message}"
