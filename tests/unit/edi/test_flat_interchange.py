"""build_flat_interchange (one transaction set of plain strings, written with str.join) gives
build_interchange's bytes, or None for whatever it leaves to the general writer; build_271 uses it."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from include.edi import x271
from include.edi.writer import build_flat_interchange, build_interchange
from include.edi.x271 import Benefit, BenefitEntity, EligibilityResponse, Rejection, build_271

WHEN = dt.datetime(2026, 12, 2, 9, 5)
PLAIN = ["", "", "A", "Ünal", "12.50", "X Y"]
OTHER = ["A*B", "A:B", "A^B", "A~B", None, 7, Decimal("1.5"), dt.date(2026, 1, 2), ["A", "B"], [["1"], ["2"]]]


def _general(segments, **kw):
    try:
        return build_interchange("SENDER", kw.get("receiver", "RECEIVER"), kw.get("icn", 12), [
            ("HB", "SENDER", kw.get("receiver", "RECEIVER"), kw.get("gcn", 12), "005010X279A1",
             [("271", "0001", segments)])], usage_indicator="T", date=WHEN)
    except Exception as exc:        # the refusal itself is compared
        return type(exc), str(exc)


def test_flat_bytes_are_build_interchanges_or_it_declines():
    rnd = random.Random(21)
    flat_written = 0
    for _ in range(3000):
        segments = [[rnd.choice(["NM1", "EB", "REF", "DTP"])] + [rnd.choice(PLAIN if rnd.random() < .95 else OTHER)
                                                              for _ in range(rnd.randrange(0, 9))]
                    for _ in range(rnd.randrange(1, 6))]
        kw = {"receiver": rnd.choice(["RECEIVER", "R*X"]), "icn": rnd.choice([12, 10 ** 9]), "gcn": rnd.choice([12, 3])}
        try:
            flat = build_flat_interchange("SENDER", kw["receiver"], kw["icn"], "HB", kw["gcn"], "005010X279A1", "271",
                                          "0001", segments, usage_indicator="T", date=WHEN)
        except Exception as exc:
            flat = type(exc), str(exc)
        general = _general(segments, **kw)
        if flat is not None:
            flat_written += isinstance(flat, bytes)
            assert flat == general
        # None: the general writer takes it (and writes it, or refuses a delimiter in a value)
    assert flat_written > 100


def _responses(rnd):
    out = []
    for i in range(rnd.randrange(1, 3)):
        r = EligibilityResponse(trace_numbers=[f"E{i}-20261121"], member_id=rnd.choice(["M1", None]),
                                last_name=rnd.choice(["DOE", None]), first_name=rnd.choice(["JO", None]),
                                birth_date=rnd.choice([None, dt.date(1950, 1, 2)]), sex=rnd.choice(["F", None]),
                                group_number=rnd.choice([None, "G1", "G:1"]), is_dependent=rnd.random() < .3,
                                relationship_code=rnd.choice([None, "19"]))
        r.dates = rnd.choice([{}, {"346": (dt.date(2025, 1, 1), None)},
                              {"346": (dt.date(2025, 1, 1), None), "347": (dt.date(2026, 12, 31), None)},
                              {"291": (dt.date(2025, 1, 1), dt.date(2025, 12, 31))}])
        if rnd.random() < .2:
            r.rejections = [Rejection("75", "C", "Y")]
        else:
            r.benefits = [Benefit(rnd.choice(["1", "B", "C", "6"]), "IND", rnd.choice([["30"], ["98"], ["30", "98"], []]),
                                  rnd.choice([None, "C1"]), rnd.choice([None, "PLAN"]), rnd.choice([None, "23", "29"]),
                                  amount=rnd.choice([None, Decimal("25"), Decimal("1073.05")]),
                                  percent=rnd.choice([None, Decimal("0.2")]), in_network=rnd.choice([None, "Y"]))
                          for _ in range(rnd.randrange(0, 4))]
            if r.benefits and rnd.random() < .2:
                r.benefits[0].entities = [BenefitEntity("PRP", "OTHER PAYER", "PI", "OP1")]
                r.benefits[0].messages = ["CALL US"]
        out.append(r)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_build_271_bytes_are_the_general_writers(seed, monkeypatch):
    rnd = random.Random(seed)
    responses = _responses(rnd)
    kw = dict(sender_id="SANDBOX", receiver_id="BILLINGSVC", interchange_control_number=seed + 1,
              group_control_number=seed + 1, payer_name="BLUE", payer_id="BCBS1", created=WHEN)

    def built():
        try:
            return build_271(responses, **kw)
        except Exception as exc:        # a delimiter in a value: refused the same way
            return type(exc), str(exc)

    fast = built()
    monkeypatch.setattr(x271, "build_flat_interchange", lambda *a, **k: None)
    assert fast == built()
