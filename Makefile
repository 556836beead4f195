PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

.venv: $(STAMP)

run: $(STAMP)
	$(BIN)/hooksim serve --clock virtual

serve: $(STAMP)
	$(BIN)/hooksim serve

test: $(STAMP)
	$(BIN)/ruff check hooksim simulator contracts scenarios reports tests
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check hooksim simulator contracts scenarios reports tests
	$(BIN)/mypy hooksim simulator contracts scenarios reports

clean:
	rm -rf $(VENV) build dist *.egg-info hooksim-report
