# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
APT_PACKAGES := chromium poppler-utils wrk openssh-server

.PHONY: install system-deps demo serve test lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; fi
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)
	$(PY) -m compileall -q -j 0 src >/dev/null  # bytecode ahead: the CLI starts without compiling (PYTHONDONTWRITEBYTECODE)

# Debian packages the browser and PDF tests need (Chromium for Playwright, pdftoppm), wrk for bench/api_load.py and
# OpenSSH's sshd for the mailbox's SFTP test, which runs its own on a free loopback port (without systemd the
# package's postinst starts no sshd on port 22).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Prints the reports of the example encounters, then seeds the synthetic demo clinic into the
# embedded SQLite database and serves the app on http://127.0.0.1:8000 (Ctrl-C stops it).
demo: install
	@mkdir -p build; $(VENV)/bin/ptbill check examples/*.json > build/example-reports.txt; status=$$?; test $$status -le 1
	@grep -E '^[^ ]' build/example-reports.txt; echo "(each example's full report: build/example-reports.txt)"; echo
	$(VENV)/bin/ptbill demo

serve: install
	$(VENV)/bin/ptbill serve

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy

test: system-deps lint typecheck
	$(PY) -m pytest -q

bench: install
	$(PY) bench/check_throughput.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
