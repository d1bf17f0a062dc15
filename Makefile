# Every target mirrors what CI runs. `make demo` and `make test` install what they need on first use.
SHELL := /bin/bash
# The interpreter of the Lambda runtime (the template's python3.13): .venv, the tests and the local
# runtime's sandboxes all run it, so what runs on AWS is what the tests ran.
PYTHON_VERSION := $(shell cat .python-runtime)
PYTHON ?= $(shell .ci/find-python $(PYTHON_VERSION))
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled
# Bytecode caches (gitignored __pycache__) are written even where the shell says not to: without
# them every pytest worker and every subprocess recompiles the project and re-rewrites each test
# module's assertions (about 2 s a process).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: deps demo test lint unit workflow infra synth bench clean diagrams serve fault-sweep screenshots capacity burst

# The project is installed in its own venv, editable: a .pth puts the checkout and its task packages
# (lambdas/) on the venv's path, so `.venv/bin/python` imports local_runtime, demo and order_store
# from any directory, as the README's snippets do; and, as pip compiles what it installs, its
# sources are compiled once here, not by every pytest worker and subprocess of a first run.
$(DEPS): requirements.lock package.json package-lock.json .python-runtime Makefile
	@test -n "$(PYTHON)" || { echo "no Python $(PYTHON_VERSION): see .ci/find-python" >&2; exit 1; }
	if ! $(PY) -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != "$(PYTHON_VERSION)")' 2>/dev/null; then \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "order-platform.pth").write_text("$(CURDIR)\n$(CURDIR)/lambdas\n")'
	$(PY) -m compileall -q -j 0 local_runtime lambdas workflows demo operations visualize bench app.py > /dev/null
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(DEPS)

# The synthesized cloud assembly: what `cdk deploy` deploys and what the local runtime brings up.
cdk.out/manifest.json: $(DEPS) app.py cdk.json $(shell find workflows lambdas asl -type f -not -path '*/__pycache__/*')
	npx cdk synth --quiet > /dev/null
	touch $@

synth: cdk.out/manifest.json

demo: cdk.out/manifest.json
	$(PY) -m demo

lint: $(DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy lambdas local_runtime workflows operations visualize app.py

# One pytest worker per core (2 here): the tiers are independent processes, each with its own moto and clock;
# an idle worker takes tests queued for the other (worksteal), so neither finishes long after the other.
test: cdk.out/manifest.json lint
	$(PY) -m pytest -n auto --dist worksteal

unit: $(DEPS)
	$(PY) -m pytest tests/unit

bench: cdk.out/manifest.json
	$(PY) -m bench

# Every transient error of every Lambda task of the claim check, the outbox and the saga, once, before
# and after its effect, for a fulfilled, a declined and an unshippable order: what differs from the
# same order without the fault (several minutes; the suite draws a few of these cases).
fault-sweep: cdk.out/manifest.json
	$(PY) -m tests.workflow.fault_sweep

# The whole app behind one local AWS endpoint (AWS CLI --endpoint-url), until Ctrl-C.
# The local console (console/, on the AWS endpoint's port): drawn with the pinned Mermaid from npm.
CONSOLE := --static /console/=console --static /console/vendor/=node_modules/mermaid/dist \
	--static /console/samples/=sample_events --static /console/outputs.json=outputs.json

serve: cdk.out/manifest.json
	$(PY) -m local_runtime.serve --party demo.payment_provider:answering_provider $(CONSOLE) $(SERVE_ARGS)

# How far the stack scales on AWS: what an order consumes, measured here, against the quotas and
# prices of bench/aws_limits.json (each with its source page).
# SHARDS=4: with the best seller's stock over 4 shards (order_saga.stock).
capacity: cdk.out/manifest.json
	$(PY) -m bench.capacity_model $(if $(SHARDS),--shards $(SHARDS))

# A burst at three times the modeled limit with the quotas on, on the virtual clock: 5,000 orders
# over 10 virtual minutes (ORDERS=..., WINDOW=... seconds to change it); tens of minutes of wall time.
burst: cdk.out/manifest.json
	$(PY) -m bench.burst $(ORDERS) $(if $(WINDOW),--window $(WINDOW))

# The README's console screenshots, taken by the browser tests (headless Chromium).
screenshots: cdk.out/manifest.json
	CONSOLE_SCREENSHOTS=docs/console $(PY) -m pytest tests/console -q

# The README's state machine diagrams, regenerated from asl/ (a test fails when one is stale).
diagrams: $(DEPS)
	$(PY) -m visualize.diagrams

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache .layer-cache .function-code-cache
