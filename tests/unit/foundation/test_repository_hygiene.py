"""No secrets in the repository: no key material, no credentials beyond the local sandbox's
documented placeholders, nothing from the run folder (databases, EDI files, mail) tracked."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# The docker-compose / `make demo` sandbox's own logins (services that exist only on the
# developer's machine), the throwaway servers tests and benchmarks start, and the README's
# example; anything else that looks like a credential fails.
PLACEHOLDERS = {"billing:billing", "airflow:airflow", "billing:secret", "sandbox-password", "s3cret", "admin",
                "bench", "e2e-test-password"}

KEY_MATERIAL = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{36}|xox[bp]-[0-9A-Za-z-]+")
URI_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.]*://([^/\s:@\"'{}$]+:[^/\s@\"'{}$]+)@")
ASSIGNED_SECRET = re.compile(r"""["']?(?:password|passwd|secret|token|api_key)["']?\s*[:=]\s*["']([^"'{}$\s]{4,})["']""",
                             re.IGNORECASE)


def _tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / n for n in names.decode().split("\0") if n]


def _texts():
    for path in _tracked_files():
        if path == Path(__file__).resolve():
            continue                                   # the scanner's own examples
        data = path.read_bytes() if path.is_file() else b""
        if b"\0" in data[:4096]:
            continue                                   # binary
        yield path.relative_to(ROOT), data.decode("utf-8", errors="replace")


def test_no_key_material_or_unknown_credentials_are_tracked():
    found = []
    for rel, text in _texts():
        for number, line in enumerate(text.splitlines(), 1):
            if KEY_MATERIAL.search(line):
                found.append(f"{rel}:{number}: key material")
            for pattern in (URI_CREDENTIALS, ASSIGNED_SECRET):
                for match in pattern.finditer(line):
                    value = match.group(1)
                    if value not in PLACEHOLDERS and value.split(":")[-1] not in PLACEHOLDERS:
                        found.append(f"{rel}:{number}: {value!r}")
    assert found == [], "possible secrets in tracked files:\n" + "\n".join(found[:20])


def test_the_scan_recognises_what_it_looks_for():
    assert KEY_MATERIAL.search("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert URI_CREDENTIALS.search("postgresql://app:Zq8s!x@db:5432/x").group(1) == "app:Zq8s!x"
    assert ASSIGNED_SECRET.search('"password": "hunter22"').group(1) == "hunter22"
    assert not URI_CREDENTIALS.search("postgresql://postgres@127.0.0.1:5432/billing")


def test_run_folder_and_local_artefacts_are_not_tracked():
    tracked = [p.relative_to(ROOT).as_posix() for p in _tracked_files()]
    local = [t for t in tracked if t.startswith((".run/", ".venv/")) or t.endswith((".eml", ".db", ".sqlite"))]
    assert local == []
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".run/" in ignored or ".run" in ignored
