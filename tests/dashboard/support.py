"""Helpers for the dashboard's view tests (not fixtures: plain functions)."""

import time

from django.test import Client
from django.urls import reverse

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


def poll(client: Client, thread, run_id: str, *, until, timeout: float = 15.0):
    """GET the run-status fragment as htmx does until `until(response)` holds."""
    url = reverse("run_status", args=[thread.pk, run_id])
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(url, {"delay": 200}, **HTMX)
        if until(response):
            return response
        if time.monotonic() > deadline:
            raise AssertionError(f"run did not get there: {response.content.decode()[:2000]}")
        time.sleep(0.05)


def stopped(response) -> bool:
    return response.status_code == 286


def waiting_for_outputs(response) -> bool:
    return b"Submit outputs" in response.content


def send(client: Client, thread, text: str, **options):
    return client.post(reverse("thread_send", args=[thread.pk]), {"content": text, **options})


def composer_tag(html: str) -> str:
    """The composer's <textarea …> start tag."""
    return html.split('<textarea name="content"')[1].split(">")[0]
