"""Helpers for the dashboard's view tests (not fixtures: plain functions)."""

from collections.abc import Sequence

from django.test import Client
from django.urls import reverse

from assistants_app.models import RunRecord, WaitingRun
from tests.support import PATIENCE, logged_in, wait_until

HTMX = {"HTTP_HX_REQUEST": "true"}


def builder_data(
    *, functions: Sequence[dict[str, str]] = (), metadata: dict[str, str] | None = None, **fields
) -> dict:
    """A valid POST of the assistant builder: a row of functions for each of `functions` (its
    name, description, parameters, strict), one of metadata for each item of `metadata`;
    `fields` add or override."""
    metadata = metadata or {}
    data = {
        "model": "demo",
        "response_format": "auto",
        "fn-TOTAL_FORMS": str(len(functions)),
        "fn-INITIAL_FORMS": "0",
        "meta-TOTAL_FORMS": str(len(metadata)),
        "meta-INITIAL_FORMS": "0",
        "action": "save",
    }
    for index, row in enumerate(functions):
        data.update({f"fn-{index}-{name}": value for name, value in row.items()})
    for index, (key, value) in enumerate(metadata.items()):
        data.update({f"meta-{index}-key": key, f"meta-{index}-value": value})
    data.update(fields)
    return data


def create_assistant(client: Client, **fields):
    """POST the assistant builder's "new" form with `builder_data(**fields)`."""
    return client.post(reverse("assistant_create"), builder_data(**fields))


def created_id(response) -> str:
    """The id of the assistant a POST created (or duplicated), from where it redirects."""
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def poll(client: Client, thread, run_id: str, *, until, timeout: float = PATIENCE):
    """GET the run-status fragment as htmx does until `until(response)` holds."""
    url = reverse("run_status", args=[thread.pk, run_id])
    seen = []

    def arrived():
        seen.append(client.get(url, {"delay": 200}, **HTMX))
        return seen[-1] if until(seen[-1]) else None

    return wait_until(
        arrived,
        timeout=timeout,
        message=lambda: f"the run to get there: {seen[-1].content.decode()[:2000]}",
    )


def stopped(response) -> bool:
    return response.status_code == 286


def waiting_for_outputs(response) -> bool:
    return b"Submit outputs" in response.content


def send(client: Client, thread, text: str, **options):
    return client.post(reverse("thread_send", args=[thread.pk]), {"content": text, **options})


def composer_tag(html: str) -> str:
    """The composer's <textarea …> start tag."""
    return html.split('<textarea name="content"')[1].split(">")[0]


def start_unwatched(user, thread, text: str) -> RunRecord:
    """Send `text` as `user`, a plain form post whose redirect is not followed: no page follows
    the run. Its record."""
    assert send(logged_in(user), thread, text).status_code == 302
    return RunRecord.objects.filter(thread=thread).latest("pk")


def waiting_count(client: Client) -> str:
    """The number the waiting count shows `client`'s person."""
    response = client.get(reverse("waiting_count"), **HTMX)
    assert response.status_code == 200
    return response.content.decode().split('data-count="')[1].split('"')[0]


def wait_listed(client: Client, record: RunRecord) -> WaitingRun:
    """Wait until the count shows `client` a waiting run, then `record`'s waiting row."""
    wait_until(lambda: waiting_count(client) != "0", message="the run to be counted as waiting")
    return WaitingRun.objects.get(run=record)
