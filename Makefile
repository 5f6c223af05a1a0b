# Two commands matter: `make run` (everything, zero setup) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
EMULATOR_PORT ?= 12111
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/platform_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14

.PHONY: run test bench lint format worker beat demo emulator migrate venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

## The whole product on the embedded defaults: SQLite, eager Celery, the Stripe emulator, demo data.
run: demo
	@echo "Stripe emulator on http://$(HOST):$(EMULATOR_PORT), site on http://$(HOST):$(PORT)"
	$(BIN)/python -m stripe_emulator --host $(HOST) --port $(EMULATOR_PORT) --quiet \
		--state-file .stripe-emulator.json --webhook-url http://$(HOST):$(PORT)/webhooks/stripe/ & \
	trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	STRIPE_API_BASE=http://$(HOST):$(EMULATOR_PORT) $(BIN)/python manage.py runserver $(HOST):$(PORT)

emulator: venv
	$(BIN)/python -m stripe_emulator --host $(HOST) --port $(EMULATOR_PORT)

## The whole suite. Set DATABASE_URL (and REDIS_URL) to run on PostgreSQL (and Redis).
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy common payments creators/services.py creators/selectors.py stripe_emulator \
		shops/orders.py shops/cart.py shops/services.py shops/selectors.py affiliates/attribution.py \
		affiliates/clicks.py affiliates/services.py marketplace/services bonuses/services.py \
		bonuses/selectors.py bonuses/runs.py bonuses/formula.py

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Benchmarks against PostgreSQL; writes bench/results.json.
bench: venv
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python -m bench $(BENCH)

worker: venv
	$(BIN)/celery -A config worker --loglevel=INFO

beat: venv
	$(BIN)/celery -A config beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 .test-media staticfiles .pytest_cache .mypy_cache .ruff_cache
