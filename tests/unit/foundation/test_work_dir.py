"""The domain's scratch folder is BILLING_RUN_DIR, never a guess; the dev entry points inject `.run/`."""

from __future__ import annotations

import os
import stat

import pytest

from include.billing.settings import work_dir


def test_work_dir_is_the_configured_folder_with_private_sub_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("BILLING_RUN_DIR", str(tmp_path / "run"))
    folder = work_dir("records")
    assert folder == tmp_path / "run" / "records"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_without_the_variable_the_domain_refuses_rather_than_guessing(monkeypatch):
    monkeypatch.delenv("BILLING_RUN_DIR", raising=False)
    with pytest.raises(RuntimeError, match="BILLING_RUN_DIR"):
        work_dir("appeals")


def test_the_dev_run_folder_is_exported_for_the_domain(tmp_path, monkeypatch):
    from include.devenv import paths

    monkeypatch.delenv("BILLING_RUN_DIR", raising=False)
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    run = paths.run_dir()
    assert os.environ["BILLING_RUN_DIR"] == str(run) == str((tmp_path / ".run").resolve())
    assert work_dir("lockbox") == run / "lockbox"
