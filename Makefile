# The README's interface. Every target creates .venv and installs what it needs when missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test bench lint airflow system-deps clean stop fuzz

$(INSTALLED): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip || true
	@# a second, verbose attempt rides out a flaky download and shows what went wrong
	@$(PY) -m pip install -q -r requirements.txt || $(PY) -m pip install -r requirements.txt
	@touch $@

# Debian packages the tests need: OpenSSH's sshd (a real SFTP server), Chromium (screenshots) and,
# when no Redis answers on 127.0.0.1:6379, redis-server (the CeleryExecutor test's broker).
system-deps:
	@bash scripts/system-deps.sh

demo: $(INSTALLED)
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m include.devenv.demo

test: $(INSTALLED) system-deps
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest

bench: $(INSTALLED) system-deps
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) bench/run_all.py $(BENCH)

# ruff, then the layer contracts of pyproject.toml [tool.importlinter] (docs/architecture.md)
lint: $(INSTALLED)
	@$(VENV)/bin/ruff check .
	@PYTHONPATH="$(CURDIR)" $(VENV)/bin/lint-imports --no-cache

stop:
	@test -x $(PY) && $(PY) -m include.devenv.postgres stop || true

clean: stop
	rm -rf .run

# EXECUTOR=celery: Redis, scheduler, dag-processor, api-server and two Celery workers (include/devenv/celery_local.py)
EXECUTOR ?= standalone
airflow: $(INSTALLED)
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m include.devenv.$(if $(filter celery,$(EXECUTOR)),celery_local,airflow_local)

# the fuzzer: 100,000 mutated inputs through the X12 reader and every parser
fuzz: $(INSTALLED)
	@$(PY) bench/fuzz_x12.py --inputs $${FUZZ_INPUTS:-100000}
