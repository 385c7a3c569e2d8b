# One command to run, one to test. Both set up their own virtual environment first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install install-browser run test test-fast lint build lambda-image bench clean help

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install everything

# The web console's browser test drives Debian's chromium through Playwright (no browser download).
CHROMIUM ?= $(or $(SOLROUTE_CHROMIUM),$(shell command -v chromium || echo /usr/bin/chromium))
install-browser:  ## Install Debian's chromium for the console's browser test (apt-get; needs root or sudo)
	@if [ -x "$(CHROMIUM)" ]; then echo "chromium: $(CHROMIUM)"; \
	else \
		command -v apt-get >/dev/null || { echo "no chromium and no apt-get: install Chromium, then make test SOLROUTE_CHROMIUM=/path/to/chromium"; exit 1; }; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null && \
		echo "chromium: installed $$(command -v chromium)"; \
	fi

run: $(STAMP)  ## Start the local cloud (HTTP :3000, WebSocket :3001, AWS endpoint :4566, SQS :4567, Lambda :4568, Solana RPC :8899)
	$(BIN)/solroute up

lint: $(STAMP)  ## Validate and lint template.yaml
	SAM_CLI_TELEMETRY=0 $(BIN)/sam validate --lint --template template.yaml
	$(BIN)/cfn-lint template.yaml

test: lint install-browser  ## Lint the template, then run the whole test suite (the console's in Chromium too)
	$(BIN)/pytest

# The lanes are pytest markers given by folder (tests/conftest.py); CI runs `make test`, every lane.
test-fast: $(STAMP)  ## Run the unit and contract tests only (well under a minute; no lint, no browser)
	$(BIN)/pytest -m "unit or contract"

bench: $(STAMP)  ## Run every benchmark profile (about 20 minutes); results in bench/results/
	$(BIN)/python -m bench $(PROFILES)

build: $(STAMP)  ## sam build (no container needed for python3.11 on x86_64)
	SAM_CLI_TELEMETRY=0 $(BIN)/sam build

lambda-image: $(STAMP)  ## Build the Lambda python3.11 image sam local runs functions in, from Debian and PyPI (Docker; root or sudo)
	localcloud/build-lambda-image.sh

clean:  ## Remove build output and the virtual environment
	rm -rf .aws-sam $(VENV) .pytest_cache .hypothesis
