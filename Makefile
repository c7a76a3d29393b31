# ganfleet: `make demo` trains a small class-parallel fleet, `make test` checks the code (`make lint`) and runs the suite.
# Both create .venv and install everything first; nothing else is needed. Afterwards
# `./ganfleet ...` runs the command from .venv without activating it.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch is installed first, pinned, and the CPU build unless you ask for CUDA:
#   - a torch==$(TORCH_VERSION) wheel pip finds without an index (its find-links, e.g. a
#     local wheel folder) is used as it is, offline;
#   - otherwise the CPU build from PyTorch's CPU index (no CUDA wheels, no nvidia-* packages);
#   - TORCH=cu128 (or any PyTorch index name), or TORCH_INDEX=URL, installs from that index instead.
TORCH_VERSION ?= 2.13.0
TORCH ?= cpu
TORCH_INDEX ?= $(if $(filter cpu,$(TORCH)),,https://download.pytorch.org/whl/$(TORCH))
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
# optional parts: dev (pytest, ruff, mypy), tb (TensorBoard logs): make install EXTRAS=dev,tb
EXTRAS ?= dev
FM_DIR := /usr/share/datasets/fashion-mnist

.PHONY: install data mpi lint test test-fast demo bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	@if [ -n "$(TORCH_INDEX)" ]; then \
	  echo "torch $(TORCH_VERSION) from $(TORCH_INDEX)"; \
	  $(PY) -m pip install -q torch==$(TORCH_VERSION) --index-url $(TORCH_INDEX); \
	elif $(PY) -m pip install -q --no-deps --no-index torch==$(TORCH_VERSION) 2>/dev/null; then \
	  echo "torch $(TORCH_VERSION): a local wheel, no download"; \
	else \
	  echo "torch $(TORCH_VERSION), CPU build, from $(TORCH_CPU_INDEX)"; \
	  $(PY) -m pip install -q torch==$(TORCH_VERSION) --index-url $(TORCH_CPU_INDEX); \
	fi
	$(PY) -m pip install -q -c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

# Fashion-MNIST from Debian's dataset-fashion-mnist when apt can install it;
# otherwise the demo uses scikit-learn's bundled digits and the real-data tests skip.
data:
	@if [ -f $(FM_DIR)/train-images-idx3-ubyte.gz ]; then \
	  echo "Fashion-MNIST present in $(FM_DIR)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) \
	    || echo "could not install dataset-fashion-mnist; continuing without it"; \
	else \
	  echo "Fashion-MNIST not installed (needs root + apt: apt-get install dataset-fashion-mnist); continuing without it"; \
	fi

# Open MPI (and MPICH) from Debian for the real mpirun tests, when apt can install them; else those tests skip.
mpi:
	@if command -v mpirun.openmpi >/dev/null && command -v mpiexec.mpich >/dev/null; then \
	  echo "Open MPI and MPICH present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openmpi-bin mpich) \
	    || echo "could not install openmpi-bin and mpich; the MPI tests skip"; \
	else \
	  echo "Open MPI not installed (needs root + apt: apt-get install openmpi-bin mpich); the MPI tests skip"; \
	fi

# ruff (lint and format) and mypy, configured in pyproject.toml; any finding fails `make test`
lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

# pytest -n auto: one test process per core (pytest-xdist); every test runs torch at one thread.
# --maxschedchunk 1: tests go out one at a time to whichever process is free, so none is left with a block of long ones
test: install data mpi lint
	$(PY) -m pytest -q -n auto --maxschedchunk 1

test-fast: install
	$(PY) -m pytest -q -n auto --maxschedchunk 1 -m "not slow"

demo: install data
	$(PY) -m ganfleet demo --out runs/demo
	@echo "next: ./ganfleet --help (runs ganfleet from $(VENV); no need to activate it)"

bench: install data
	$(PY) benchmarks/throughput.py

clean:
	rm -rf $(VENV) runs .pytest_cache
