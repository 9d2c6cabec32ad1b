# graphdistill: `make demo` (Cora end to end), `make test`, `make dev` (web UI + daemon).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
GRAPHDISTILL_HOME ?= $(CURDIR)/.graphdistill
DAGSTER_HOME := $(GRAPHDISTILL_HOME)/dagster
PORT ?= 3000
export GRAPHDISTILL_HOME DAGSTER_HOME

.PHONY: venv demo test dev benchmark smoke-cuda clean

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
	$(BIN)/graphdistill demo

test: venv
	$(BIN)/python -m pytest -q

dev: venv $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/graphdistill dev --port $(PORT)

benchmark: venv
	$(BIN)/python -m benchmarks.teachers
	$(BIN)/python -m benchmarks.students

# Every student and condenser once on a GPU, on a 600-node graph, and the graph-level GNNs on
# MUTAG (its rows go to a separate home, not the warehouse's 10-seed rows): the unit tests run
# on CPU only, and a tensor left on the wrong device shows up here in about a minute.
smoke-cuda: venv
	$(BIN)/python -m benchmarks.students --device cuda --datasets sbm-small --seeds 1 \
		--students glnn-sage glnn-sage-ind ffg2m-sage ffg2m-sage-ind vqgraph-sage vqgraph-sage-ind
	$(BIN)/python -m benchmarks.condensation --device cuda --datasets sbm-small --seeds 1 --epochs 30 \
		--settings whole random-r0.5 herding-r0.5 kcenter-r0.5 clustgdd-r0.5 gcond-r0.5 doscond-r0.5 gcdm-r0.5 \
		--archs gcn sgc appnp sage gat mlp
	GRAPHDISTILL_HOME=$(GRAPHDISTILL_HOME)/smoke-cuda $(BIN)/python -m benchmarks.graph_distillation --device cuda \
		--datasets MUTAG --settings full mirage-l2 --matched random herding --seeds 1 --epochs 3 --archs gin gcn gat

clean:
	rm -rf $(GRAPHDISTILL_HOME)
