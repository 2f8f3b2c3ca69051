# Two entry points: `make serve` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test spec bench fidelity clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/docmock serve docs_src --host 127.0.0.1 --port 4010

test: $(STAMP)
	$(BIN)/python -m pytest

spec: $(STAMP)
	$(BIN)/docmock generate docs_src -o openapi.yaml

fidelity: $(STAMP)
	$(BIN)/python bench/fidelity.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
