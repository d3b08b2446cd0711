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


DELIMITER_NAMES = {"element": "element separator", "component": "component separator",
                   "repetition": "repetition separator", "segment": "segment terminator"}


class DelimiterInDataError(X12Error):
    """The writer refused a value holding one of the interchange's delimiters (X12 has no
    escape: the receiver would split the element there).  Names where, never the value
    (it may be a patient's name): ``segment_id`` ("NM1"), ``element`` (1-based, 3 for NM103),
    ``component`` (1-based within a composite, or None), ``field`` ("NM103", "SV101-2"),
    ``delimiter`` ("element", "component", "repetition" or "segment") and ``character``."""

    def __init__(self, segment_id: str, element: int, delimiter: str, character: str, *,
                 component: int | None = None, segment_index: int | None = None):
        self.segment_id = segment_id
        self.element = element
        self.component = component
        self.field = f"{segment_id}{element:02d}" + (f"-{component}" if component is not None else "")
        self.delimiter = delimiter
        self.character = character
        super().__init__(f"{self.field} holds the {DELIMITER_NAMES[delimiter]} {character!r}: X12 data cannot "
                         f"contain the interchange's delimiters", segment_index=segment_index)

    def __reduce__(self):
        return (_rebuild_delimiter, (self.segment_id, self.element, self.delimiter, self.character,
                                     self.component, self.segment_index))


def _rebuild_delimiter(segment_id, element, delimiter, character, component, segment_index):
    return DelimiterInDataError(segment_id, element, delimiter, character, component=component,
                                segment_index=segment_index)


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
