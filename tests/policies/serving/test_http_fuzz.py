"""Schemathesis against the live server on 127.0.0.1: generated requests to every route of
the OpenAPI schema, schema-valid and schema-violating, plus valid states and feedback; no
answer is a 5xx, every answer's status code is declared and its body matches the declared
schema."""

from __future__ import annotations

import collections

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.policies.serving.test_http import KEY, server  # noqa: F401 - the live server fixture
from tests.policies.serving.test_recommender import store_state  # noqa: F401 - fixture

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.slow
def test_no_5xx_and_every_answer_as_declared(server, store_state):  # noqa: F811
    """Each operation's cases are drawn by hypothesis from schemathesis' strategies (the
    library's pytest plugin does not run under this pytest; its strategies do)."""
    spec = httpx.get(f"{server.url}/openapi.json", headers={"X-API-Key": KEY}).json()
    schema = schemathesis.openapi.from_dict(spec)
    operations = {result.ok().path: result.ok() for result in schema.get_all_operations()}
    assert set(operations) >= {"/recommend", "/feedback", "/metadata", "/health"}
    calls: collections.Counter = collections.Counter()

    def check(case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            base_url=server.url, headers={"X-API-Key": KEY}, checks=CHECKS
        )
        calls[(case.operation.path, response.status_code)] += 1

    for path, operation in operations.items():
        # schema-violating cases need something to violate: a body or a query
        with_input = path in ("/recommend", "/feedback")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 1 + with_input]:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
            def call(case: schemathesis.Case) -> None:
                check(case)

            call()
    # valid requests too, so the 200 answers are checked against their schemas
    recommend = operations["/recommend"]
    for reasons in ("text", "structured"):
        check(
            recommend.Case(
                body=store_state, query={"reasons": reasons}, media_type="application/json"
            )
        )
    entry = {
        "store_id": store_state["store_id"], "sku_id": store_state["sku_ids"][0],
        "suggested_units": 4, "decision": "changed", "final_units": 6,
    }  # fmt: skip
    check(operations["/feedback"].Case(body={"entries": [entry]}, media_type="application/json"))
    assert calls[("/recommend", 200)] == 2 and calls[("/feedback", 200)] == 1
    assert sum(calls.values()) > 500 and not any(status >= 500 for _, status in calls)
