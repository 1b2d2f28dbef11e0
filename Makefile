# gridgov: `make run` starts everything with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ECHARTS := services/analytics/static/vendor/echarts.min.js
PYTEST_ARGS ?=

.PHONY: setup run test test-fast lint bench bench-deps browser-deps postgres clean

setup: $(VENV)/.stamp-deps $(ECHARTS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-deps: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/echarts/dist/echarts.min.js: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

$(ECHARTS): node_modules/echarts/dist/echarts.min.js
	mkdir -p $(dir $@)
	cp $< $@

run: setup
	$(BIN)/gridgov run

# Browser tests need Debian's chromium and CJK fonts (installed once, when missing).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ]; then \
	  echo "installing chromium and fonts-noto-cjk (Debian)"; \
	  (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk >/dev/null) \
	    || { echo "could not install chromium; run as root or install it yourself"; exit 1; }; \
	fi

# The local PostgreSQL on 127.0.0.1:5432: start it when it is down, fail clearly when there is none.
postgres:
	@if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then \
	  if command -v pg_ctlcluster >/dev/null && [ -n "$$(ls /etc/postgresql 2>/dev/null)" ]; then \
	    echo "starting the local PostgreSQL cluster"; \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start; \
	    for i in $$(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; \
	  fi; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432 -q || { echo "error: no PostgreSQL on 127.0.0.1:5432 (tests need it; trust auth, user postgres)"; exit 1; }

lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check shared services gridgov tests
	$(BIN)/mypy --strict shared services/intake/domain services/routing/domain services/escalation/domain \
	  services/registry/domain services/analytics/domain
	$(BIN)/python -m gridgov.asyncapi --check

test: setup browser-deps postgres lint
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-fast: setup
	GRIDGOV_TEST_DATABASES=sqlite $(BIN)/pytest -q -x -m "not browser and not slow" $(PYTEST_ARGS)

# wrk drives the HTTP benchmarks (Debian package).
bench-deps:
	@command -v wrk >/dev/null || { echo "installing wrk (Debian)"; \
	  (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null) \
	    || { echo "could not install wrk; run as root or install it yourself"; exit 1; }; }

bench: setup postgres bench-deps
	for target in bus geocode intake routing timers analytics pipeline; do $(BIN)/gridgov bench $$target || exit 1; done

clean:
	rm -rf var bench/results/*.json tests/artifacts
