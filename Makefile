# Two commands on a fresh machine with Python 3: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
MANAGE = cd example_site && ../$(BIN)/python manage.py
STAMP = $(VENV)/.installed

CHROMIUM ?= /usr/bin/chromium

.PHONY: screenshots demo test test-suite check-example-site install browser axe bench loadtest clean

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Serve the example intranet with demo data on http://127.0.0.1:8000
demo: $(STAMP)
	$(MANAGE) migrate --no-input
	$(MANAGE) load_example_data
	@echo "Open http://127.0.0.1:8000/admin/ and log in with a demo account above."
	$(MANAGE) runserver 127.0.0.1:8000

## Run the whole suite and check the example site
test: $(STAMP) browser axe test-suite check-example-site

test-suite: $(STAMP) browser axe
	$(BIN)/ruff check .
	$(BIN)/bandit --configfile pyproject.toml --recursive vse_referrals --quiet
	VSE_CHROMIUM=$(CHROMIUM) $(BIN)/pytest

## Debian's Chromium for the end-to-end tests (installed once, as root, when it is missing)
browser:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) || { echo "Chromium is required at $(CHROMIUM) (Debian package chromium)." >&2; exit 1; }

## axe-core, pinned in package-lock.json, for the accessibility checks of the browser tests
## (npm from Debian's packages, installed once, as root, when it is missing)
AXE = node_modules/axe-core/axe.min.js

axe: $(AXE)

$(AXE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Installing Debian's npm for the accessibility checks"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

check-example-site: $(STAMP)
	cd example_site && DJANGO_SETTINGS_MODULE=example_site.settings.test ../$(BIN)/python manage.py check --fail-level WARNING
	cd example_site && DJANGO_SETTINGS_MODULE=example_site.settings.test ../$(BIN)/python manage.py makemigrations --check --dry-run

## Rewrite the README's screenshots (docs/screenshots/) from the accessibility tests
screenshots: $(STAMP) browser axe
	VSE_CHROMIUM=$(CHROMIUM) VSE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest tests/test_e2e_accessibility.py

## Benchmark at 1,000 and 100,000 referrals, cron commands' memory at 10,000 and 100,000 (not part of `make test`); writes docs/benchmarks.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

## 50 users for 60 s against gunicorn + the task worker on PostgreSQL (not part of `make test`);
## appends its section to docs/benchmarks.md
loadtest: $(STAMP)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable ".[test,loadtest]"
	$(BIN)/python -m loadtest.run

clean:
	rm -rf $(VENV) node_modules build dist *.egg-info example_site/db.sqlite3
