"""schemathesis against /api/openapi.json: every operation, with generated data, as a signed-in
owner of one organisation; no server error, and every answer matches the
schema (status documented, body valid, content type declared).

The API runs in a granian process of its own (an ASGI test client in this process would share
asyncpg connections across event loops). EXAMPLES per operation keeps the run to a few minutes.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.request

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.processes import ROOT, free_port, wait_for

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
# The test runs no worker: what needs one (dbt compile, preview, lineage) answers the documented
# 503 at once, which is the right answer, not a server error.
NO_WORKER = "No worker is running"
# Calls that would end the test's own session or organisation, not bugs to find.
SPARED = {("POST", "/api/v1/auth/logout"), ("DELETE", "/api/v1/org")}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def api_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("fuzz") / "api.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--factory",
                "--port",
                str(port),
                "--workers",
                "1",
                "etlfabric.api.app:build_api",
            ],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{url}/api/health"), 60, f"the API (log: {log})")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def owner_token(api_url) -> str:
    import uuid

    answer = httpx.post(
        f"{api_url}/api/v1/auth/signup",
        json={
            "email": f"fuzz-{uuid.uuid4().hex[:8]}@example.com",
            "password": "a long enough passphrase",
            "name": "Fuzz Owner",
            "org_name": "Fuzzed Ltd",
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


def exercise(operation, base_url: str, headers: dict, problems: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        try:
            expected_503 = response.status_code == 503 and NO_WORKER in response.text
            case.validate_response(response, checks=CHECKS[1:] if expected_503 else CHECKS)
        except (AssertionError, BaseExceptionGroup) as failure:  # a Failure, or a FailureGroup
            body = response.text[:300].replace("\n", " ")
            problems.append(
                f"{operation.method.upper()} {operation.path} -> {response.status_code}: "
                f"{type(failure).__name__}: {str(failure)[:400]} | sent {case.path_parameters} "
                f"{case.query} {str(case.body)[:200]} | got {body}"
            )

    check()


def test_every_operation_answers_without_server_errors_and_as_documented(api_url, owner_token):
    schema = schemathesis.openapi.from_url(f"{api_url}/api/openapi.json")
    headers = {"Authorization": f"Bearer {owner_token}"}
    problems: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SPARED:
            continue
        operations += 1
        exercise(operation, api_url, headers, problems)
    assert operations > 80
    unique = sorted(set(problems))
    assert not unique, f"{len(unique)} problems:\n" + "\n".join(unique[:60])
