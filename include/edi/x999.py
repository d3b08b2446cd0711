"""999 implementation acknowledgment (005010X231A1): parse, explain, build."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ._common import transactions
from .reader import Delimiters, TransactionSet
from .schema import X231A1, compiled
from .writer import DEFAULT, build_interchange

VERSION = "005010X231A1"

IK5_STATUS = {  # IK501 / AK901
    "A": "Accepted", "E": "Accepted but errors were noted", "P": "Partially accepted",
    "M": "Rejected, message authentication code (MAC) failed", "R": "Rejected",
    "W": "Rejected, assurance failed validity tests",
    "X": "Rejected, content after decryption could not be analyzed",
}
IK3_CODES = {  # segment syntax error codes (620)
    "1": "Unrecognized segment ID", "2": "Unexpected segment", "3": "Required segment missing",
    "4": "Loop occurs over maximum times", "5": "Segment exceeds maximum use",
    "6": "Segment not in defined transaction set", "7": "Segment not in proper sequence",
    "8": "Segment has data element errors", "I4": "Implementation \"Not Used\" segment present",
    "I6": "Implementation dependent segment missing", "I7": "Implementation loop occurs under minimum times",
    "I8": "Implementation segment below minimum use",
    "I9": "Implementation dependent \"Not Used\" segment present",
}
IK4_CODES = {  # data element syntax error codes (621)
    "1": "Required data element missing", "2": "Conditional required data element missing",
    "3": "Too many data elements", "4": "Data element too short", "5": "Data element too long",
    "6": "Invalid character in data element", "7": "Invalid code value", "8": "Invalid date",
    "9": "Invalid time", "10": "Exclusion condition violated", "12": "Too many repetitions",
    "13": "Too many components", "I6": "Code value not used in implementation",
    "I9": "Implementation dependent data element missing",
    "I10": "Implementation \"Not Used\" data element present",
    "I11": "Implementation too few repetitions", "I12": "Implementation pattern match failure",
    "I13": "Implementation dependent \"Not Used\" data element present",
}
IK5_CODES = {  # transaction set syntax error codes (718)
    "1": "Transaction set not supported", "2": "Transaction set trailer missing",
    "3": "Transaction set control number in header and trailer do not match",
    "4": "Number of included segments does not match actual count", "5": "One or more segments in error",
    "6": "Missing or invalid transaction set identifier", "7": "Missing or invalid transaction set control number",
    "8": "Authentication key name unknown", "9": "Encryption key name unknown",
    "10": "Requested service (authentication or encryption) not available", "11": "Unknown security recipient",
    "12": "Incorrect message length (encryption only)", "13": "Message authentication code failed",
    "15": "Unknown security originator", "16": "Syntax error in decrypted text", "17": "Security not supported",
    "18": "Transaction set not in functional group",
    "19": "Invalid transaction set implementation convention reference",
    "23": "Transaction set control number not unique within the functional group",
    "24": "S3E security end segment missing for S3S security start segment",
    "25": "S3S security start segment missing for S3E security end segment",
    "26": "S4E security end segment missing for S4S security start segment",
    "27": "S4S security start segment missing for S4E security end segment",
    "I5": "Implementation one or more segments in error", "I6": "Implementation convention not supported",
}
AK9_CODES = {  # functional group syntax error codes (716)
    "1": "Functional group not supported", "2": "Functional group version not supported",
    "3": "Functional group trailer missing",
    "4": "Group control number in the functional group header and trailer do not agree",
    "5": "Number of included transaction sets does not match actual count",
    "6": "Group control number violates syntax", "10": "Authentication key name unknown",
    "11": "Encryption key name unknown", "12": "Requested service not available",
    "13": "Unknown security recipient", "14": "Unknown security originator",
    "15": "Syntax error in decrypted text", "16": "Security not supported",
    "17": "Incorrect message length", "18": "Message authentication code failed",
    "19": "Functional group control number not unique within interchange", "23": "S3E security end segment missing",
    "24": "S3S security start segment missing", "25": "S4E security end segment missing",
    "26": "S4S security start segment missing",
}


@dataclass
class ElementError:
    position: str                  # IK401: "2", "2:1" (component), "2:1:3" (repetition)
    error_code: str                # IK403
    reference_number: str | None = None   # IK402
    bad_value: str | None = None   # IK404

    @property
    def description(self) -> str:
        return IK4_CODES.get(self.error_code, f"element error {self.error_code}")

    def to_dict(self):
        return {"position": self.position, "reference_number": self.reference_number,
                "error_code": self.error_code, "description": self.description, "bad_value": self.bad_value}


@dataclass
class SegmentError:
    segment_id: str                # IK301
    position: int                  # IK302: segment position in the transaction set (ST = 1)
    error_code: str                # IK304
    loop_id: str | None = None     # IK303
    context: list[str] = field(default_factory=list)   # CTX segments as text
    elements: list[ElementError] = field(default_factory=list)

    @property
    def description(self) -> str:
        return IK3_CODES.get(self.error_code, f"segment error {self.error_code}")

    def explain(self) -> str:
        parts = [f"segment {self.segment_id} at position {self.position}"
                 + (f" (loop {self.loop_id})" if self.loop_id else "") + f": {self.description}"]
        for e in self.elements:
            pos = e.position.split(":")
            pos[0] = pos[0].zfill(2)
            parts.append(f"element {self.segment_id}{'-'.join(pos)}: {e.description}"
                         + (f" (value {e.bad_value!r})" if e.bad_value else ""))
        return "; ".join(parts)

    def to_dict(self):
        return {"segment_id": self.segment_id, "position": self.position, "loop_id": self.loop_id,
                "error_code": self.error_code, "description": self.description, "context": list(self.context),
                "elements": [e.to_dict() for e in self.elements]}


@dataclass
class TransactionAck:
    type: str                      # AK201, e.g. 837
    control_number: str            # AK202: the ST02 of the acknowledged transaction
    status: str                    # IK501: A, E, R, M, W, X
    version: str | None = None     # AK203
    error_codes: list[str] = field(default_factory=list)   # IK502..IK506
    segment_errors: list[SegmentError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")

    @property
    def status_description(self) -> str:
        return IK5_STATUS.get(self.status, f"status {self.status}")

    def explain(self) -> str:
        """Plain words for a work queue: why this transaction set was rejected/accepted."""
        parts = [f"{self.type} {self.control_number}: {self.status_description}"]
        parts += [IK5_CODES.get(c, f"error {c}") for c in self.error_codes]
        parts += [s.explain() for s in self.segment_errors]
        return "; ".join(parts)

    def to_dict(self):
        return {"type": self.type, "control_number": self.control_number, "version": self.version,
                "status": self.status, "status_description": self.status_description,
                "error_codes": list(self.error_codes),
                "errors": [IK5_CODES.get(c, c) for c in self.error_codes],
                "segment_errors": [s.to_dict() for s in self.segment_errors], "explanation": self.explain()}


@dataclass
class Ack999:
    functional_id: str             # AK101 (HC for 837)
    group_control_number: str      # AK102: the GS06 acknowledged
    group_status: str = ""         # AK901
    group_version: str | None = None   # AK103
    included: int | None = None    # AK902
    received: int | None = None    # AK903
    accepted_count: int | None = None  # AK904
    group_error_codes: list[str] = field(default_factory=list)   # AK905..
    transactions: list[TransactionAck] = field(default_factory=list)
    control_number: str = ""       # ST02 of the 999 itself

    @property
    def group_status_description(self) -> str:
        return IK5_STATUS.get(self.group_status, self.group_status)

    def to_dict(self):
        return {"functional_id": self.functional_id, "group_control_number": self.group_control_number,
                "group_version": self.group_version, "group_status": self.group_status,
                "group_status_description": self.group_status_description,
                "included": self.included, "received": self.received, "accepted": self.accepted_count,
                "group_errors": [AK9_CODES.get(c, c) for c in self.group_error_codes],
                "transaction_acks": [t.to_dict() for t in self.transactions]}


# 837P data elements a 999 names most often, so that a clerk reads words, not positions.
ELEMENT_NAMES = {
    "NM101": "entity identifier code", "NM102": "entity type qualifier", "NM103": "last or organization name",
    "NM104": "first name", "NM108": "identification code qualifier", "NM109": "identification code",
    "N301": "address line", "N401": "city", "N402": "state code", "N403": "postal code",
    "REF01": "reference identification qualifier", "REF02": "reference identification",
    "DMG02": "birth date", "DMG03": "gender code", "SBR01": "payer responsibility sequence",
    "SBR02": "individual relationship code", "SBR09": "claim filing indicator code",
    "CLM01": "patient control number", "CLM02": "total claim charge amount",
    "CLM05": "health care service location information", "CLM06": "provider signature indicator",
    "CLM07": "assignment or plan participation code", "CLM08": "benefits assignment certification",
    "CLM09": "release of information code", "HI01": "principal diagnosis", "HI02": "other diagnosis",
    "SV101": "procedure code", "SV102": "line item charge amount", "SV103": "unit of measure",
    "SV104": "service unit count", "SV107": "diagnosis code pointer", "DTP03": "date",
    "PRV03": "provider taxonomy code", "HL03": "hierarchical level code", "BHT03": "reference identification",
    "ST02": "transaction set control number", "SE01": "number of included segments",
}
SEGMENT_NAMES = {
    "NM1": "name", "N3": "address", "N4": "city/state/ZIP", "REF": "reference", "DMG": "demographics",
    "SBR": "subscriber information", "CLM": "claim information", "HI": "health care diagnosis code",
    "SV1": "professional service", "DTP": "date or time period", "LX": "service line number",
    "PRV": "provider information", "HL": "hierarchical level", "PAT": "patient information",
    "BHT": "beginning of hierarchical transaction", "SE": "transaction set trailer", "ST": "transaction set header",
}


def explain_in_words(ta: "TransactionAck") -> str:
    """Plain words for a 999 transaction-set answer, from segment and element names and the
    IK3/IK4/IK5 code descriptions. Bad values (IK404) are left out: they may be PHI."""
    parts = [f"837 transaction set {ta.control_number}: {ta.status_description}"]
    parts += [IK5_CODES.get(c, f"error {c}") for c in ta.error_codes]
    for se in ta.segment_errors:
        seg_name = SEGMENT_NAMES.get(se.segment_id, "")
        where = f"segment {se.segment_id}" + (f" ({seg_name})" if seg_name else "")
        where += f" at position {se.position}" + (f" in loop {se.loop_id}" if se.loop_id else "")
        parts.append(f"{where}: {se.description}")
        for e in se.elements:
            pos = e.position.split(":")
            ref = f"{se.segment_id}{pos[0].zfill(2)}"
            label = ref + (f"-{pos[1]}" if len(pos) > 1 and pos[1] else "")
            name = ELEMENT_NAMES.get(ref)
            parts.append(f"element {label}" + (f" ({name})" if name else "") + f": {e.description}")
    return "; ".join(parts)


def _int(v):
    return int(v) if v and v.isdigit() else None


_X231A1 = compiled(X231A1)     # the 999 loop schema as lookup tables, built once at import


def parse_999_transaction(t: TransactionSet) -> Ack999:
    """Read one 999. Which loop a segment belongs to comes from the 999 loop schema
    (``schema.X231A1``: 2000 AK2 transaction set response, 2100 IK3 segment error, 2110 IK4
    element error); the code maps each loop's segments onto the dataclasses. A heading segment
    (AK1) misplaced inside a loop is read without ending it, the summary (AK9) ends the loops; a segment with no place where it
    stands is skipped."""
    ack = Ack999("", "", control_number=t.control_number)
    comp = _X231A1
    cur: TransactionAck | None = None
    seg_err: SegmentError | None = None
    d = t.header.delimiters
    steps, loop_of, summary = comp.steps, comp.loop, comp.schema.summary
    state = 0
    step = steps[0]
    for s in t.segments:
        tag = s.tag
        try:
            new = step[tag]      # the state after this segment (no qualified triggers in a 999)
        except KeyError:
            continue             # no place here: skipped
        if new != state:
            if new == 0 and tag not in summary:
                new = state      # AK1 inside a loop: read, the loop goes on
            else:
                state = new
                step = steps[new]
                if loop_of[new] != "2100" and loop_of[new] != "2110":
                    seg_err = None
        if tag == "AK2":
            cur = TransactionAck(s.el(1), s.el(2), "", s.el(3) or None)
            ack.transactions.append(cur)
        elif tag == "IK3":
            seg_err = SegmentError(s.el(1), _int(s.el(2)) or 0, s.el(4), s.el(3) or None)
            cur.segment_errors.append(seg_err)
        elif tag == "CTX":
            if seg_err is not None:
                seg_err.context.append(d.element.join(s.elements))
        elif tag == "IK4":
            seg_err.elements.append(ElementError(":".join(s.composite(1)), s.el(3), s.el(2) or None,
                                                 s.el(4) or None))
        elif tag == "IK5":
            cur.status = s.el(1)
            cur.error_codes = [s.el(k) for k in range(2, 7) if s.el(k)]
        elif tag == "AK1":
            ack.functional_id, ack.group_control_number, ack.group_version = s.el(1), s.el(2), s.el(3) or None
        elif tag == "AK9":
            ack.group_status = s.el(1)
            ack.included, ack.received, ack.accepted_count = _int(s.el(2)), _int(s.el(3)), _int(s.el(4))
            ack.group_error_codes = [s.el(k) for k in range(5, 10) if s.el(k)]
    return ack


def parse_999(source, name: str | None = None) -> list[Ack999]:
    """Every 999 in ``source`` (bytes/path/file, TransactionSet or list of them)."""
    return [parse_999_transaction(t) for t in transactions(source, ("999",), name)]


def ack_segments(ack: Ack999) -> list[list]:
    segs: list[list] = [["AK1", ack.functional_id, ack.group_control_number, ack.group_version or ""]]
    for ta in ack.transactions:
        segs.append(["AK2", ta.type, ta.control_number, ta.version or ""])
        for se in ta.segment_errors:
            segs.append(["IK3", se.segment_id, str(se.position), se.loop_id or "", se.error_code])
            for c in se.context[:1]:
                segs.append(["CTX", *c.split("*")])
            for ee in se.elements:
                segs.append(["IK4", ee.position.split(":"), ee.reference_number or "", ee.error_code,
                             ee.bad_value or ""])
        segs.append(["IK5", ta.status, *ta.error_codes[:5]])
    n = len(ack.transactions)
    acc = sum(1 for t in ack.transactions if t.accepted)
    status = ack.group_status or ("A" if acc == n and all(t.status == "A" for t in ack.transactions)
                                  else "E" if acc == n else "R" if acc == 0 else "P")
    segs.append(["AK9", status, str(ack.included if ack.included is not None else n),
                 str(ack.received if ack.received is not None else n),
                 str(ack.accepted_count if ack.accepted_count is not None else acc), *ack.group_error_codes[:5]])
    return segs


def build_999(acks: list[Ack999], *, sender_id: str, receiver_id: str, interchange_control_number: int,
              group_control_number: int, first_transaction_control_number: int = 1,
              usage_indicator: str = "P", created: dt.datetime | None = None,
              delimiters: Delimiters = DEFAULT, line_breaks: bool = False) -> bytes:
    """One interchange, one FA group, one 999 per acknowledged functional group."""
    txs = [("999", f"{first_transaction_control_number + i:04d}", ack_segments(a)) for i, a in enumerate(acks)]
    return build_interchange(sender_id, receiver_id, interchange_control_number,
                             [("FA", sender_id, receiver_id, group_control_number, VERSION, txs)],
                             delimiters=delimiters, usage_indicator=usage_indicator, date=created,
                             line_breaks=line_breaks)
