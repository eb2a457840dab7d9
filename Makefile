# The README's two commands: `make run` and `make test`. Everything they need is set up here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint format install install-dev chromium bubblewrap axe worker serve clean

# Runtime dependencies only; the stamp makes a second `make run` start in seconds.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# $(call from_debian,PACKAGE,FOR,MISSING): a shell command that, as root, installs Debian's
# PACKAGE (for FOR); otherwise it prints MISSING (how to install it) and fails.
from_debian = if [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's $(1) for $(2)…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	else \
	  echo "$(3)" >&2; exit 1; \
	fi

# Browser tests use Debian's Chromium (no browser download happens anywhere).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  $(call from_debian,chromium,the browser tests,Chromium is missing: run 'sudo apt-get install chromium' (browser tests need it).); \
	fi

# The code interpreter runs model-written code only inside a bubblewrap sandbox (Debian's
# `bubblewrap` package); its tests need it too.
bubblewrap:
	@if ! command -v bwrap >/dev/null; then \
	  $(call from_debian,bubblewrap,the code interpreter's sandbox,bubblewrap is missing: run 'sudo apt-get install bubblewrap' (the code interpreter needs it).); \
	fi

# axe-core, the accessibility checker the browser tests inject into every page
# (tests/browser/test_every_page.py), from the npm registry into .cache/axe; npm itself is
# Debian's `npm` package.
AXE_CORE := .cache/axe/node_modules/axe-core/axe.min.js
axe:
	@if [ ! -f $(AXE_CORE) ]; then \
	  if ! command -v npm >/dev/null; then \
	    $(call from_debian,npm,axe-core,npm is missing: run 'sudo apt-get install npm' (the accessibility tests need axe-core).); \
	  fi; \
	  npm install --prefix .cache/axe --no-audit --no-fund --no-save --silent axe-core@4.11; \
	fi

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	@echo ""
	@echo "  Assistant Studio is starting at http://127.0.0.1:$(PORT)"
	@echo "  First visit: create the administrator account, then build an assistant."
	@echo "  The built-in engine runs on the offline demo model. Ctrl-C stops everything."
	@echo ""
	@# engine/management/commands/serve_all.py: Ctrl-C, SIGTERM or SIGHUP stops both servers
	@# (the worker after finishing the runs in progress); if either stops, so does the other.
	exec $(BIN)/python manage.py serve_all --port $(PORT)

worker: $(VENV)/.installed
	$(BIN)/python manage.py engine_worker

# The team deployment's web server (README: "Deploying for a team"): gunicorn running uvicorn
# workers on the ASGI application (dashboard/gunicorn.conf.py), after migrating and collecting
# the static files that whitenoise serves compressed. Run `make worker` beside it.
serve: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	exec $(BIN)/gunicorn --config dashboard/gunicorn.conf.py

test: $(VENV)/.installed-dev chromium bubblewrap axe
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) data
