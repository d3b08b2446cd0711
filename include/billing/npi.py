"""National Provider Identifier check digit (CMS): Luhn over the 80840 prefix + the first 9 digits.

The prefix 80840 (ISO card issuer "health, US") is never written in the NPI; CMS folds it
into the Luhn sum as the constant 24, which is what prefixing the string does here.
"""

from __future__ import annotations

NPI_PREFIX = "80840"


def _luhn_check_digit(digits: str) -> int:
    # double every second digit from the right of the payload (the check digit position is the rightmost)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def npi_check_digit(first9: str) -> str:
    """The 10th digit of an NPI whose first nine digits are `first9`."""
    if len(first9) != 9 or not first9.isascii() or not first9.isdigit():
        raise ValueError("NPI base must be exactly 9 ASCII digits")
    return str(_luhn_check_digit(NPI_PREFIX + first9))


def is_valid_npi(npi: str | None) -> bool:
    """True for a 10-digit NPI starting with 1 or 2 whose check digit is right."""
    if not isinstance(npi, str) or len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    if npi[0] not in "12":
        return False
    return npi_check_digit(npi[:9]) == npi[9]
