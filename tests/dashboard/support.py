"""Helpers for the dashboard's view tests (not fixtures: plain functions)."""

from django.test import Client
from django.urls import reverse

from tests.support import wait_until

HTMX = {"HTTP_HX_REQUEST": "true"}


def builder_data(**fields) -> dict:
    """A valid POST of the assistant builder with no rows; `fields` add or override."""
    data = {
        "model": "demo",
        "response_format": "auto",
        "fn-TOTAL_FORMS": "0",
        "fn-INITIAL_FORMS": "0",
        "meta-TOTAL_FORMS": "0",
        "meta-INITIAL_FORMS": "0",
        "action": "save",
    }
    data.update(fields)
    return data


def create_assistant(client: Client, **fields):
    """POST the assistant builder's "new" form with `builder_data(**fields)`."""
    return client.post(reverse("assistant_create"), builder_data(**fields))


def poll(client: Client, thread, run_id: str, *, until, timeout: float = 15.0):
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
