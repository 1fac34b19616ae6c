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

.PHONY: book test quick run seeds solutions handout lab lab-settings bench sweep mutate clean clean-cache env help

help:
	@echo "make book   execute every notebook ($(PROFILE) profile) and build the book into book/_build/html"
	@echo "make test   unit tests, every notebook with its claim check, the built book in headless Chromium"
	@echo "make quick  unit tests and every notebook at the smoke profile (checks off), into build/quick/"
	@echo "make run NB=03_implicit_reasoning ARGS='-p DEGREE 50'   one notebook with parameters (into build/runs/)"
	@echo "make seeds NB=03_implicit_reasoning SEEDS='1 2'   a chapter at more seeds, into its committed seed table"
	@echo "make sweep NAME=degree [PROFILE=ci] [ARGS='--scheduler tcp://HOST:8786']   a sweep on Dask (see sweeps/)"
	@echo "FORCE=1     execute notebooks again even when their inputs are unchanged"
	@echo "make lab [LAB_ARGS='--port 8890 --no-browser']   JupyterLab on the notebooks (--allow-root added as root)"
	@echo "make solutions  run every exercise's solution code at the smoke profile, into build/runs/solutions/"
	@echo "make handout    the book without solutions (for students), into book/_build/handout/"
	@echo "make bench  benchmarks"
	@echo "make clean  remove build/ and the built book, keeping the run cache build/cache;  make clean-cache  remove the cache"
	@echo "make mutate mutation testing of the science-critical modules (~1 h on 2 cores; MUTATE_ARGS='--sample 700')"

env: $(STAMP)

$(STAMP): requirements/constraints.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -c requirements/constraints.txt -e ".[book,test,cluster]"
	@touch $@

# FORCE=1 executes every notebook again, even those whose inputs are unchanged since
# their last good run (the executor skips those otherwise: `make test` after `make book`).
FORCE ?=
ifneq ($(filter 1 yes true,$(FORCE)),)
export GEOMEM_FORCE := 1
endif

book: $(STAMP)
	@status=0; \
	$(PY) -m geomem_utils.execute --profile $(PROFILE) --keep-going --book --out $(EXECUTED) --results $(RESULTS) || status=$$?; \
	$(PY) book/build_book.py --executed $(EXECUTED) --results $(RESULTS) || exit 1; \
	echo "book: open book/_build/html/index.html"; exit $$status

# The browser test needs Chromium: book/ensure_chromium.sh installs Debian's where apt-get
# can, uses $$GEOMEM_CHROMIUM when set, and says so (the test then skips) where neither.
# pytest runs offline (tests/support/offline.py): in a loopback-only network namespace where the
# machine allows it, and with the Python guard in every Python process it starts. The
# Chromium install before it needs the network, so it stays outside.
test: $(STAMP)
	bash book/ensure_chromium.sh
	GEOMEM_PROFILE=ci $(PY) tests/support/offline.py $(PY) -m pytest tests

# The smoke notebooks go to $(QUICK)/executed and $(QUICK)/results (tests/conftest.py's
# build_dirs), never over the book's build/executed and build/results.
QUICK := build/quick
quick: $(STAMP)
	@echo "quick: unit tests, then every notebook at the smoke profile into $(QUICK)/ (the book's build/ untouched)"
	GEOMEM_PROFILE=smoke $(PY) tests/support/offline.py $(PY) -m pytest tests -m "not browser" -x -q
	@echo "quick: smoke notebooks in $(QUICK)/executed, their results in $(QUICK)/results"

# Other parameters than the book's go to build/runs/<notebook>-<profile>-<parameters>/;
# add --book to ARGS to write into build/executed and build/results instead; RUN_DIR=build/runs/X
# names the run's folder (make solutions gives each solution its own). --profile is
# passed only when PROFILE is given (make run PROFILE=full), so that ARGS="-p PROFILE full"
# is the same run and not a disagreement with the Makefile's default.
run: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make run NB=<notebook stem> ARGS='-p NAME VALUE ...'"; exit 2; }
	$(PY) -m geomem_utils.execute $(NB) $(if $(filter command line environment,$(origin PROFILE)),--profile $(PROFILE)) $(if $(RUN_DIR),--run-dir $(RUN_DIR)) $(ARGS)

# A chapter at more seeds (its own run folders under build/runs/seeds/), each seed's check
# values added to the committed table bench/results/seeds/<notebook>.json that the verdicts
# rest on. FROM=build/results takes the rows from results files already there.
SEEDS ?= 1 2
seeds: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make seeds NB='<notebook stem> ...' SEEDS='1 2' [FROM=build/results]"; exit 2; }
	$(PY) -m geomem_utils.execute.seed_runs $(NB) --seeds $(SEEDS) --profile $(PROFILE) $(if $(FROM),--from $(FROM)) $(ARGS)

# JupyterLab from the `lab` extra (pinned by requirements/constraints-lab.txt), with
# jupytext's notebook view as the default for the chapters' .md files. Kernels start in
# notebooks/; the package resolves build/ against the repository root, so Lab reuses
# the book's cache and results.
LAB_STAMP := $(VENV)/.lab-installed
LAB_SETTINGS ?= $(VENV)/etc/jupyter/labconfig/default_setting_overrides.json

$(LAB_STAMP): $(STAMP) requirements/constraints-lab.txt
	$(PY) -m pip install -q -c requirements/constraints.txt -c requirements/constraints-lab.txt -e ".[book,test,cluster,lab]"
	@touch $@

lab-settings:
	@mkdir -p $(dir $(LAB_SETTINGS))
	$(VENV)/bin/jupytext-config --settings-file $(LAB_SETTINGS) set-default-viewer markdown myst

# Lab starts wherever it is run: as root (a container, a cloud VM) Jupyter refuses to start
# without --allow-root, so it is added when `id -u` is 0 (LAB_UID overrides the check);
# LAB_ARGS passes anything else through, e.g. LAB_ARGS='--port 8890 --no-browser --ip 0.0.0.0'.
LAB_UID ?= $(shell id -u)
LAB_ARGS ?=
LAB_ROOT_ARG = $(if $(filter 0,$(LAB_UID)),--allow-root)

lab: $(LAB_STAMP) lab-settings
	$(VENV)/bin/jupyter lab notebooks $(LAB_ROOT_ARG) $(LAB_ARGS)

bench: $(STAMP)
	$(PY) -m bench.run

# Without NAME: the list of sweeps and their grids (exit 0), nothing runs.
sweep: $(STAMP)
	@if [ -z "$(NAME)" ]; then \
	  $(PY) -m geomem_utils.sweep --list && echo "run one: make sweep NAME=<sweep> [PROFILE=ci] [ARGS='--workers 2 | --scheduler tcp://HOST:8786 | --slurm ... | --dry-run']"; \
	else \
	  echo "$(PY) -m geomem_utils.sweep $(NAME) --profile $(PROFILE) $(if $(RUN_DIR),--out $(RUN_DIR)) $(ARGS)"; \
	  $(PY) -m geomem_utils.sweep $(NAME) --profile $(PROFILE) $(if $(RUN_DIR),--out $(RUN_DIR)) $(ARGS); \
	fi

# Every exercise's solution code (its `{code-block}`s marked `:class: solution-code`) at the
# smoke profile, each into build/runs/solutions/<label>/ (never the book's build/executed or
# build/results), two at a time with one thread each, a size far beyond smoke's capped at ten
# times smoke's default; fails naming the exercises whose code failed. .ci/run calls it after make test.
solutions: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m geomem_utils.execute.solutions $(LABELS)

# The student handout: the same book without the solutions (sphinx-exercise's hide_solutions),
# built from the same executed notebooks into book/_build/handout/; book/_build/html is untouched.
handout: $(STAMP)
	$(PY) book/build_book.py --handout --executed $(EXECUTED) --results $(RESULTS)

# Mutation testing (issue 17; not part of CI): mutmut over graphs, tasks, experiments, pathstar_config,
# train, measures, params and the GPT, against the fast unit tests; report in tests/mutation/REPORT.md.
MUTATE_ARGS ?= --sample 700
mutate: $(STAMP)
	$(PY) -m pip install -q -c requirements/constraints.txt -c requirements/constraints-mutate.txt -e ".[mutate]"
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) tests/mutation/run.py $(MUTATE_ARGS)

# The run cache (build/cache) holds hours of training and is keyed by everything that changes
# a run's numbers, so a stale entry is never served: `make clean` keeps it and says so;
# `make clean-cache` removes it.
CACHE := build/cache

clean:
	rm -rf $(filter-out $(CACHE),$(wildcard build/* build/.[!.]*)) book/_build book/_generated .pytest_cache mutants
	@rmdir build 2>/dev/null || true
	@if [ -d $(CACHE) ]; then echo "clean: kept the run cache $(CACHE) ($$(du -sh $(CACHE) | cut -f1)); make clean-cache removes it"; fi

clean-cache:
	rm -rf $(CACHE)
