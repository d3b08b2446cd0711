"""include.devenv.celery_local's small parts: finding Redis, the workers' hostnames, stopping a process group."""

from __future__ import annotations

import socket
import subprocess
import sys

from include.devenv import celery_local


def test_a_port_without_redis_is_not_redis():
    with socket.socket() as sock:              # listens, but answers nothing like +PONG
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert celery_local.redis_answers("127.0.0.1", port, timeout=0.5) is False
    assert celery_local.redis_answers("127.0.0.1", port, timeout=0.5) is False   # closed


def test_the_worker_hostname_is_the_name_the_cluster_gave(monkeypatch):
    monkeypatch.setenv("BILLING_WORKER_HOSTNAME", "worker-2")
    assert celery_local.worker_hostname() == "worker-2"
    monkeypatch.delenv("BILLING_WORKER_HOSTNAME")
    assert celery_local.worker_hostname() == socket.getfqdn()


def test_stop_group_ends_the_process_and_its_children():
    # a parent that ignores SIGTERM and a child that outlives it: SIGKILL after the grace period
    proc = subprocess.Popen([sys.executable, "-c", (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)")],
        start_new_session=True)
    celery_local.stop_group(proc, grace=2)
    assert proc.poll() is not None
    import os

    try:
        os.killpg(proc.pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
