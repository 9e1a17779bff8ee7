PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080
STAMP  := $(VENV)/.installed

.PHONY: run token test check lock fuzz mutate mutate-code mutate-data install bench bench-healthchain \
        bench-instructions clean

# `make run`: the service on 127.0.0.1:$(PORT) with embedded defaults (development profile).
run: $(STAMP)
	FTCDS_PROFILE=$${FTCDS_PROFILE:-development} $(BIN)/facial-twitch-cds serve --host 127.0.0.1 --port $(PORT)

# `make token`: a one-use development JWT for http://127.0.0.1:$(PORT)/cds-services/patient-view (see README).
token: $(STAMP)
	@FTCDS_PROFILE=development FTCDS_PORT=$(PORT) $(BIN)/facial-twitch-cds token

# `make test`: everything the suite needs, then the whole suite.
test: $(STAMP)
	tools/ensure-test-services.sh
	$(BIN)/python -m pytest

# `make check`: the fast lane (under a minute): unit and API tests, store tests on SQLite only. No PostgreSQL, no
# browser, no server processes, no hardening fuzz. PostgreSQL is pointed at a socket directory that does not exist,
# so a test in these folders that reaches for it without the `postgres` marker fails at once instead of using one.
CHECK_PATHS := tests/test_fixtures_valid.py tests/test_golden_scenarios.py \
               tests/cards tests/protocol tests/api tests/security tests/store
check: $(STAMP)
	FTCDS_TEST_PGHOST=/nonexistent/make-check-uses-no-postgresql \
	$(BIN)/python -m pytest $(CHECK_PATHS) -m "not process and not postgres"

# `make lock`: rewrite requirements.lock from what .venv has installed (see tools/lock.py and README, Installing).
lock: $(STAMP)
	$(BIN)/python tools/lock.py > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock

# `make fuzz`: the hardening tests in their deep profile (thousands of generated requests; a few minutes).
# `make test` runs the same tests with a quick profile.
fuzz: $(STAMP)
	tools/ensure-test-services.sh
	FTCDS_FUZZ=deep $(BIN)/python -m pytest tests/hardening

# `make mutate`: mutation testing of cards/ against the clinical lane tests/cards (README, Testing, Mutation
# testing). Not part of `make test` or CI. Code mutants with mutmut (the `[mutate]` extra), a score per module and
# the survivors (tools/mutation_report.py), then the knowledge-data mutants (tools/mutate_knowledge.py: value sets,
# thresholds, override reasons, services, wording; `make mutate-data` alone). All of cards/ is hours on two cores:
# limit it with MODULES="cards/labs.py cards/order_checks.py", the data with KINDS="thresholds reasons",
# ONLY="lab-magnesium thresholds" and SAMPLE=3 (SEED=0).
MUTATE_STAMP := $(VENV)/.installed-mutate
MUTATE_JOBS  ?= 2
MODULES      ?=
KINDS        ?=
ONLY         ?=
SAMPLE       ?=
SEED         ?= 0

mutate: mutate-code mutate-data

mutate-code: $(MUTATE_STAMP)
	set -f; $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $$($(BIN)/python tools/mutation_report.py --globs $(MODULES))
	$(BIN)/python tools/mutation_report.py $(MODULES)

mutate-data: $(STAMP)
	$(BIN)/python tools/mutate_knowledge.py $(if $(KINDS),--kinds $(KINDS)) $(if $(ONLY),--only $(ONLY)) \
		$(if $(SAMPLE),--sample $(SAMPLE) --seed $(SEED))

$(MUTATE_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutate]'
	touch $(MUTATE_STAMP)

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# `make bench-healthchain`: `make bench` with HealthChain 0.16 serving the same card beside us (bench/healthchain.py;
# README, Performance). HealthChain pins older FastAPI, httpx and fhir.resources than ours, so it gets a virtualenv
# of its own, built from bench/peers/healthchain-requirements.txt; nothing of it enters .venv.
HEALTHCHAIN_VENV  := .venv-healthchain
HEALTHCHAIN_STAMP := $(HEALTHCHAIN_VENV)/.installed
bench-healthchain: $(STAMP) $(HEALTHCHAIN_STAMP)
	$(BIN)/python -m bench --healthchain $(HEALTHCHAIN_VENV)/bin/python $(BENCH_ARGS)

$(HEALTHCHAIN_STAMP): bench/peers/healthchain-requirements.txt
	test -x $(HEALTHCHAIN_VENV)/bin/python || $(PYTHON) -m venv $(HEALTHCHAIN_VENV)
	$(HEALTHCHAIN_VENV)/bin/python -m pip install --quiet -r bench/peers/healthchain-requirements.txt
	touch $(HEALTHCHAIN_STAMP)

# `make bench-instructions`: instructions per call under valgrind's callgrind (bench/instructions.py; README,
# Performance): repeatable on a busy machine, for comparing two versions of the code. In-process stages and the
# running service per HTTP request (--served). About twenty minutes.
bench-instructions: $(STAMP)
	$(BIN)/python -m bench.instructions --served

clean:
	rm -rf $(VENV) $(HEALTHCHAIN_VENV) .pytest_cache build *.egg-info mutants
