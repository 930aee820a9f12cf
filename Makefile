# Two entry points (see README.md): `make run` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/node_modules/.bin:$(CURDIR)/.venv/bin:$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export PAYSIM_DEMO ?= 1
# Compiled modules are cached (in the usual __pycache__ folders, git-ignored): an environment
# with PYTHONDONTWRITEBYTECODE makes every pytest process rewrite every test file's asserts again
# (about 13 core-s a collection, five collections a `make test`; bench/README.md)
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test prod setup venv node migrate seed lint audit clean

setup: venv node axe

# The virtual environment is rebuilt only when requirements.txt changes.
venv: .venv/.installed
.venv/.installed: requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# Reflex 0.10 needs Node >= 22.22; Debian ships 20. The npm package node@22 carries the binary;
# npm 11 runs its install script only when package.json's allowScripts names it.
node:
	@if node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a==22&&b>=22)?0:1)' 2>/dev/null; then \
	  echo "node $$(node --version) is recent enough"; \
	else \
	  echo "installing node@22 into .tools/"; $(MAKE) -s tools-package; \
	  npm install --no-audit --no-fund --prefix $(TOOLS) node@22 >/dev/null; \
	  hash -r; node --version; \
	  node -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' || { echo 'node 22 did not install'; exit 1; }; \
	fi

# .tools/package.json records what is installed there, so one install never prunes another's
.PHONY: tools-package axe
tools-package:
	@mkdir -p $(TOOLS)
	@test -f $(TOOLS)/package.json || echo '{"private": true, "allowScripts": {"node": true}}' > $(TOOLS)/package.json

# axe-core, injected by the browser tests to check the pages' accessibility
AXE_VERSION := 4.14.1
axe: $(TOOLS)/node_modules/axe-core/axe.min.js
$(TOOLS)/node_modules/axe-core/axe.min.js:
	@$(MAKE) -s tools-package
	npm install --no-audit --no-fund --save-exact --prefix $(TOOLS) axe-core@$(AXE_VERSION) >/dev/null

migrate: setup
	$(PY) -m paysim_app migrate

seed: migrate
	$(PY) -m paysim_app seed-demo --if-empty

run: seed
	$(PY) -m paysim_app demo-logins
	.venv/bin/reflex run --env prod

# Production (README, "Production"): PostgreSQL and Redis from DATABASE_URL and REDIS_URL, never
# demo data, the settings checked first, then several backend workers (WORKERS, default 2 x cores
# + 1) sharing the UI state in Redis; one of them runs the scheduled jobs (a database lease).
prod: export PAYSIM_DEMO = 0
prod: setup
	$(PY) -m paysim_app preflight
	$(PY) -m paysim_app migrate
	GRANIAN_WORKERS=$${WORKERS:-$$(( $$(nproc) * 2 + 1 ))} \
	  .venv/bin/reflex run --env prod --loglevel $${LOGLEVEL:-info}

# Without PYTEST_ARGS, tests/suite.py: the tests that need no running app on two cores
# (pytest-xdist) from the start, while the app is built once; then the browser journeys against
# it beside the security suites. `make test PYTEST_ARGS="-n 2 -m 'not browser and not server'"`
# runs the fast part alone.
test: setup
ifeq ($(strip $(PYTEST_ARGS)),)
	$(PY) -m tests.suite
else
	$(PY) -m pytest $(PYTEST_ARGS)
endif

lint: setup
	.venv/bin/ruff check .
	.venv/bin/lint-imports

# Known vulnerabilities in the pinned requirements (pip-audit; .ci/audit.py says what it could check)
audit: setup
	$(PY) .ci/audit.py

clean:
	rm -rf .venv .tools .web .states
