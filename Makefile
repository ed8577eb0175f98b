# Network Portal. `make run` serves the portal on a fresh machine;
# `make test` runs every check and test against PostgreSQL and Redis.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DATABASE_URL ?= postgres://root@127.0.0.1:5432/network_portal
REDIS_URL ?= redis://127.0.0.1:6379/15

# Production-like variables for `check --deploy`.
DEPLOY_ENV := DEBUG=0 HTTPS=1 SECRET_KEY=deploy-check-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	ALLOWED_HOSTS=network.example.org SITE_URL=https://network.example.org DATABASE_URL=$(DATABASE_URL)

.PHONY: run test lint venv clean

$(VENV)/.installed-runtime: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime

venv: $(VENV)/.installed-runtime

# Embedded mode: SQLite in var/, a filesystem Celery broker, console email.
run: $(VENV)/.installed-runtime
	@mkdir -p var
	@test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	@export DEBUG=1 DEMO_MODE=1 SECRET_KEY="$$(cat var/secret_key)" PATH="$(CURDIR)/$(VENV)/bin:$$PATH"; \
	unset DATABASE_URL REDIS_URL EMAIL_URL; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py collectstatic --noinput --verbosity 0 && \
	$(PY) manage.py seed_demo && \
	echo "Serving on http://127.0.0.1:8000 (Ctrl-C stops web, workers and beat)" && \
	exec env HOST=127.0.0.1 WEB_CONCURRENCY=2 WORKER_CONCURRENCY=1 $(VENV)/bin/honcho start -f Procfile -p 8000

test: $(VENV)/.installed-dev
	@DATABASE_URL=$(DATABASE_URL) $(PY) -m network_portal.checkdb || { \
	  echo "PostgreSQL is not answering at $(DATABASE_URL)."; \
	  echo "Start it with: pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start"; \
	  exit 1; }
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo --no-cache
	DATABASE_URL=$(DATABASE_URL) DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(VENV)/bin/bandit -q -ll -r manage.py network_portal members meetings training resources -x '*/migrations/*'
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) $(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var/celery var/celerybeat-schedule* var/static
