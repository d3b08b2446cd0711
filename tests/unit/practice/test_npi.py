from hypothesis import given
from hypothesis import strategies as st

from include.billing.npi import is_valid_npi, npi_check_digit
from include.practice.dirty import DIRTY_KINDS, EXPECTED_REASON


def test_known_npis():
    # CMS's worked example: 123456789 -> check digit 3
    assert npi_check_digit("123456789") == "3"
    assert is_valid_npi("1234567893")
    assert not is_valid_npi("1234567890")
    # real public NPIs (NPPES registry)
    assert is_valid_npi("1245319599")
    assert is_valid_npi("1003000126")


def test_rejects_malformed():
    for bad in ["", "123456789", "12345678901", "123456789X", "3234567893", None, "１２３４５６７８９３"]:
        assert not is_valid_npi(bad)


nine = st.text(alphabet="0123456789", min_size=8, max_size=8).map(lambda s: "1" + s)


@given(nine)
def test_check_digit_makes_valid(base):
    assert is_valid_npi(base + npi_check_digit(base))


@given(nine, st.integers(1, 9))
def test_wrong_check_digit_invalid(base, delta):
    good = int(npi_check_digit(base))
    assert not is_valid_npi(base + str((good + delta) % 10))


@given(nine, st.integers(0, 8), st.integers(1, 9))
def test_single_digit_error_detected(base, pos, delta):
    npi = base + npi_check_digit(base)
    if pos == 0:
        return  # changing the leading 1 may leave the 1/2 range; covered elsewhere
    changed = npi[:pos] + str((int(npi[pos]) + delta) % 10) + npi[pos + 1:]
    assert not is_valid_npi(changed)


def test_dirty_mapping_complete():
    assert set(EXPECTED_REASON) == set(DIRTY_KINDS)
    assert EXPECTED_REASON["terminated_coverage"] == "ELIG_INACTIVE"
