# geomem: the two commands are `make book` and `make test` (see README.md).
# Everything else a fresh machine needs (venv, pinned packages, vendored JS, Chromium)
# is set up by the targets themselves.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= ci
EXECUTED := build/executed
RESULTS := build/results
STAMP := $(VENV)/.installed

.PHONY: book test quick run lab bench sweep mutate clean env help

help:
	@echo "make book   execute every notebook ($(PROFILE) profile) and build the book into book/_build/html"
	@echo "make test   unit tests, every notebook with its claim check, the built book in headless Chromium"
	@echo "make quick  unit tests and every notebook at the smoke profile (checks off)"
	@echo "make run NB=03_implicit_reasoning ARGS='-p DEGREE 50'   one notebook with parameters"
	@echo "make sweep NAME=degree [PROFILE=ci] [ARGS='--scheduler tcp://HOST:8786']   a sweep on Dask (see sweeps/)"
	@echo "make lab    JupyterLab on the notebooks;  make bench   benchmarks;  make clean"
	@echo "make mutate mutation testing of the science-critical modules (~1 h on 2 cores; MUTATE_ARGS='--sample 700')"

env: $(STAMP)

$(STAMP): requirements/constraints.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -c requirements/constraints.txt -e ".[book,test,cluster]"
	@touch $@

book: $(STAMP)
	@status=0; \
	$(PY) -m geomem_utils.execute --profile $(PROFILE) --keep-going --out $(EXECUTED) --results $(RESULTS) || status=$$?; \
	$(PY) book/build_book.py --executed $(EXECUTED) --results $(RESULTS) || exit 1; \
	echo "book: open book/_build/html/index.html"; exit $$status

# pytest runs offline (tests/offline.py): in a loopback-only network namespace where the
# machine allows it, and with the Python guard in every Python process it starts. The
# Chromium install before it needs the network, so it stays outside.
test: $(STAMP)
	bash book/ensure_chromium.sh
	GEOMEM_PROFILE=ci $(PY) tests/offline.py $(PY) -m pytest tests

quick: $(STAMP)
	GEOMEM_PROFILE=smoke $(PY) tests/offline.py $(PY) -m pytest tests -m "not browser" -x -q

run: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make run NB=<notebook stem> ARGS='-p NAME VALUE ...'"; exit 2; }
	$(PY) -m geomem_utils.execute $(NB) --profile $(PROFILE) --out $(EXECUTED) --results $(RESULTS) $(ARGS)

lab: $(STAMP)
	$(PY) -m pip install -q -c requirements/constraints.txt -c requirements/constraints-lab.txt jupyterlab
	$(VENV)/bin/jupyter lab notebooks

bench: $(STAMP)
	$(PY) -m bench.run

sweep: $(STAMP)
	@test -n "$(NAME)" || { $(PY) -m geomem_utils.sweep --list; echo "usage: make sweep NAME=<sweep> [PROFILE=ci] [ARGS='--workers 2 | --scheduler tcp://HOST:8786 | --slurm ...']"; exit 2; }
	$(PY) -m geomem_utils.sweep $(NAME) --profile $(PROFILE) $(ARGS)

# Mutation testing (issue 17; not part of CI): mutmut over graphs, tasks, experiments, train,
# measures, params and the GPT, against the fast unit tests; report in tests/mutation/REPORT.md.
MUTATE_ARGS ?= --sample 700
mutate: $(STAMP)
	$(PY) -m pip install -q -c requirements/constraints.txt -c requirements/constraints-mutate.txt -e ".[mutate]"
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) tests/mutation/run.py $(MUTATE_ARGS)

clean:
	rm -rf build book/_build book/_generated .pytest_cache mutants
