"""Functions answered by an HTTP endpoint: the one place the dashboard calls URLs an
administrator entered (never any other), and the background task that does it for a run.

The request is a POST of the call as JSON: {"function", "arguments", "tool_call_id",
"run_id", "thread_id", "assistant_id"}; `arguments` is the parsed JSON when it parses. The
answer must be a 2xx with a JSON body, within the endpoint's timeout and size: its text is the
output. Redirects are followed only on the same scheme, host and port (at most 3); anything
else fails in words, and nothing is submitted for a call whose endpoint failed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from django.db import transaction
from django_tasks import task

from .models import Endpoint, FunctionAnswering, WaitingRun

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
SAMPLE_CALL = {"function": "sample_function", "arguments": {"example": "value"}}


def parse_headers(text: str) -> dict[str, str]:
    """'Name: value' lines as a dict; ValueError naming the first line that is not one."""
    headers = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or any(c in name for c in " \t"):
            raise ValueError(f"Line {number} is not 'Name: value'.")
        headers[name.strip()] = value.strip()
    return headers


def check_url(url: str) -> str:
    """'' if the dashboard may call `url`, else why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "Only http:// and https:// addresses are allowed."
    if not parts.hostname:
        return "The address has no host."
    return ""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _failure(words: str, started: float, status: int | None = None) -> dict[str, Any]:
    ms = int((time.monotonic() - started) * 1000)
    return {"ok": False, "error": words, "status": status, "ms": ms}


def call(endpoint: Endpoint, payload: dict[str, Any]) -> dict[str, Any]:
    """POST `payload` to the endpoint: {"ok": True, "output", "status", "ms"} or
    {"ok": False, "error" (in words), "status", "ms"}. Never raises for what the endpoint does."""
    started = time.monotonic()
    deadline = started + endpoint.timeout_seconds
    url = endpoint.url
    if problem := check_url(url):
        return _failure(problem, started)
    try:
        headers = {**parse_headers(endpoint.headers or ""), "Accept": "application/json"}
    except ValueError as error:
        return _failure(f"The endpoint's headers are not valid: {error}", started)
    timeout = httpx.Timeout(endpoint.timeout_seconds)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("POST", url, json=payload, headers=headers) as response:
                    if response.is_redirect:
                        target = urljoin(url, response.headers.get("location", ""))
                        if _origin(target) != _origin(url) or check_url(target):
                            host = _origin(target)[1] or target
                            return _failure(
                                f"The endpoint redirected to another host ({host}); redirects "
                                "are followed only on the same host.",
                                started,
                                response.status_code,
                            )
                        url = target
                        continue
                    return _read(endpoint, response, started, deadline)
            return _failure(f"The endpoint redirected more than {MAX_REDIRECTS} times.", started)
    except httpx.TimeoutException:
        return _failure(
            f"The endpoint did not answer within {endpoint.timeout_seconds:g} s.", started
        )
    except httpx.ConnectError as error:
        return _failure(f"Could not reach the endpoint: {_connect_words(error, url)}.", started)
    except httpx.HTTPError as error:
        return _failure(f"Could not reach the endpoint: {error or type(error).__name__}.", started)


def _connect_words(error: httpx.ConnectError, url: str) -> str:
    """The operating system's reason, in words a person reads."""
    text = str(error)
    host = urlsplit(url).hostname or url
    if "Name or service not known" in text or "nodename nor servname" in text:
        return f"no host is named {host}"
    if "Connection refused" in text:
        return f"{host} refused the connection (nothing listens on that port?)"
    return text or "the connection failed"


def _read(
    endpoint: Endpoint, response: httpx.Response, started: float, deadline: float
) -> dict[str, Any]:
    status = response.status_code
    if not 200 <= status < 300:
        return _failure(f"The endpoint answered HTTP {status}.", started, status)
    limit = endpoint.max_response_bytes
    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > limit:
            return _failure(
                f"The endpoint's answer is larger than {limit:,} bytes.", started, status
            )
        if time.monotonic() > deadline:  # a slow trickle: the timeout is for the whole answer
            return _failure(
                f"The endpoint did not answer within {endpoint.timeout_seconds:g} s.",
                started,
                status,
            )
    try:
        text = body.decode("utf-8")
        json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return _failure("The endpoint's answer is not JSON.", started, status)
    ms = int((time.monotonic() - started) * 1000)
    return {"ok": True, "output": text, "status": status, "ms": ms}


def payload_for(row: WaitingRun, call_: dict) -> dict[str, Any]:
    arguments: Any = call_["function"]["arguments"]
    with contextlib.suppress(TypeError, ValueError):  # else the string the model wrote
        arguments = json.loads(arguments)
    return {
        "function": call_["function"]["name"],
        "arguments": arguments,
        "tool_call_id": call_["id"],
        "run_id": row.run.run_id,
        "thread_id": row.run.thread.thread_id,
        "assistant_id": row.run.assistant_id,
    }


def _answering(row: WaitingRun) -> dict[str, FunctionAnswering]:
    names = {c["function"]["name"] for c in row.calls}
    found = FunctionAnswering.objects.filter(
        connection_id=row.run.thread.connection_id,
        assistant_id=row.run.assistant_id,
        function_name__in=names,
        endpoint__isnull=False,
    ).exclude(mode=FunctionAnswering.Mode.PERSON)
    return {a.function_name: a for a in found.select_related("endpoint")}


def ask_endpoints_later(row: WaitingRun) -> None:
    """If some of the row's functions are answered by an endpoint, ask them in the background
    once the row is committed."""
    if _answering(row):
        pk, round_id = row.pk, row.round_id
        transaction.on_commit(lambda: _enqueue(pk, round_id))


def _enqueue(pk: int, round_id: str) -> None:
    answer_calls.enqueue(pk, round_id)
    try:  # wake the worker at once rather than at its next poll
        from engine import wakeup

        wakeup.task_queued()
    except ImportError:
        pass


@task()
def answer_calls(waiting_pk: int, round_id: str) -> None:
    """Ask the endpoints for the calls of one round; submit them when every call of the round
    is answered automatically and every endpoint answered. Nothing is submitted otherwise."""
    from . import waiting
    from .services import AssistantsError, client_for

    row = (
        WaitingRun.objects.filter(pk=waiting_pk, round_id=round_id)
        .select_related("run__thread__connection")
        .first()
    )
    if row is None:
        return  # answered (or moved on) meanwhile
    answering = _answering(row)
    results = {}
    for call_ in row.calls:
        if (how := answering.get(call_["function"]["name"])) is not None:
            results[call_["id"]] = call(how.endpoint, payload_for(row, call_))
    saved = WaitingRun.objects.filter(pk=row.pk, round_id=round_id).update(endpoint_results=results)
    automatic = all(
        (a := answering.get(c["function"]["name"])) and a.mode == FunctionAnswering.Mode.AUTOMATIC
        for c in row.calls
    )
    if not saved or not automatic or not all(r["ok"] for r in results.values()):
        return
    outputs = [{"tool_call_id": c["id"], "output": results[c["id"]]["output"]} for c in row.calls]
    made = [
        {"how": "automatic", "endpoint_status": r["status"], "endpoint_ms": r["ms"]}
        for r in (results[c["id"]] for c in row.calls)
    ]
    client = client_for(row.run.thread.connection, max_retries=1)
    try:
        waiting.submit(row.run, client, row.calls, outputs, None, made=made)
    except AssistantsError:
        logger.warning("Could not submit the endpoint's answers for %s", row.run.run_id)
