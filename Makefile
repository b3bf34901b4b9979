# The two commands of the README: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUBSCRIBERS ?= 20000
SEED ?= 1
PASSWORD ?= kefu2026
PORT ?= 8000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install demo serve test test-sqlite test-postgres lint messages clean

$(BIN)/kefu: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/kefu

install: $(BIN)/kefu

demo: install
	$(BIN)/kefu demo --subscribers $(SUBSCRIBERS) --seed $(SEED) --password $(PASSWORD)
	$(BIN)/kefu serve --port $(PORT)

serve: install
	$(BIN)/kefu serve --port $(PORT)

messages: install
	cd kefu && ../$(BIN)/kefu makemessages -l zh_Hans -l en --no-obsolete && ../$(BIN)/kefu compilemessages

lint: install
	$(BIN)/ruff check .
	$(BIN)/kefu makemigrations --check --dry-run
	$(BIN)/kefu check
	$(BIN)/python -m kefu.core.i18n_check

# The whole suite on SQLite, then again on PostgreSQL when one answers.
# With CI=true a PostgreSQL that does not answer fails the run instead of being skipped.
test: lint
	$(MAKE) test-sqlite
	@if $(BIN)/python -m kefu.core.dbcheck "$(TEST_DATABASE_URL)"; then \
		$(MAKE) test-postgres; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL does not answer at $(TEST_DATABASE_URL) and CI=true: failing"; exit 1; \
	else \
		echo "PostgreSQL does not answer at $(TEST_DATABASE_URL): skipping the PostgreSQL run"; \
	fi

test-sqlite: install
	DATABASE_URL= $(BIN)/pytest

test-postgres: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest

clean:
	rm -rf $(VENV) var
