"""`make airflow` listens on 127.0.0.1 only and has no known password: a random one is made
on the first run, kept 0600 in the run folder, and reused afterwards."""

from __future__ import annotations

import json
import stat
from types import SimpleNamespace

from include.devenv import airflow_local


def test_first_run_makes_a_private_random_password_and_later_runs_reuse_it(tmp_path, monkeypatch):
    monkeypatch.delenv("BILLING_AIRFLOW_PASSWORD", raising=False)
    first, made = airflow_local.local_password(tmp_path / "a")
    assert made and len(first) >= 20 and first != "admin"
    kept = tmp_path / "a" / "admin-password"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text().strip() == first
    again, made_again = airflow_local.local_password(tmp_path / "a")
    assert (again, made_again) == (first, False)
    other, _ = airflow_local.local_password(tmp_path / "b")
    assert other != first


def test_a_chosen_password_is_not_stored(tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_AIRFLOW_PASSWORD", "chosen-by-the-user")
    assert airflow_local.local_password(tmp_path) == ("chosen-by-the-user", False)
    assert not (tmp_path / "admin-password").exists()


def test_standalone_binds_loopback_and_keeps_the_password_file_private(tmp_path):
    stack = SimpleNamespace(airflow_home=tmp_path / "home", airflow_env=lambda: {})
    env = airflow_local.standalone_env(stack, 8089, "pw-for-this-test")
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    passwords = tmp_path / "home" / "simple_auth_manager_passwords.json"
    assert json.loads(passwords.read_text()) == {"admin": "pw-for-this-test"}
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
