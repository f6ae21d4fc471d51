# Two commands set everything up:  make run   (the app with demo data)   make test   (the whole suite)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app lms

.PHONY: run test test-postgres check clean bench

# Reinstall when the project's dependencies change.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Signed badges carry their URLs: they are issued for the address this serves on.
run: export LMS_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(BIN)/.installed
	$(FLASK) db upgrade
	$(FLASK) demo seed
	@echo "Serving on http://127.0.0.1:$(PORT) with the background worker (Ctrl+C stops both)"
	@echo "Email goes to instance/mail/ unless MAIL_HOST is set (see README, Email)"
	@PORT=$(PORT) $(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	PORT=$(PORT) $(FLASK) run --host 127.0.0.1 --port $(PORT)

# The browser tests (tests/browser/) drive Debian's Chromium: installed here when missing.
test: $(BIN)/.installed
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite against PostgreSQL: the run creates a fresh database on this server and drops it after.
test-postgres: $(BIN)/.installed
	LMS_TEST_DATABASE_URL=$${LMS_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/lms_test} $(BIN)/pytest $(PYTEST_ARGS)

# The app at scale on PostgreSQL against a bare Flask route (bench/run.py; results in docs/performance.md).
bench: $(BIN)/.installed
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

check: $(BIN)/.installed
	$(FLASK) content check

clean:
	rm -rf $(VENV) .pytest_cache
