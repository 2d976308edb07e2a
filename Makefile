# One entry point for local work and CI (.ci/run calls `make test`).
#   make demo   create .venv, install dataguard, profile a bundled example dataset
#   make test   lint, type-check, and run the whole test suite (pandas 3, then pandas 2)
PYTHON ?= python3.11
VENV ?= .venv
VENV_PD2 ?= .venv-pandas2
PIP_FLAGS = --disable-pip-version-check -q -c constraints.txt

.PHONY: demo test lint typecheck pytest pytest-pandas2 bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install $(PIP_FLAGS) -e '.[dev,torch]'
	touch $@

$(VENV_PD2)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV_PD2)
	$(VENV_PD2)/bin/python -m pip install $(PIP_FLAGS) -e '.[dev]' 'pandas>=2.1,<3'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/python examples/make_examples.py examples/data
	$(VENV)/bin/dataguard profile examples/data/house_prices.parquet --target price

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

pytest: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -n 2 -p no:cacheprovider

# The core tests again under pandas 2 (pandas 3 is the main environment).
pytest-pandas2: $(VENV_PD2)/.installed
	$(VENV_PD2)/bin/python -m pytest -n 2 -p no:cacheprovider -m "not slow" tests

test: lint typecheck pytest pytest-pandas2

bench: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/bench_profile.py
	$(VENV)/bin/python benchmarks/bench_representation.py
	$(VENV)/bin/python benchmarks/bench_transforms.py
	$(VENV)/bin/python benchmarks/bench_model_check.py

clean:
	rm -rf $(VENV) $(VENV_PD2) build dist *.egg-info
