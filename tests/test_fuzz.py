"""Property-based fuzzing of the OpenAPI schema against a real server: no input, valid or not, gets a 5xx,
and every answer matches the documented schema and status codes."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.local_server import running_server
from api.main import create_app
from retriever import Retriever
from retriever.config import Settings
from retriever.indexes.generations import live_generation

EXAMPLES_PER_CASE = 30
TOKEN = "fuzzing-token"
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
CASES = [
    (operation, mode)
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or "requestBody" in operation.definition.raw
    or any(parameter.get("in") == "query" for parameter in operation.definition.raw.get("parameters", ()))
]
"""Every operation with valid inputs; those that take a body or query parameters with invalid ones too. An upload's
content is judged by reading it (a file's type and whether text is left after cleaning), which a schema cannot
state, so a schema-valid upload may be refused with 415 or 422; every other check applies to it."""


@pytest.fixture(scope="module")
def base_url(settings, sample_index, encoder, tmp_path_factory):
    """A server over a private copy of the sample index, with the admin token set, so that uploads and deletions
    are exercised rather than refused."""
    index = tmp_path_factory.mktemp("fuzzed") / "index"
    shutil.copytree(live_generation(sample_index), index)
    served = settings.model_copy(update={"index_dir": index, "admin_token": SecretStr(TOKEN)})
    with running_server(create_app(served, retriever=Retriever.from_settings(served, encoder))) as url:
        yield url


@pytest.mark.parametrize(("operation", "mode"), CASES, ids=[f"{op.label} {mode.value}" for op, mode in CASES])
def test_no_request_gets_a_server_error(operation, mode, base_url):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_CASE, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers={"Authorization": f"Bearer {TOKEN}"},
            excluded_checks=[positive_data_acceptance] if operation.label == "POST /documents" else None,
        )

    check()
