VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install test lint format run rules-test clean

$(PY):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -e '.[test]'

install: $(PY)

test: $(PY)
	$(PY) -m pytest

lint: $(PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(PY)
	$(VENV)/bin/ruff format .

run: $(PY)  # exit 1 means findings (the seed has errors of its own); only 2 fails the target
	$(VENV)/bin/auditcheck run fixtures/2023 || [ $$? -eq 1 ]

rules-test: $(PY)
	$(VENV)/bin/auditcheck rules test

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
