# Two commands on a fresh machine with Python 3: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
MANAGE = cd example_site && ../$(BIN)/python manage.py
STAMP = $(VENV)/.installed

.PHONY: demo test test-suite check-example-site install clean

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
test: $(STAMP) test-suite check-example-site

test-suite: $(STAMP)
	$(BIN)/pytest

check-example-site: $(STAMP)
	cd example_site && DJANGO_SETTINGS_MODULE=example_site.settings.test ../$(BIN)/python manage.py check --fail-level WARNING
	cd example_site && DJANGO_SETTINGS_MODULE=example_site.settings.test ../$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) build dist *.egg-info example_site/db.sqlite3
