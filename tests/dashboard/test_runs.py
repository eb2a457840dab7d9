"""Run views (views/runs.py): status polling, tool outputs, cancel, try again, run steps."""

import threading

import pytest
from django.test import Client
from django.urls import reverse

from assistants_app.models import RunRecord, ToolOutputSubmission
from assistants_app.views import page_http_client
from tests.fakes.chat_server import Fail, Reply

from .support import HTMX, composer_tag, poll, send, stopped, waiting_for_outputs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def waiting_run(client, owner, make_thread):
    """A thread whose run waits for the output of get_weather(city=Paris)."""
    thread = make_thread(owner)
    client.force_login(owner)
    send(client, thread, "What is the weather? get_weather city=Paris")
    record = RunRecord.objects.get(thread=thread)
    poll(client, thread, record.run_id, until=waiting_for_outputs)
    return thread, record


def test_status_polls_then_stops_with_286_and_the_answer(client, owner, make_thread):
    thread = make_thread(owner)
    client.force_login(owner)
    send(client, thread, "Hello there")
    record = RunRecord.objects.get(thread=thread)
    url = reverse("run_status", args=[thread.pk, record.run_id])
    done = poll(client, thread, record.run_id, until=stopped)
    assert done["HX-Retarget"] == "#conversation" and done["HX-Reswap"] == "innerHTML"
    html = done.content.decode()
    assert 'You said: "Hello there"' in html
    assert "disabled" not in composer_tag(html)
    record.refresh_from_db()
    assert record.status == "completed"
    assert client.get(url, **HTMX).status_code == 286  # stays stopped


def test_poll_delays_start_fast_and_back_off():
    from assistants_app.chat import FIRST_POLL_DELAY_MS, next_poll_delay

    delays = [FIRST_POLL_DELAY_MS]
    while delays[-1] < 2000:
        delays.append(next_poll_delay(delays[-1]))
    assert delays == [200, 400, 800, 1600, 2000]
    assert next_poll_delay(2000) == 2000


def test_tool_call_card_submit_and_answer(client, owner, waiting_run):
    thread, record = waiting_run
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "<h3>get_weather</h3>" in page
    assert "{\n  &quot;city&quot;: &quot;Paris&quot;\n}" in page  # arguments pretty-printed
    assert "left before this run expires" in page
    assert "The assistant is waiting for the tool outputs above." in page
    call_id = page.split('name="output_')[1].split('"')[0]

    response = client.post(
        reverse("run_submit_outputs", args=[thread.pk, record.run_id]),
        {f"output_{call_id}": '{"temperature": "21 C", "sky": "clear"}'},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'hx-trigger="load delay:200ms"' in response.content.decode()  # polling resumes
    submission = ToolOutputSubmission.objects.get()
    assert submission.submitted_by == owner and submission.function_name == "get_weather"
    assert submission.tool_call_id == call_id and '"sky": "clear"' in submission.output

    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert 'get_weather returned: {"temperature": "21 C"' in done


def test_tool_outputs_without_javascript_redirect(client, owner, waiting_run):
    thread, record = waiting_run
    page = client.get(thread.get_absolute_url()).content.decode()
    call_id = page.split('name="output_')[1].split('"')[0]
    response = client.post(
        reverse("run_submit_outputs", args=[thread.pk, record.run_id]),
        {f"output_{call_id}": "plain text is fine"},
    )
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert "get_weather returned: plain text is fine" in done


def test_tool_outputs_kept_when_the_backend_refuses(client, owner, waiting_run, api, settings):
    thread, record = waiting_run
    settings.DASHBOARD_RUN_STATUS_TTL = 30.0  # the dashboard still believes the run waits
    page = client.get(thread.get_absolute_url()).content.decode()
    call_id = page.split('name="output_')[1].split('"')[0]
    # Someone answers the call elsewhere first: this submission is then refused by the API.
    api.threads.runs.submit_tool_outputs(
        record.run_id, thread_id=thread.thread_id, tool_outputs=[
            {"tool_call_id": call_id, "output": "first"}
        ]
    )  # fmt: skip
    url = reverse("run_submit_outputs", args=[thread.pk, record.run_id])
    response = client.post(url, {f"output_{call_id}": "my typed output"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "The outputs were not submitted." in html
    assert "\nmy typed output</textarea>" in html
    assert not ToolOutputSubmission.objects.exists()
    # Without JavaScript: the whole page, with the same card and message.
    page = client.post(url, {f"output_{call_id}": "typed again"})
    assert page.status_code == 422 and "\ntyped again</textarea>" in page.content.decode()


def test_cancel_then_try_again(client, owner, waiting_run):
    thread, record = waiting_run
    response = client.post(reverse("run_cancel", args=[thread.pk, record.run_id]), **HTMX)
    assert response.status_code == 200
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert "The run was cancelled" in done and "Try again" in done
    record.refresh_from_db()
    assert record.status == "cancelled"

    retry = client.post(reverse("run_retry", args=[thread.pk]), **HTMX)
    assert retry.status_code == 200
    new = RunRecord.objects.exclude(pk=record.pk).get()
    assert new.started_by == owner
    assert 'hx-trigger="load delay:200ms"' in retry.content.decode()


def test_cancel_without_javascript(client, owner, waiting_run):
    thread, record = waiting_run
    response = client.post(reverse("run_cancel", args=[thread.pk, record.run_id]))
    assert response.status_code == 302
    poll(client, thread, record.run_id, until=stopped)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "The run was cancelled" in page


def test_run_steps_show_calls_outputs_and_who(client, owner, waiting_run):
    thread, record = waiting_run
    page = client.get(thread.get_absolute_url()).content.decode()
    call_id = page.split('name="output_')[1].split('"')[0]
    client.post(
        reverse("run_submit_outputs", args=[thread.pk, record.run_id]),
        {f"output_{call_id}": "sunny"},
    )
    poll(client, thread, record.run_id, until=stopped)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Run steps" in page
    url = reverse("run_steps", args=[thread.pk, record.run_id])
    steps = client.get(url, **HTMX).content.decode()
    assert "<html" not in steps
    assert "Tool calls" in steps and "get_weather" in steps
    assert "&quot;city&quot;: &quot;Paris&quot;" in steps
    assert "submitted by olivia" in steps and "sunny" in steps
    assert "tokens" in steps and "started by olivia" in steps
    full = client.get(url).content.decode()
    assert "<html" in full and "Back to the chat" in full


def test_failed_backend_during_polling_is_shown_in_words(client, owner, waiting_run, settings):
    thread, record = waiting_run
    from django.core.cache import cache

    cache.clear()
    settings.ENGINE_BASE_URL = "http://127.0.0.1:9/v1"
    response = client.get(reverse("run_status", args=[thread.pk, record.run_id]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Could not reach the assistant service" in html
    assert "could not be reached" in html and ">Try again</a>" in html
    assert 'hx-trigger="load delay:200ms"' in html and "?delay=400" in html  # keeps trying
    slower = client.get(
        reverse("run_status", args=[thread.pk, record.run_id]), {"delay": "800"}, **HTMX
    ).content.decode()
    assert 'hx-trigger="load delay:800ms"' in slower and "?delay=1600" in slower
    capped = client.get(
        reverse("run_status", args=[thread.pk, record.run_id]), {"delay": "99999"}, **HTMX
    ).content.decode()
    assert 'hx-trigger="load delay:2000ms"' in capped and "?delay=2000" in capped


@pytest.mark.parametrize("who", ["teammate", "outsider"])
def test_others_get_404_on_every_run_view(request, client, waiting_run, who):
    thread, record = waiting_run
    client.force_login(request.getfixturevalue(who))
    args = [thread.pk, record.run_id]
    assert client.get(reverse("run_status", args=args), **HTMX).status_code == 404
    assert client.get(reverse("run_steps", args=args)).status_code == 404
    assert client.post(reverse("run_cancel", args=args)).status_code == 404
    assert client.post(reverse("run_submit_outputs", args=args), {}).status_code == 404
    assert client.post(reverse("run_retry", args=[thread.pk])).status_code == 404
    record.refresh_from_db()
    assert record.status == "requires_action"


def test_one_backend_call_per_interval_however_many_watch(client, owner, waiting_run, settings):
    thread, record = waiting_run
    from django.core.cache import cache

    cache.clear()
    settings.DASHBOARD_RUN_STATUS_TTL = 30.0
    run_path = f"/runs/{record.run_id}"
    calls: list[str] = []

    def count(request):
        if request.method == "GET" and request.url.path.endswith(run_path):
            calls.append(str(request.url))

    http = page_http_client()  # the page views' client
    http.event_hooks["request"].append(count)
    try:
        watchers = []
        for _ in range(8):
            watcher = Client()
            watcher.force_login(owner)
            watchers.append(watcher)
        url = reverse("run_status", args=[thread.pk, record.run_id])
        codes: list[int] = []

        def watch(watcher):
            for _ in range(3):
                codes.append(watcher.get(url, **HTMX).status_code)

        threads = [threading.Thread(target=watch, args=(w,)) for w in watchers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        http.event_hooks["request"].remove(count)
    assert codes == [200] * 24
    assert len(calls) == 1


def test_status_is_shared_until_the_interval_passes(client, owner, waiting_run, settings, api):
    thread, record = waiting_run
    settings.DASHBOARD_RUN_STATUS_TTL = 30.0
    url = reverse("run_status", args=[thread.pk, record.run_id])
    client.get(url, **HTMX)  # fresh copy in the cache
    api.threads.runs.cancel(record.run_id, thread_id=thread.thread_id)
    # Within the interval every viewer sees the shared copy: still waiting.
    assert "Submit outputs" in client.get(url, **HTMX).content.decode()
    settings.DASHBOARD_RUN_STATUS_TTL = 0.0
    assert poll(client, thread, record.run_id, until=stopped).status_code == 286


def _thread_on(api, owner, model: str):
    from assistants_app.models import Connection, ThreadRecord

    assistant = api.assistants.create(model=model, name="Helper")
    return ThreadRecord.objects.create(
        connection=Connection.objects.default(),
        thread_id=api.threads.create().id,
        owner=owner,
        assistant_id=assistant.id,
        assistant_name=assistant.name,
    )


@pytest.mark.parametrize(
    "answer,words,detail",
    [
        (Fail(400, message="The model refused this prompt."), "The run failed", "refused this"),
        (
            Reply(text="half an answer", finish_reason="length"),
            "The answer is incomplete",
            "stopped early (max completion tokens)",
        ),
    ],
)
def test_a_failed_or_incomplete_run_is_told_in_words_with_try_again(
    client, owner, api, chat_model, chat_server, answer, words, detail
):
    chat_server.script(answer)
    thread = _thread_on(api, owner, chat_model)
    client.force_login(owner)
    send(client, thread, "Hello")
    record = RunRecord.objects.get(thread=thread)
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert words in done and ">Try again<" in done
    assert detail in done  # the API's own words: last_error, or why it stopped early


def test_an_expired_run_is_told_in_words_with_try_again(client, owner, waiting_run):
    from datetime import timedelta

    from django.utils import timezone

    from engine.models import Run  # time travel: the run started waiting eleven minutes ago

    thread, record = waiting_run
    past = timezone.now() - timedelta(minutes=11)
    Run.objects.filter(pk=record.run_id).update(expires_at=past + timedelta(minutes=10))
    done = poll(client, thread, record.run_id, until=stopped).content.decode()
    assert "The run expired before the tool outputs arrived" in done and ">Try again<" in done


def test_a_poll_while_another_viewer_asks_answers_at_once_and_polls_on(
    client, owner, waiting_run, monkeypatch
):
    import time

    from django.core.cache import cache

    thread, record = waiting_run
    cache.clear()  # no copy of the run is known
    lock = f"dashboard:run:{record.run_id}:lock"
    assert cache.add(lock, 1, 30)  # another viewer is asking the backend right now
    url = reverse("run_status", args=[thread.pk, record.run_id])

    def refuse(seconds):
        raise AssertionError("the poll slept, waiting for the other viewer's call")

    with monkeypatch.context() as patched:
        patched.setattr(time, "sleep", refuse)
        html = client.get(url, **HTMX).content.decode()
    assert "Waiting for your tool outputs" in html  # what the dashboard recorded
    assert "Submit outputs" not in html and 'hx-trigger="load delay:200ms"' in html
    cache.delete(lock)  # their call is over: the next poll brings the cards
    assert "Submit outputs" in client.get(url, **HTMX).content.decode()
