# One command to run, one to test. Both set up their own virtual environment first.
# The interpreter is the Lambda runtime's (template.yaml's Runtime: python3.13 -> 3.13): on PATH,
# else pyenv's (its shim answers only for the selected version), else a newer python3.
# `make install PYTHON=/path/to/python` picks another.
RUNTIME := $(shell sed -n 's/^ *Runtime: python//p' template.yaml | head -n1)
AT_LEAST_RUNTIME := import sys; sys.exit(sys.version_info[:2] < tuple(map(int, "$(RUNTIME)".split("."))))
PYTHON ?= $(shell for p in python$(RUNTIME) $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(RUNTIME).*/bin/python$(RUNTIME) python3; do \
	"$$p" -c '$(AT_LEAST_RUNTIME)' 2>/dev/null && { command -v "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install install-browser run test test-fast lint build stamp-layer lambda-image bench clean help

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "install: no Python $(RUNTIME) (template.yaml's Runtime) nor newer found:" \
		"install it (pyenv install $(RUNTIME), or your system's python$(RUNTIME)), or make install PYTHON=/path/to/python"; exit 1; }
	@$(PYTHON) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; print(f"install: Python {v} ({sys.executable})" + \
		("" if v == "$(RUNTIME)" else f"; Lambda runs $(RUNTIME), which was not found: tests run on {v}"))'
	@# A .venv of another Python (the runtime moved) is made anew, not patched over.
	@[ ! -x $(BIN)/python ] || [ "$$($(BIN)/python -c 'import sys; print(sys.version_info[:2])')" = "$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])')" ] || \
		{ echo "install: .venv is another Python's: made anew"; rm -rf $(VENV); }
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

lint: $(STAMP)  ## Validate and lint template.yaml and the CI workflow
	SAM_CLI_TELEMETRY=0 $(BIN)/sam validate --lint --template template.yaml
	$(BIN)/cfn-lint template.yaml
	$(BIN)/zizmor --offline --strict-collection .github/workflows/

test: lint install-browser  ## Lint the template, then run the whole test suite (the console's in Chromium too)
	$(BIN)/pytest

# The lanes are pytest markers given by folder (tests/conftest.py); CI runs `make test`, every lane.
test-fast: $(STAMP)  ## Run the unit and contract tests only (well under a minute; no lint, no browser)
	$(BIN)/pytest -m "unit or contract"

bench: $(STAMP)  ## Run every benchmark profile (about 20 minutes); results in bench/results/
	$(BIN)/python -m bench $(PROFILES)

# SAM builds with the python$(RUNTIME) it finds on PATH (a pyenv shim that does not run fails it): .venv's.
build: $(STAMP)  ## sam build (no container needed: .venv's python$(RUNTIME) on x86_64)
	PATH="$(CURDIR)/$(BIN):$$PATH" SAM_CLI_TELEMETRY=0 $(BIN)/sam build
	@$(MAKE) --no-print-directory stamp-layer

# SnapStart's functions run a published version (AutoPublishAlias), and SAM publishes one only when
# a function's own code changes, never for a change of the layer it uses (aws/serverless-application-
# model#3610): each built function gets the engine layer's content hash, so a layer change is a code
# change and `sam deploy` publishes new versions (docs/architecture.md#cold-starts-snapstart).
BUILD_DIR ?= .aws-sam/build
stamp-layer:  ## Stamp the built engine layer's hash into each built function (make build does)
	@h=$$(cd $(BUILD_DIR)/EngineLayer && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' | LC_ALL=C sort | \
		while read -r f; do printf '%s\n' "$$f"; cat "$$f"; done | sha256sum | cut -c1-64) && \
	for d in $(BUILD_DIR)/*/; do [ "$$d" = "$(BUILD_DIR)/EngineLayer/" ] || printf '%s\n' "$$h" > "$$d/ENGINE_LAYER_SHA256"; done && \
	echo "build: engine layer $$h stamped into each function (a layer change publishes new versions)"

lambda-image: $(STAMP)  ## Build the Lambda python$(RUNTIME) image sam local runs functions in, from Debian and PyPI (Docker; root or sudo)
	localcloud/build-lambda-image.sh

clean:  ## Remove build output and the virtual environment
	rm -rf .aws-sam $(VENV) .pytest_cache .hypothesis
