"""The fault-injection wrappers of tests/support/faults.py fail where they are told, for real."""

from __future__ import annotations

import psycopg
import pytest

from include.billing.transport import LocalFolder, upload_atomically
from tests.support.faults import Fault, FaultyConnection, FaultyRemote, InjectedFault


def _table(conn):
    conn.execute("CREATE TABLE public.fault_probe (n int)")
    conn.commit()


def _count(db_url) -> int:
    with psycopg.connect(db_url) as other:
        return other.execute("SELECT count(*) FROM public.fault_probe").fetchone()[0]


def test_raise_before_the_nth_marked_statement_then_the_block_rolls_back(db, db_url):
    _table(db)
    fault = Fault(statement="INSERT INTO public.fault_probe", nth=2)
    conn = FaultyConnection(db, fault)
    with pytest.raises(InjectedFault), conn.transaction():
        conn.execute("INSERT INTO public.fault_probe VALUES (1)")
        with conn.cursor() as cur:
            cur.execute("INSERT INTO public.fault_probe VALUES (2)")
    assert fault.fired and _count(db_url) == 0


def test_drop_before_commit_loses_the_transaction_with_a_real_error(db, db_url):
    _table(db)
    fault = Fault(at="before_commit", action="drop", kill_url=db_url)
    victim = psycopg.connect(db_url)
    try:
        conn = FaultyConnection(victim, fault)
        conn.execute("INSERT INTO public.fault_probe VALUES (1)")
        with pytest.raises(psycopg.OperationalError):
            conn.commit()
    finally:
        victim.close()
    assert fault.fired and _count(db_url) == 0


def test_after_commit_the_work_is_kept(db, db_url):
    _table(db)
    conn = FaultyConnection(db, Fault(statement="fault_probe", at="after_commit"))
    with pytest.raises(InjectedFault):
        with conn.transaction():
            conn.execute("INSERT INTO public.fault_probe VALUES (1)")
    assert _count(db_url) == 1


def test_a_cut_upload_leaves_half_a_part_file_and_the_retry_delivers(tmp_path):
    (tmp_path / "inbound").mkdir()
    remote = LocalFolder(tmp_path)
    cut = FaultyRemote(remote, op="write", cut=True, once=True)
    with pytest.raises(InjectedFault):
        upload_atomically(cut, b"0123456789", "inbound", "F.x12")
    assert (tmp_path / "inbound" / "F.x12.part").read_bytes() == b"01234"
    assert upload_atomically(cut, b"0123456789", "inbound", "F.x12") == "uploaded"   # once: the retry passes
    assert (tmp_path / "inbound" / "F.x12").read_bytes() == b"0123456789"
