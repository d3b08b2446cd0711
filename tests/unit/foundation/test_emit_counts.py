"""The emit tasks' decision: which counts mean "something changed" (include.dag_support.changed_counts)."""

from __future__ import annotations

from include.dag_support import changed_counts


def test_one_task_counts():
    counts = {"stored": 2, "duplicates": 5, "by_type": {"835": 2}, "errors": []}
    assert changed_counts(counts, ("stored", "status_changes")) == {"stored": 2, "status_changes": 0}


def test_a_mapped_task_sums_its_instances():
    sent = [{"claims_submitted": 3, "state": "uploaded"}, {"claims_submitted": 0, "state": "uploaded"},
            {"state": "failed", "validation_errors": 2}]
    assert changed_counts(sent, ("claims_submitted",)) == {"claims_submitted": 3}


def test_nothing_done_is_all_zero():
    assert changed_counts({"routed": 0, "by_action": {}}, ("routed",)) == {"routed": 0}
    assert changed_counts([], ("claims_submitted",)) == {"claims_submitted": 0}
    assert changed_counts(None, ("x",)) == {"x": 0}


def test_flags_and_texts_do_not_count():
    assert changed_counts({"enabled": True, "corrected": "3"}, ("enabled", "corrected")) == {"enabled": 0, "corrected": 0}
