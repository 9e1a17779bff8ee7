PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8080
STAMP  := $(VENV)/.installed

.PHONY: run test install bench clean

# `make run`: the service on 127.0.0.1:$(PORT) with embedded defaults (development profile).
run: $(STAMP)
	FTCDS_PROFILE=$${FTCDS_PROFILE:-development} $(BIN)/facial-twitch-cds serve --host 127.0.0.1 --port $(PORT)

# `make test`: everything the suite needs, then the whole suite.
test: $(STAMP)
	tools/ensure-test-services.sh
	$(BIN)/python -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
