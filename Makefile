# coursesite: the two set-up commands are `make demo` and `make test`; the rest are their steps.
SHELL := /bin/bash
VENV := .venv
RUNTIME := .runtime
RUNTIME312 := .runtimes/python3.12
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/coursesite
TEST_BROKER_URL ?= redis://127.0.0.1:6379/5
DEMO_PORT ?= 8000

.PHONY: demo test venv runtime suite-data system services lint pytest smoke compose-check pdfjs

venv: $(VENV)/.installed
$(VENV)/.installed: requirements/app.txt requirements/dev.txt
	test -x $(PY) || $$(scripts/find-python312.sh) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	touch $@

# The grading runtimes (workers/runtimes.py), readable and runnable by the sandbox's unprivileged uids: python3.12,
# the default, a world-readable copy of a Python 3.12 (see scripts/build-runtime.sh); torch, from the system Python.
runtime: $(RUNTIME)/.installed $(RUNTIME312)/.installed
$(RUNTIME)/.installed: requirements/runtime.txt
	test -x $(RUNTIME)/bin/python || /usr/bin/python3 -m venv $(RUNTIME)
	$(RUNTIME)/bin/python -m pip install -q --disable-pip-version-check -r requirements/runtime.txt
	chmod -R o+rX $(RUNTIME)
	touch $@
$(RUNTIME312)/.installed: requirements/runtime-python3.12.txt scripts/build-runtime.sh
	scripts/system-packages.sh
	scripts/build-runtime.sh $(RUNTIME312) requirements/runtime-python3.12.txt "$$(scripts/find-python312.sh 3.12)"
	touch $@

# PDF.js for the review page, from the npm registry by its lock file (scripts/pdfjs.sh; idempotent).
pdfjs:
	scripts/pdfjs.sh

# The demo suites' data (sklearn's digits in the CIFAR-10 batch format, tiny Shakespeare): idempotent, about 1 s.
suite-data: runtime
	$(RUNTIME312)/bin/python -m workers.suites.build_data

system:
	scripts/system-packages.sh $(if $(filter test,$(MAKECMDGOALS)),--browser,)

services:
	scripts/services.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy

compose-check: venv
	SECRET_KEY=compose-check POSTGRES_PASSWORD=compose-check S3_SECRET_KEY=compose-check COURSESITE_HOST=host1 \
	  sh -c 'for f in docker-compose.yml docker-compose.gpu.yml; do $(VENV)/bin/docker-compose -f $$f config --quiet || exit 1; done'

pytest: venv runtime suite-data system services pdfjs
	$(PY) -m workers.sandbox check >/dev/null || $(PY) -m workers.sandbox check
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(PY) -m pytest $(PYTEST_ARGS)

# A short run on the embedded defaults (SQLite and the embedded SQLAlchemy broker) with a real worker.
smoke: venv runtime suite-data system pdfjs
	scripts/smoke.sh

test: lint compose-check pytest smoke

demo: venv runtime suite-data system pdfjs
	scripts/demo.sh $(DEMO_PORT)
