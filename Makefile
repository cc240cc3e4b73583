# PartyHub — `make run` serves a demo instance, `make test` runs lint and the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
RUN_ENV := DATABASE_URL= REDIS_URL= PARTYHUB_EMBEDDED=true
MANAGE := $(RUN_ENV) $(PY) manage.py
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help run test system system-test deps deps-dev assets messages lint format migrate seed e2e bench clean

help:
	@echo "make run   — install what is missing, create the SQLite database, load demo data, serve on http://127.0.0.1:8000"
	@echo "make test  — install dev dependencies, run lint and the whole test suite"
	@echo "make lint | format | e2e | bench | clean"

## System packages (apt-get as root; otherwise the exact command is printed)
system:
	@scripts/ensure-system-packages.sh scripts/system-packages.txt

system-test:
	@scripts/ensure-system-packages.sh scripts/system-packages.txt scripts/system-packages-test.txt

## Python environment, rebuilt only when the pinned requirements change
$(VENV)/bin/activate:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "PartyHub needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-base: requirements/base.txt | $(VENV)/bin/activate
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.stamp-dev: requirements/dev.txt $(VENV)/.stamp-base
	$(PIP) install --quiet -r requirements/base.txt -r requirements/dev.txt
	touch $@

deps: $(VENV)/.stamp-base
deps-dev: $(VENV)/.stamp-dev

## Front-end libraries from the npm lock file, copied into static/vendor (never a CDN)
static/vendor/.stamp: package.json package-lock.json scripts/build_vendor.py
	$(PYTHON) scripts/build_vendor.py
	touch $@

assets: static/vendor/.stamp

## Translations
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	msgfmt --check-format -o $@ $<

messages: $(MO_FILES)

## Run the embedded demo instance
run: system deps assets messages
	@mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo "Serving PartyHub on http://127.0.0.1:8000 (Ctrl+C to stop)"
	$(MANAGE) runserver 127.0.0.1:8000

migrate: deps
	$(MANAGE) migrate --noinput

seed: deps
	$(MANAGE) seed_demo

## Quality
lint: deps-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: deps-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: system-test deps-dev assets messages lint
	@scripts/run-tests.sh $(PYTEST_ARGS)

e2e: system-test deps-dev assets messages
	@scripts/run-tests.sh -m e2e $(PYTEST_ARGS)

bench: deps-dev
	@scripts/run-bench.sh

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles var/test.sqlite3 test-results
