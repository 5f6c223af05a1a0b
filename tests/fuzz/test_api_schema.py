"""API fuzzing (issue 10): every /api/v1/ operation × every persona, generated from the OpenAPI schema.

Schemathesis loads the schema the app serves at /api/v1/schema/ (drf-spectacular) through its WSGI
integration and generates requests for each operation with Hypothesis. Each one is sent in-process
to the Django WSGI handler with the persona's JWT and must pass three checks:

- ``not_a_server_error``: no 5xx, ever; bad input answers 4xx in the common error shape;
- ``status_code_conformance``: the status is one the schema documents for the operation;
- ``response_schema_conformance``: the body matches the documented schema for that status.

The data is the permission matrix's world (tests/security/world.py), built once per module: each
persona owns known objects, and path parameters are either those objects' ids (so the happy paths
and the "outside your reach" 404s are both exercised) or generated values. Cases come in both
modes: positive (valid per the schema) and negative (invalid on purpose: must get a 4xx).

Every request runs in a savepoint rolled back afterwards, so a POST that succeeds (accepting a
negotiation, say) never changes what the next case sees, and a run with the same code is the same
run (``derandomize``). Bounds: FUZZ_MAX_EXAMPLES cases per operation and persona (default 8; an
anonymous caller of an operation that needs a token gets a third of that).
The total is written to test-artifacts/fuzz-summary.json and printed at the end of the run.
"""

import json
import os
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache as django_cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.test.utils import override_settings
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.security.world import PERSONAS, World, world_build

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

SCHEMA_PATH = "/api/v1/schema/"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
# An anonymous caller of an operation that needs a token is refused before any input is read:
# a few cases show it (a 401 in the error shape, whatever the input), more would only cost time.
MAX_EXAMPLES_REFUSED = max(2, MAX_EXAMPLES // 3)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
SUMMARY_PATH = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz-summary.json"
# Operations outside the personas' JWT world: the ingestion endpoints take a pipeline's service
# token. The personas still call them (and must get a documented 401/403), with a token persona too.
SERVICE_PERSONA = "service"


# ---------------------------------------------------------------- the schema, loaded from the app


@cache
def wsgi_app() -> WSGIHandler:
    return WSGIHandler()


@cache
def api_schema() -> Any:
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, wsgi_app())


def operations() -> list[Any]:
    return [result.ok() for result in api_schema().get_all_operations()]


def _label(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


CASES = [(persona, _label(op)) for op in operations() for persona in (*PERSONAS, SERVICE_PERSONA)]
CASES = [(p, label) for p, label in CASES if p != SERVICE_PERSONA or "/ingest/" in label]


# ---------------------------------------------------------------- the tally behind the summary


class Tally:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.cases = 0
        self.by_persona: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.by_mode: Counter[str] = Counter()
        self.operations: set[str] = set()

    def count(self, *, persona: str, label: str, status: int, mode: str) -> None:
        self.cases += 1
        self.by_persona[persona] += 1
        self.by_status[str(status)] += 1
        self.by_mode[mode] += 1
        self.operations.add(label)

    def write(self) -> dict[str, Any]:
        summary = {
            "generated_cases": self.cases,
            "operations": len(self.operations),
            "personas": len(self.by_persona),
            "max_examples_per_operation_and_persona": MAX_EXAMPLES,
            "seconds": round(time.monotonic() - self.started, 1),
            "by_persona": dict(sorted(self.by_persona.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "by_mode": dict(sorted(self.by_mode.items())),
            "checks": [check.__name__ for check in CHECKS],
        }
        SUMMARY_PATH.parent.mkdir(exist_ok=True)
        SUMMARY_PATH.write_text(json.dumps(summary, indent=2) + "\n")
        return summary


TALLY = Tally()


# ---------------------------------------------------------------- the world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """The permission matrix's world, in a transaction rolled back after the module.

    Django's test client disconnects close_old_connections for each request; the WSGI handler
    schemathesis drives does not, and would drop the connection (and the world) mid-transaction.
    """
    media = tmp_path_factory.mktemp("fuzz-media")
    TALLY.started = time.monotonic()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
            django_cache.clear()
            built = world_build()
            built.objects["headers"] = _headers_for(built)
            yield built
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        TALLY.write()  # printed at the end of the run by tests/fuzz/conftest.py


def _headers_for(world: World) -> dict[str, dict[str, str]]:
    from creators.services import service_token_create

    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for persona, user in world.users.items():
        if user is not None:
            headers[persona] = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    _token, raw = service_token_create(name="fuzz pipeline", created_by=world.users["staff"])
    headers[SERVICE_PERSONA] = {"Authorization": f"Token {raw}"}
    return headers


def known_path_parameters(world: World, operation: Any) -> dict[str, Any]:
    """Ids of the world's objects for the operation's path parameters (owned by a known persona)."""
    o = world.objects
    values: dict[str, Any] = {
        "membership_id": o["membership"].pk,
        "decision": "approve",
        "offer_id": o["offer"].pk,
        "award_id": o["award"].pk,
        "invitation_id": o["bonus_invitation"].pk,
        "programme_id": o["open_programme"].pk,
        "item_id": o["cart_item"].pk,
        "handle": o["creator_profile"].handle,
        "brand_id": o["brand_org"].pk,
        "campaign_id": o["campaign"].pk,
        "deal_id": o["deal"].pk,
        "deliverable_id": o["deliverable"].pk,
        "negotiation_id": o["negotiation"].pk,
        "token": o["brand_invitation"].token,
        "list_id": o["saved_list"].pk,
        "listing_id": o["creator_profile"].listing.pk,
        "notification_id": o["notification"].pk,
        "number": o["order"].number,
        "product_id": o["product"].pk,
    }
    names = [p.name for p in operation.path_parameters]
    return {name: values[name] for name in names if name in values}


def case_strategy(world: World, operation: Any) -> st.SearchStrategy:
    """Cases on the world's objects (valid and invalid input) and on generated ids and paths.

    Generated ids almost always answer 404; the world's ids reach the views' logic, as their
    owner (2xx, 409) or as someone else (404), with valid input and with invalid input (400).
    """
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    known = known_path_parameters(world, operation)
    if known:
        strategies.insert(0, operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
        other_inputs = operation.body or operation.query or operation.headers
        if other_inputs:
            negative = operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=known)
            strategies.insert(1, negative)
    return st.one_of(strategies)


# ---------------------------------------------------------------- the test


@pytest.fixture
def server_errors() -> Iterator[list[str]]:
    """Tracebacks of the exceptions behind any 500, so a failure names its cause."""
    seen: list[str] = []

    def record(sender: Any, request: Any = None, **kwargs: Any) -> None:
        seen.append(traceback.format_exc())

    got_request_exception.connect(record)
    yield seen
    got_request_exception.disconnect(record)


@pytest.mark.parametrize(("persona", "label"), CASES, ids=[f"{p}:{label}" for p, label in CASES])
def test_operation_as_persona(persona, label, world, server_errors, request):
    method, path = label.split(" ", 1)
    operation = api_schema()[path][method]
    if method != "GET":
        request.getfixturevalue("stripe_api")  # payment, onboarding and refund calls reach Stripe
    headers = world.headers[persona]
    refused = persona == "anonymous" and {} not in operation.definition.raw.get("security", [{}])
    examples = MAX_EXAMPLES_REFUSED if refused else MAX_EXAMPLES

    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=case_strategy(world, operation))
    def run(case):
        django_cache.clear()  # throttles: each case starts with a clean slate
        server_errors.clear()
        with transaction.atomic():
            try:
                response = case.call(headers=headers)
                mode = case.meta.generation.mode.value if case.meta else "?"
                TALLY.count(persona=persona, label=label, status=response.status_code, mode=mode)
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except Exception as exc:
                    if server_errors:
                        exc.add_note("Server traceback:\n" + server_errors[-1])
                    raise
            finally:
                transaction.set_rollback(True)

    run()
