"""The managers' report is aggregate: claim-level rows become counts, amounts and rates by payer,
A/R age bucket, rendering provider and denial reason before anything is rendered or attached.

No claim number, date of service or patient-level row leaves this module; the claim lists
live in the Billing UI, which the e-mail links to (`ui_links`).
"""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlencode

AGE_BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")          # claim_detail's labels, in order
# the Billing UI's queue filters by the work item's age in days
AGE_FILTERS = {"0-30": (0, 30), "31-60": (31, 60), "61-90": (61, 90), "91-120": (91, 120), "120+": (121, None)}
ZERO = Decimal("0.00")


def _rate(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(Decimal("0.0001")) if whole else None


def _group(rows: list[dict], key, order=None) -> list[dict]:
    groups: dict = defaultdict(lambda: {"claims": 0, "total_charge": ZERO, "payer_paid": ZERO,
                                        "payer_balance": ZERO, "patient_balance": ZERO})
    for r in rows:
        g = groups[key(r)]
        g["claims"] += 1
        for col in ("total_charge", "payer_paid", "payer_balance", "patient_balance"):
            g[col] += Decimal(r.get(col) or 0)
    total = sum((g["payer_balance"] for g in groups.values()), ZERO)
    names = order if order is not None else sorted(groups)
    out = []
    for name in names:
        if name in groups:
            g = groups[name]
            out.append({"group": name, **g, "share_of_payer_ar": _rate(g["payer_balance"], total)})
    return out


def ar_by_payer(claims: list[dict]) -> list[dict]:
    return [{"payer": g.pop("group"), **g} for g in _group(claims, lambda r: r["payer"])]


def ar_by_age(claims: list[dict]) -> list[dict]:
    return [{"aging_bucket": g.pop("group"), **g} for g in _group(claims, lambda r: r["aging_bucket"], AGE_BUCKETS)]


def ar_by_provider(claims: list[dict]) -> list[dict]:
    return [{"rendering_npi": g.pop("group"), **g}
            for g in _group(claims, lambda r: r.get("rendering_npi") or "none")]


def denials_by_reason(items: list[dict]) -> list[dict]:
    """Open denial work items by CARC reason and payer: how many, the charges, the oldest age."""
    groups: dict = {}
    for r in items:
        g = groups.setdefault((r["reason_code"], r["payer"]), {"reason_code": r["reason_code"], "payer": r["payer"],
                                                                "work_items": 0, "total_charge": ZERO,
                                                                "oldest_age_days": None})
        g["work_items"] += 1
        g["total_charge"] += Decimal(r.get("total_charge") or 0)
        age = r.get("age_days")
        if age is not None and (g["oldest_age_days"] is None or Decimal(age) > g["oldest_age_days"]):
            g["oldest_age_days"] = Decimal(age)
    return sorted(groups.values(), key=lambda g: (-g["total_charge"], g["reason_code"], g["payer"]))


def aggregate_details(claims_ar: list[dict], denials_review: list[dict], payment_postings: list[dict]) -> dict:
    """The report's attachments, every one of them aggregate."""
    return {
        "ar_by_payer": ar_by_payer(claims_ar),
        "ar_by_age": ar_by_age(claims_ar),
        "ar_by_provider": ar_by_provider(claims_ar),
        "denials_by_reason": denials_by_reason(denials_review),
        "payment_postings": payment_postings,
    }


def ui_base() -> str:
    """Where the Billing UI answers (BILLING_UI_URL; the local `make airflow` address by default)."""
    return os.environ.get("BILLING_UI_URL", "http://127.0.0.1:8080/billing").rstrip("/")


def ui_links(details: dict) -> dict:
    """Links into the Billing UI's filtered views for the claim lists the e-mail no longer carries."""
    base = ui_base()

    def queue(**filters) -> str:
        return f"{base}/queue?{urlencode(filters)}" if filters else f"{base}/queue"

    return {
        "dashboard": f"{base}/",
        "queue": queue(),
        "denials": queue(source="denial"),
        "by_reason": {r["reason_code"]: queue(source="denial", reason=r["reason_code"])
                      for r in details["denials_by_reason"]},
        "by_age": {b: queue(**{k: v for k, v in (("min_age", lo), ("max_age", hi)) if v is not None})
                   for b, (lo, hi) in AGE_FILTERS.items()},
    }
