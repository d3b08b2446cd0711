"""The command line: one processing step as JSON; `serve` prints where it listens and stops cleanly."""
from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import sandbox_world as w

ROOT = Path(__file__).resolve().parents[3]


def _run(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "include.sandbox", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, **kw)


def test_process_prints_a_json_report_without_phi(tmp_path):
    rd = w.write_roster(tmp_path / "roster.json", n_members=10)
    (tmp_path / "mb" / "inbound").mkdir(parents=True)
    claims = [w.make_claim(i, m, random.Random(i)) for i, m in enumerate(w.active_members(rd)[:3], 1)]
    (tmp_path / "mb" / "inbound" / "x.837").write_bytes(w.build_file(claims, 5))
    p = _run("process", "--root", str(tmp_path / "mb"), "--roster", str(tmp_path / "roster.json"),
             "--now", "2026-03-02T09:00")
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)
    assert rep["claims_received"] == 3 and rep["outputs"] == ["999_000000005.x12", "277CA_000000005.x12"]
    for m in rd["members"][:10]:
        assert m["member_id"] not in p.stdout + p.stderr and m["last_name"] not in p.stdout + p.stderr


def test_bad_scenario_is_a_clear_error(tmp_path):
    w.write_roster(tmp_path / "roster.json", n_members=2)
    (tmp_path / "s.yaml").write_text("denials: {CO-16: 7}\n")
    p = _run("process", "--root", str(tmp_path / "mb"), "--roster", str(tmp_path / "roster.json"),
             "--scenario", str(tmp_path / "s.yaml"))
    assert p.returncode == 2 and p.stderr.startswith("error: ") and "CO-16" in p.stderr
    assert "Traceback" not in p.stderr


def test_serve_and_hostkey(tmp_path):
    rd = w.write_roster(tmp_path / "roster.json", n_members=5)
    import asyncssh
    (tmp_path / "authorized_keys").write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_public_key())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "include.sandbox", "serve", "--root", str(tmp_path / "mb"),
                             "--roster", str(tmp_path / "roster.json"), "--port", "0", "--http-port", "0",
                             "--password", "pw", "--authorized-key", str(tmp_path / "authorized_keys"),
                             "--keys", str(tmp_path / "sandbox-keys"), "--no-loop"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["sftp_port"] > 0 and info["host_key"].startswith("ssh-ed25519 ")
        hk = _run("hostkey", "--keys", str(tmp_path / "sandbox-keys"))
        assert hk.stdout.strip() == info["host_key"]                 # kept in --keys, pinnable
        assert (tmp_path / "sandbox-keys" / "ssh_host_ed25519_key.pub").read_text().startswith(info["host_key"])
        from include.edi.x270 import EligibilityInquiry, build_270
        m = rd["members"][0]
        body = build_270([EligibilityInquiry("T1", m["member_id"], m["last_name"], payer_id=m["payer_id"])],
                         sender_id="ACME01", receiver_id="SANDBOX", interchange_control_number=1,
                         group_control_number=1)
        req = urllib.request.Request(info["http_url"], data=body, method="POST", headers={
            "Content-Type": "application/EDI-X12",
            "Authorization": "Basic " + base64.b64encode(b"partner:pw").decode()})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200 and b"ST*271" in resp.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
