"""Schemathesis against every service's own OpenAPI document (read from the running service).

For every operation, a bounded number of generated requests that fit the schema and as many that
do not, sent with the admin key. Wanted: no 5xx, and every 4xx is problem+json with its status.
Failures are collected, not asserted one by one: Hypothesis would otherwise spend the budget
shrinking the first one. `LAZO_FUZZ_EXAMPLES` sets the examples per operation and mode (20);
`LAZO_FUZZ_RANDOM=1` draws new ones instead of the same ones every run.

The system is shared with the other tests, so what the fuzzer may change is fenced in: every
programme it names (path or body) is this run's own, subscriptions point at a closed local
port and are deleted at once, platform API base URLs too. Everything else it can reach either
exists only under random ids or is read-only.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.harness import KEYS
from tests.security.support import NOWHERE, own_program

EXAMPLES = int(os.environ.get("LAZO_FUZZ_EXAMPLES", "20"))
# The same examples on every run (CI stays reproducible); LAZO_FUZZ_RANDOM=1 explores new ones.
DERANDOMIZE = not os.environ.get("LAZO_FUZZ_RANDOM")
AUTH = {"Authorization": f"Bearer {KEYS['admin']}"}
OPS_PATHS = ("/healthz", "/readyz", "/metrics")
# Bodies whose items are each a thing of a programme, under these keys.
BATCH_KEYS = ("responses", "outcomes")


def confine(case: Any, program: str) -> None:
    """Keep the generated request inside this run's programme and off the network."""
    if "program" in case.path_parameters:
        case.path_parameters["program"] = program
    # Erasure is for good and reaches every service: only customers of this run's own are erased,
    # never an id such as "0" that other tests' payloads may hold.
    if "customer_id" in case.path_parameters:
        case.path_parameters["customer_id"] = f"fuzz-{program}-{case.path_parameters['customer_id']}"
    body = case.body
    if not isinstance(body, dict):
        return
    if case.method.upper() in ("POST", "PUT") and case.path in ("/v1/responses", "/v1/outcomes", "/v1/sources"):
        body["program"] = program
    for key in BATCH_KEYS:
        if isinstance(body.get(key), list):
            for item in body[key]:
                if isinstance(item, dict):
                    item["program"] = program
    if case.path == "/v1/erasures" and isinstance(body.get("customer_id"), str):
        body["customer_id"] = f"fuzz-{program}-{body['customer_id']}"
    if "url" in body:
        body["url"] = NOWHERE
    if "programs" in body:
        body["programs"] = [program]
    if body.get("api_base_url"):
        body["api_base_url"] = NOWHERE


def judge(status: int, content_type: str, body: bytes) -> str | None:
    """What is wrong with an answer, or None."""
    text = body[:300].decode(errors="replace")
    if status >= 500:
        return f"server error {status}: {text}"
    if status >= 400:
        if not content_type.startswith("application/problem+json"):
            return f"{status} as {content_type!r}, not problem+json: {text}"
        try:
            problem = json.loads(body)
        except ValueError:
            return f"{status}: problem+json that is not JSON"
        if problem.get("status") != status or not problem.get("title"):
            return f"{status}: problem without matching status and a title: {problem}"
    return None


def fuzz(base_url: str, program: str, cleanup: dict[str, str]) -> tuple[int, list[str]]:
    """Run every operation of the service at base_url; (requests sent, failures)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    session = requests.Session()
    session.headers.update(AUTH)
    sent = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in OPS_PATHS:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=DERANDOMIZE,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                nonlocal sent
                confine(case, program)
                response = case.call(base_url=base_url, session=session, headers=AUTH, timeout=20)
                sent += 1
                # A subscription the fuzzer made would receive every later alert: remove it now.
                if case.path in cleanup and response.status_code == 201:
                    session.delete(f"{base_url}{cleanup[case.path]}/{response.json()['id']}", timeout=20)
                content_type = (response.headers.get("content-type") or [""])[0]
                problem = judge(response.status_code, content_type, response.content)
                if problem:
                    failures.append(
                        f"{case.method} {case.formatted_path} [{mode.value}]: {problem}\n"
                        f"    {case.as_curl_command(headers=AUTH)[:600]}"
                    )

            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid (an operation without parameters or body)
    return sent, failures


@pytest.fixture(scope="module")
async def fuzz_program(system):
    """This run's programme, known to scoring and to ingest, so generated responses can pass."""
    return await own_program(system, f"fz-{os.urandom(4).hex()}")


CLEANUP = {"alerts": {"/v1/subscriptions": "/v1/subscriptions"}}


@pytest.mark.parametrize("service", ["ingest", "scoring", "alerts", "casework", "surveys"])
async def test_no_5xx_and_every_error_is_problem_json(system, fuzz_program, service):
    sent, failures = await asyncio.to_thread(fuzz, system.url(service), fuzz_program, CLEANUP.get(service, {}))
    assert sent > 0
    assert not failures, f"{len(failures)} of {sent} requests to {service} went wrong:\n" + "\n".join(failures[:15])


def test_judge_flags_what_it_should():
    def problem(status: int, title: str = "t") -> bytes:
        return json.dumps({"status": status, "title": title}).encode()

    assert judge(200, "application/json", b"{}") is None
    assert judge(404, "application/problem+json", problem(404)) is None
    assert "server error" in judge(500, "application/problem+json", problem(500))
    assert "not problem+json" in judge(422, "application/json", b'{"detail": []}')
    assert "matching status" in judge(409, "application/problem+json", problem(400))
    assert "not JSON" in judge(400, "application/problem+json", b"oops")
