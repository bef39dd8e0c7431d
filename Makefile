# GridBalance developer entry points. `make help` lists them.
#
# Everything installs from the project's own files: package.json + package-lock.json (npm ci)
# and pyproject.toml (pip, into .venv). Setup is stamped: a second `make setup` does no work.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON      ?= python3
VENV        := .venv
PY          := $(CURDIR)/$(VENV)/bin/python
BROWNIE     := $(CURDIR)/$(VENV)/bin/brownie
BROWNIE_VERSION := 1.22.2
VENV_STAMP  := $(VENV)/.gridbalance-installed
NODE_STAMP  := node_modules/.gridbalance-installed
SOLC_WRAPPER := $(CURDIR)/tools/solc/solc
# py-solc-x's compiler folder (it honours SOLCX_BINARY_PATH, as we do)
SOLCX_DIR   := $(or $(SOLCX_BINARY_PATH),$(HOME)/.solcx)
NODE_BIN    := $(CURDIR)/node_modules/.bin
PY_SRC      := oracles tests benchmarks examples $(wildcard scripts)
# the london build profile (Energy Web Chain: no PUSH0): a Brownie project of links to the sources,
# with its own build folder, so neither profile ever recompiles the other (see oracles/protocol/profiles.py)
LONDON_DIR  := build/profiles/london
LONDON_CONFIG := $(LONDON_DIR)/brownie-config.yaml

# anvil, cast, solhint, prettier and the venv's tools for every recipe
export PATH := $(NODE_BIN):$(CURDIR)/$(VENV)/bin:$(PATH)
# pip prints one warning per package for this machine's unused local index folders
PIP_QUIET := grep -v -E "^WARNING: Location 'file:.*' is ignored" || true

.PHONY: help setup register-solc lint format compile compile-london test test-full test-contracts \
	test-contracts-london test-contracts-london-subset test-python audit demo bench snapshot soak \
	snapshot-check networks clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-28s %s\n", $$1, $$2}'

# ------------------------------------------------------------------------------------ setup

$(VENV_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "GridBalance needs Python >= 3.11 (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	@echo "==> creating $(VENV) and installing the oracles package [dev] + eth-brownie $(BROWNIE_VERSION)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' eth-brownie==$(BROWNIE_VERSION) 2>&1 | { $(PIP_QUIET); }
	@$(PY) -c 'import brownie, oracles, solcx' # fails loudly if the install did not work
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v node >/dev/null || { echo "GridBalance needs node (>= 20) and npm on PATH" >&2; exit 1; }
	@echo "==> npm ci (solc, OpenZeppelin, anvil, cast, solhint, prettier)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

register-solc: $(NODE_STAMP) ## register tools/solc/solc with py-solc-x (a symlink in its folder)
	@version=$$(node -p 'require("./package.json").devDependencies.solc'); \
	grep -qE "^\s+version: $$version\s*$$" brownie-config.yaml || { \
	  echo "brownie-config.yaml compiler.solc.version must equal the npm solc version ($$version)" >&2; exit 1; }; \
	mkdir -p "$(SOLCX_DIR)"; \
	link="$(SOLCX_DIR)/solc-v$$version"; \
	if [ "$$(readlink "$$link" 2>/dev/null)" != "$(SOLC_WRAPPER)" ]; then \
	  ln -sfn "$(SOLC_WRAPPER)" "$$link"; echo "==> registered $$link -> $(SOLC_WRAPPER)"; fi
	@# `source .venv/bin/activate` is then enough to run brownie (it launches anvil from PATH)
	@for tool in anvil cast; do ln -sfn "$(NODE_BIN)/$$tool" "$(VENV)/bin/$$tool"; done

setup: $(VENV_STAMP) $(NODE_STAMP) register-solc ## install everything (idempotent; seconds when done)
	@# the Debian packages of debian-packages.txt (chromium for the dashboard's browser tests), when missing
	@bash tools/debian-packages.sh debian-packages.txt

# ------------------------------------------------------------------------------------ checks

lint: setup ## solhint + prettier (Solidity) + ruff + mypy (Python)
	@echo "==> lint"
	@solhint --disc --noPoster --max-warnings 0 'contracts/**/*.sol'
	@prettier --log-level warn --check 'contracts/**/*.sol'
	@ruff check $(PY_SRC)
	@ruff format --check --quiet $(PY_SRC)
	@mypy --no-error-summary
	@echo "lint clean"

format: setup ## rewrite Solidity and Python in the project style
	@prettier --log-level warn --write 'contracts/**/*.sol'
	@ruff format $(PY_SRC)
	@ruff check --fix --quiet $(PY_SRC)

compile: setup ## compile the contracts (brownie compile, through the solcjs wrapper; cancun)
	@$(BROWNIE) compile

$(LONDON_CONFIG): brownie-config.yaml Makefile
	@mkdir -p $(LONDON_DIR)
	@for f in contracts tests scripts node_modules pyproject.toml; do ln -sfn ../../../$$f $(LONDON_DIR)/$$f; done
	@# OpenZeppelin >= 5.5 uses MCOPY (Cancun) in Math/Strings: london builds against 5.4.0 (package.json)
	@sed -E -e 's/^(  evm_version:) cancun$$/\1 london/' \
	  -e 's|"@openzeppelin=node_modules/@openzeppelin"|"@openzeppelin/contracts=node_modules/@openzeppelin/contracts-london"|' \
	  brownie-config.yaml > $@.tmp
	@grep -qE '^  evm_version: london$$' $@.tmp && grep -q 'contracts-london"' $@.tmp || { \
	  echo "brownie-config.yaml: cannot derive the london profile (evm_version or remapping line changed)" >&2; exit 1; }
	@mv $@.tmp $@

compile-london: setup $(LONDON_CONFIG) ## compile for london (Energy Web Chain) into build/profiles/london
	@cd $(LONDON_DIR) && $(BROWNIE) compile

test-contracts: compile ## contract tests: brownie test on an Anvil the tests start themselves
	@$(BROWNIE) test

test-contracts-london: compile-london ## all the contract tests, compiled for and run under london (make test-full)
	@cd $(LONDON_DIR) && $(BROWNIE) test

# the tests marked `both_profiles` (tests/contracts/conftest.py): what differs between the EVM
# targets (PUSH0, MCOPY, OpenZeppelin 5.4 for london against 5.7): every contract's deployment and
# opcodes, the sizes, the lifecycle, proof, batch, signed and optimistic settlement
test-contracts-london-subset: compile-london ## the both_profiles contract tests (sizes, deployment, lifecycle, settlement) under london
	@cd $(LONDON_DIR) && $(BROWNIE) test -m both_profiles

# pytest-xdist: every test starts its own Anvil on a free port and writes only under its tmp dirs;
# the modules whose tests share one chain or one demo run carry an xdist_group mark, which
# --dist loadgroup keeps on one worker (test_live_deploy's tests also depend on their order).
# PYTEST_WORKERS=0 runs them serially in this process
PYTEST_WORKERS ?= 2
test-python: compile compile-london ## the Python package's own tests (pytest without the brownie plugin; PYTEST_WORKERS=2 in parallel)
	@$(PY) -m pytest -p no:pytest-brownie -n $(PYTEST_WORKERS) --dist loadgroup tests/python tests/toolchain

# the daemons' soak test (tests/python/test_soak.py) for longer than `make test` runs it:
# SOAK_DAYS simulated days, SOAK_KILLS SIGKILLs per daemon (at most SOAK_DAYS - 1), SOAK_SEED
SOAK_DAYS ?= 14
SOAK_KILLS ?= 8
SOAK_SEED ?= 24
soak: compile ## the daemons' soak test, longer: SOAK_DAYS=14 days, SOAK_KILLS=8 kills per daemon (about 1 min on 2 cores)
	@GRIDBALANCE_SOAK_DAYS=$(SOAK_DAYS) GRIDBALANCE_SOAK_KILLS=$(SOAK_KILLS) GRIDBALANCE_SOAK_SEED=$(SOAK_SEED) \
	  $(PY) -m pytest -p no:pytest-brownie -m soak tests/python/test_soak.py -q

# slither on every production contract (build/audit/All.sol imports each one), configured and
# explained in slither.config.json; any finding not fixed or excluded there with a reason fails
AUDIT_ENTRY := build/audit/All.sol
audit: setup ## slither static analysis of the contracts (slither.config.json); non-zero on any finding
	@echo "==> audit (slither)"
	@mkdir -p $(dir $(AUDIT_ENTRY))
	@{ echo '// SPDX-License-Identifier: MIT'; echo '// generated by `make audit`: one compilation unit of every production contract'; \
	  echo 'pragma solidity ^0.8.24;'; for f in contracts/core/*.sol contracts/demand-response/*.sol contracts/grid/*.sol contracts/governance/*.sol; do echo "import \"../../$$f\";"; done; } > $(AUDIT_ENTRY)
	@slither $(AUDIT_ENTRY) --config-file slither.config.json 2>&1 | { grep -v -E "has an unknown key: exclusion_reasons" || true; }

snapshot-check: compile compile-london ## fail when the code's gas or sizes differ from benchmarks/snapshot.json
	@$(PY) -m benchmarks.snapshot --check

# prerequisites run in this order; `compile` runs once although several targets need it.
# `test` keeps CI under 30 minutes on 2 cores: the whole contract suite on cancun, the
# both_profiles subset on london; `test-full` runs the whole suite on both profiles
test: lint audit test-contracts test-contracts-london-subset test-python snapshot-check ## lint, audit, contract tests (all on cancun, the both_profiles subset on london), Python tests in parallel, gas snapshot; non-zero on any failure
test-full: lint audit test-contracts test-contracts-london test-python snapshot-check ## make test with every contract test under london too (about 8-10 minutes more on 2 cores)

# ------------------------------------------------------------------------------------ run

networks: setup ## register the testnet presets with brownie (gb-sepolia, gb-arbitrum-sepolia, gb-base-sepolia, gb-volta)
	@$(PY) -m oracles.ops.networks

demo: compile ## the main job on a fresh local Anvil (started and stopped by the demo)
	@$(VENV)/bin/gridbalance demo

# `make bench STEPS=structure,oracle` runs only those steps (benchmarks/run.py STEPS) and keeps the others' keys
bench: compile compile-london ## gas and speed on fresh local Anvils: writes benchmarks/results.json and the table in benchmarks/README.md (about 30 min; STEPS=a,b for some)
	@$(VENV)/bin/python -m benchmarks.run $(if $(STEPS),--steps $(STEPS))

snapshot: compile compile-london ## exact gas of the key calls and every contract's size: writes benchmarks/snapshot.json (about 20 s)
	@$(PY) -m benchmarks.snapshot

clean: ## remove build output (keeps .venv and node_modules)
	rm -rf build reports .pytest_cache .hypothesis
