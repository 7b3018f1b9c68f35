"""Property-based fuzzing of the OpenAPI schema against a real server: no input, valid or not, gets a 5xx,
and every answer matches the documented schema and status codes."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.generation import GenerationMode

from api.local_server import running_server
from api.main import create_app
from retriever import Retriever
from retriever.config import Settings

EXAMPLES_PER_CASE = 30
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
CASES = [
    (operation, mode)
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or "requestBody" in operation.definition.raw
    or any(parameter.get("in") == "query" for parameter in operation.definition.raw.get("parameters", ()))
]
"""Every operation with valid inputs; those that take a body or query parameters with invalid ones too."""


@pytest.fixture(scope="module")
def base_url(settings, searcher):
    with running_server(create_app(settings, retriever=Retriever(searcher))) as url:
        yield url


@pytest.mark.parametrize(("operation", "mode"), CASES, ids=[f"{op.label} {mode.value}" for op, mode in CASES])
def test_no_request_gets_a_server_error(operation, mode, base_url):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_CASE, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url)

    check()
