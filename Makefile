# graphdistill: `make demo` (Cora end to end), `make test`, `make dev` (web UI + daemon).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
GRAPHDISTILL_HOME ?= $(CURDIR)/.graphdistill
DAGSTER_HOME := $(GRAPHDISTILL_HOME)/dagster
PORT ?= 3000
export GRAPHDISTILL_HOME DAGSTER_HOME

.PHONY: venv demo test dev benchmark clean

# torch is pinned to the CPU wheel first; the project's own range then installs nothing more.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml: deploy/local/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp deploy/local/dagster.yaml $@

demo: venv $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python scripts/demo.py

test: venv
	$(BIN)/python -m pytest -q

dev: venv $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -h 127.0.0.1 -p $(PORT) -w workspace.yaml

benchmark: venv
	$(BIN)/python -m benchmarks.teachers
	$(BIN)/python -m benchmarks.students

clean:
	rm -rf $(GRAPHDISTILL_HOME)
