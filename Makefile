# ganfleet: `make demo` trains a small class-parallel fleet, `make test` runs the suite.
# Both create .venv and install everything first; nothing else is needed.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch is installed first, pinned, from the CPU build (PyTorch's CPU index by
# default; on machines with a local wheel mirror pip finds it there). Override
# TORCH_INDEX to use a CUDA index on a GPU machine.
TORCH_VERSION ?= 2.13.0
TORCH_INDEX ?=
FM_DIR := /usr/share/datasets/fashion-mnist

.PHONY: install data mpi test test-fast demo bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==$(TORCH_VERSION) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
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

test: install data mpi
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow"

demo: install data
	$(PY) -m ganfleet demo --out runs/demo

bench: install data
	$(PY) benchmarks/throughput.py

clean:
	rm -rf $(VENV) runs .pytest_cache
