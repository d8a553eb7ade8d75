# The two commands: `make demo` and `make test`. Everything they need installs from here, at the
# versions (and hashes) locked in requirements/: demo.txt for `make demo`, dev.txt (a superset) for
# `make test` and CI, runtime.txt for the Lambda bundle. `make lock` regenerates the three.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed
PIP_INSTALL := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar on
LOCK := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet
CDK_ARGS ?=
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: test demo install install-demo lock lint format synth deploy bench clean

# Runs $(1), printing a line every 15 s while it is quiet: pip says nothing while it unpacks what it
# downloaded (botocore alone is thousands of files), and a long silence looks like a hang.
define with_heartbeat
@echo "$(1)"; start=$$(date +%s); \
( while sleep 15; do echo "   ... still at work ($$(( $$(date +%s) - start )) s so far)"; done ) & beat=$$!; \
$(1); status=$$?; kill $$beat 2>/dev/null; exit $$status
endef

$(BIN)/python:
	@echo "== creating $(VENV) ($(PYTHON) -m venv, with its own pip: about 10 s)"
	$(PYTHON) -m venv $(VENV)

# The project itself is installed without dependencies: every dependency comes from a lock file.
$(DEMO_STAMP): requirements/demo.txt pyproject.toml | $(BIN)/python
	@echo "== installing what the demo needs: $$(grep -c '^[a-zA-Z0-9].*==' requirements/demo.txt) packages pinned in requirements/demo.txt"
	$(call with_heartbeat,$(PIP_INSTALL) --require-hashes -r requirements/demo.txt)
	@echo "== installing Homeostat itself (editable, no dependencies: they came from the lock above)"
	$(PIP_INSTALL) --no-deps -e .
	touch $@

$(STAMP): requirements/dev.txt $(DEMO_STAMP)
	@echo "== installing the test and deploy tools: requirements/dev.txt (CDK, pytest, ruff...)"
	$(call with_heartbeat,$(PIP_INSTALL) --require-hashes -r requirements/dev.txt)
	touch $@

install-demo: $(DEMO_STAMP)
install: $(STAMP)

# Regenerate the locks after changing dependencies in pyproject.toml (needs network).
lock: $(STAMP)
	$(LOCK) -o requirements/runtime.txt
	$(LOCK) --extra demo -c requirements/runtime.txt -o requirements/demo.txt
	$(LOCK) --extra dev -c requirements/demo.txt -o requirements/dev.txt
	@wc -c requirements/*.txt

$(NODE_STAMP): package.json package-lock.json
	@echo "== installing the pinned CDK CLI (npm ci from package-lock.json; each download is listed)"
	$(call with_heartbeat,npm ci --no-audit --no-fund --loglevel=http)
	touch $(NODE_STAMP)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) $(NODE_STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist worksteal tests

demo: $(DEMO_STAMP)
	$(BIN)/python -m homeostat_core.cli local demo

synth: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH" npx cdk synth --quiet $(CDK_ARGS)
	@echo "template: $(CURDIR)/cdk.out/HomeostatStack.template.json"

# AWS credentials for the target account; e.g. make deploy CDK_ARGS="-c env=production"
deploy: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$$PATH" npx cdk deploy $(CDK_ARGS)

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .work .lambda-build
