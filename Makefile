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

# Three pytest processes side by side: the browser tests (mostly waiting on Chromium and the served app), the
# storage and service tests (tests/integration: a third of the tests and over half of the CPU time) and the rest
# (unit and rule-case tests). The two CPU-bound runs keep both cores busy, where one run of both left one core idle
# once the browser tests ended. Each makes its own databases (uuid-named PostgreSQL copies, SQLite files in its own
# temporary folders) and its own loopback ports, so none sees another. The other two runs' output is printed when
# all have ended; the run fails if any does (pytest's exit 5, no tests collected, included).
test: system-deps lint typecheck
	@mkdir -p build
	@$(PY) -m pytest -q -p no:cacheprovider tests/browser > build/browser-tests.log 2>&1 & browser=$$!; \
	$(PY) -m pytest -q -p no:cacheprovider tests/integration > build/integration-tests.log 2>&1 & integration=$$!; \
	$(PY) -m pytest -q -p no:cacheprovider --ignore=tests/browser --ignore=tests/integration; rest=$$?; \
	wait $$integration; integration_status=$$?; \
	wait $$browser; browser_status=$$?; \
	echo; echo "== storage and service tests (tests/integration, run beside the others; build/integration-tests.log)"; \
	cat build/integration-tests.log; \
	echo; echo "== browser tests (tests/browser, run beside the others; build/browser-tests.log)"; \
	cat build/browser-tests.log; \
	echo "== exit: browser tests $$browser_status, storage and service tests $$integration_status, other tests $$rest"; \
	test $$rest -eq 0 && test $$integration_status -eq 0 && test $$browser_status -eq 0

bench: install
	$(PY) bench/check_throughput.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache build *.egg-info src/*.egg-info
