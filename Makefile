PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-browser lint serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

.venv: $(STAMP)

run: $(STAMP)
	$(BIN)/hooksim run

serve: $(STAMP)
	$(BIN)/hooksim serve

# node runs the documentation's node.js verification over the signing vectors (tests/contracts,
# tests/docs), and curl and jq run the README's curl lines (tests/docs): Debian's nodejs, curl
# and jq packages, installed when missing; without them those tests fail, they never skip.
test: $(STAMP)
	@command -v node >/dev/null 2>&1 || command -v nodejs >/dev/null 2>&1 || \
		{ SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		  $$SUDO apt-get update && $$SUDO apt-get install -y nodejs; }
	@command -v curl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 || \
		{ SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		  $$SUDO apt-get update && $$SUDO apt-get install -y curl jq; }
	$(BIN)/ruff check hooksim simulator contracts scenarios reports tests bench mutants
	$(BIN)/mypy hooksim simulator contracts scenarios reports mutants
	$(BIN)/python -m pytest -n 2

# The HTML report in headless Chromium (Debian's chromium package, installed when missing).
test-browser: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		  $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }
	$(BIN)/python -m pytest -m browser

lint: $(STAMP)
	$(BIN)/ruff check hooksim simulator contracts scenarios reports tests bench mutants
	$(BIN)/mypy hooksim simulator contracts scenarios reports mutants

clean:
	rm -rf $(VENV) build dist *.egg-info hooksim-report

# The durable store's crash test at 50 kill points (3 in `make test`): `kill -9` of a served
# platform during an outage, restarted on its file; nothing may be lost (tests/crash).
.PHONY: soak soak-crash
soak: soak-crash

soak-crash: $(STAMP)
	HOOKSIM_CRASH_POINTS=50 $(BIN)/python -m pytest tests/crash -p no:cacheprovider -q

# Throughput against floors measured in the same run, scale, API and xdist figures:
# prints a table and writes bench-results.json (see bench/PERFORMANCE.md). About 5-9 minutes.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench

# A served platform for ten minutes under mixed load (API calls, publications, receivers
# that fail, hang and reset, templates near their bounds, hostile connections): nothing lost,
# every API call answered in under a second; figures in soak-served-results.json
# (tests/soak; `make test` runs it for a few seconds). And every fuzz test of hostile input
# with 1,000 fresh random examples (HOOKSIM_SOAK=1; derandomized and fewer in `make test`).
.PHONY: soak-served soak-fuzz
soak: soak-served soak-fuzz

soak-served: $(STAMP)
	HOOKSIM_SOAK_SECONDS=600 $(BIN)/python -m pytest tests/soak -p no:cacheprovider -q -s

soak-fuzz: $(STAMP)
	HOOKSIM_SOAK=1 $(BIN)/python -m pytest -m fuzz -p no:cacheprovider -q -n 2

# The stateful model test with 10,000 fresh random examples (200 derandomized in `make test`):
# a failure is shrunk and written as a YAML scenario under hooksim-failures/ (tests/properties).
.PHONY: soak-model
soak: soak-model

soak-model: $(STAMP)
	HOOKSIM_SOAK=1 $(BIN)/python -m pytest tests/properties/test_platform_model.py -p no:cacheprovider -q

# Mutation testing of the reference platform, measured by the scenario library alone: every
# mutant of mutants/catalogue.yaml in an isolated copy of the package, killed when `hooksim
# run` fails. Prints the kill rate and every survivor with why; writes mutants-results.json.
# Fails below a 95 % kill rate, and loudly on a stale catalogue entry. About 3 minutes.
.PHONY: mutants
mutants: $(STAMP)
	$(BIN)/python -m mutants
