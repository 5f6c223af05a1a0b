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

.PHONY: run test drills fuzz bench lint format worker beat demo emulator migrate venv clean messages

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

# axe-core for the browser tests' accessibility checks, from npm's lockfile (no CDN, no copies).
# Without npm the suite still runs: the accessibility tests skip (and fail in CI, REQUIRE_SERVICES=1).
node_modules: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch node_modules; \
	else echo "npm not found: the accessibility checks will be skipped (apt-get install npm)"; fi

## The whole suite. Set DATABASE_URL (and REDIS_URL) to run on PostgreSQL (and Redis).
test: venv node_modules
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Fault drills on the real services (tests/drills, left out of `make test`): Celery workers killed
## with kill -9 mid-settlement, mid-payout-run and mid-bonus-run, the click buffer's Redis restarted,
## Stripe dropping responses and doubling webhooks. Needs DATABASE_URL (PostgreSQL), REDIS_URL and
## redis-server; -s prints each drill's figures.
drills: venv
	$(BIN)/python -m pytest tests/drills -m drill -s $(PYTEST_ARGS)

## API fuzzing alone (tests/fuzz, also part of `make test`; about 4-5 minutes on 2 cores):
## schemathesis generates requests for every /api/v1/ operation from the OpenAPI schema, as every
## persona; no 5xx, and every answer documented. FUZZ_MAX_EXAMPLES=<n> per operation and persona
## (default 8); the number of generated cases is printed and written to test-artifacts/fuzz-summary.json.
fuzz: venv
	$(BIN)/python -m pytest tests/fuzz -m fuzz $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy common payments creators/services.py creators/selectors.py stripe_emulator \
		shops/orders.py shops/cart.py shops/services.py shops/selectors.py affiliates/attribution.py \
		affiliates/clicks.py affiliates/services.py marketplace/services bonuses/services.py \
		bonuses/selectors.py bonuses/runs.py bonuses/formula.py notifications/services.py \
		notifications/selectors.py audit/services.py creators/home.py marketplace/brand_home.py \
		creators/login_lockout.py

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Translations: gather every marked string into locale/<lang>/LC_MESSAGES/django.po (new ones
## with an empty msgstr), then compile the .mo files Django reads. Needs gettext (apt-get install gettext).
## tests/common/test_translations.py runs the same makemessages on a copy and fails on any gap.
LANGUAGES := en fr ja ko
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=bench --ignore=tests \
	--ignore=stripe_emulator --ignore=docs --ignore=media --ignore=staticfiles --ignore=test-artifacts \
	--ignore=*.egg-info
messages: venv
	$(BIN)/python manage.py makemessages $(addprefix -l ,$(LANGUAGES)) $(MESSAGES_IGNORE) \
		--add-location=file --no-obsolete
	$(BIN)/python manage.py compilemessages $(addprefix -l ,$(LANGUAGES)) $(MESSAGES_IGNORE)

## Benchmarks against PostgreSQL; writes bench/results.json.
bench: venv
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python -m bench $(BENCH)

worker: venv
	$(BIN)/celery -A config worker --loglevel=INFO

beat: venv
	$(BIN)/celery -A config beat --loglevel=INFO

clean:
	rm -rf $(VENV) node_modules db.sqlite3 .test-media staticfiles .pytest_cache .mypy_cache .ruff_cache
