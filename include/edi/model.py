"""Plain dataclasses for the 837P (Decimal money, datetime.date dates)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Address:
    line1: str
    city: str
    state: str
    zip: str
    line2: str | None = None


@dataclass
class Party:
    """A person (last/first name) or an organization (org name)."""

    org_name: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    npi: str | None = None
    taxonomy: str | None = None
    tax_id: str | None = None          # EIN (REF*EI) for billing provider
    address: Address | None = None

    @property
    def is_person(self) -> bool:
        return not self.org_name


@dataclass
class Provider(Party):
    pass


@dataclass
class Submitter:
    name: str
    id: str                             # NM109 (46 ETIN)
    contact_name: str = "BILLING"
    phone: str = "8005551212"


@dataclass
class Receiver:
    name: str
    id: str                             # NM109 (46 ETIN)


@dataclass
class Payer:
    name: str
    payer_id: str                       # NM109 PI
    address: Address | None = None


@dataclass
class Subscriber:
    member_id: str
    last_name: str
    first_name: str | None = None
    birth_date: dt.date | None = None
    sex: str = "U"                      # M / F / U
    address: Address | None = None
    group_number: str | None = None
    relationship_code: str = "18"       # patient's relationship to subscriber; 18 = self
    claim_filing_indicator: str = "CI"  # SBR09
    payer_responsibility: str = "P"     # P / S / T
    middle_name: str | None = None


@dataclass
class PatientDependent:
    last_name: str
    first_name: str | None
    birth_date: dt.date
    sex: str
    relationship_code: str              # PAT01, e.g. 19 child, 01 spouse
    address: Address | None = None
    middle_name: str | None = None


@dataclass
class LineAdjudication:
    """2430: other payer's line adjudication."""

    other_payer_id: str
    paid: Decimal
    procedure_code: str
    units: Decimal
    adjudication_date: dt.date
    modifiers: list[str] = field(default_factory=list)
    adjustments: list[tuple] = field(default_factory=list)   # (group, reason, amount[, quantity])


@dataclass
class ServiceLine:
    line_control_number: str            # REF*6R: our line id
    procedure_code: str
    charge: Decimal
    units: Decimal = Decimal(1)
    service_date: dt.date | None = None
    modifiers: list[str] = field(default_factory=list)       # up to 4
    dx_pointers: list[int] = field(default_factory=lambda: [1])  # up to 4, 1-based
    ndc: str | None = None
    ndc_units: Decimal | None = None
    ndc_unit_code: str = "UN"
    place_of_service: str | None = None
    adjudications: list[LineAdjudication] = field(default_factory=list)


@dataclass
class OtherPayerAdjudication:
    """2320/2330A/2330B: another payer's coverage and claim-level adjudication."""

    payer_name: str
    payer_id: str
    subscriber_last_name: str
    subscriber_first_name: str | None
    subscriber_member_id: str
    payer_responsibility: str = "P"     # the other payer's SBR01
    relationship_code: str = "18"
    claim_filing_indicator: str = "CI"
    group_number: str | None = None
    paid_amount: Decimal | None = None  # AMT*D
    # (group, reason, amount) or, when the CAS carries a quantity, (group, reason, amount, quantity)
    adjustments: list[tuple] = field(default_factory=list)
    adjudication_date: dt.date | None = None


@dataclass
class Claim837:
    claim_id: str                       # CLM01 (our id; comes back in CLP01)
    total_charge: Decimal
    place_of_service: str
    billing_provider: Provider
    subscriber: Subscriber
    payer: Payer
    lines: list[ServiceLine]
    diagnosis_codes: list[str]          # up to 12, without dot; first is principal (ABK)
    frequency_code: str = "1"           # 1 original, 7 replacement, 8 void
    payer_claim_control_number: str | None = None   # REF*F8, required for 7/8
    prior_authorization: str | None = None          # REF*G1
    onset_date: dt.date | None = None               # DTP*431
    accident_type: str | None = None                # CLM11-1: AA auto, EM employment, OA other
    accident_state: str | None = None
    accident_date: dt.date | None = None            # DTP*439
    patient: PatientDependent | None = None
    rendering_provider: Provider | None = None
    referring_provider: Provider | None = None
    service_facility: Provider | None = None
    pay_to: Provider | None = None
    other_payers: list[OtherPayerAdjudication] = field(default_factory=list)
    patient_paid: Decimal | None = None             # AMT*F5
