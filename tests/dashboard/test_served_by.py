"""A run's steps say which model actually answered: an alias names one model and another
(served by some provider) answers; a guessed token count says it is one."""

from django.urls import reverse

from engine.models import ModelAlias, ModelProvider
from engine.providers import refresh
from tests.dashboard.support import HTMX, poll, send, stopped
from tests.fakes.chat_server import Reply


def test_the_steps_name_the_model_that_answered(client, owner, api, make_thread, chat_server):
    refresh(ModelProvider.objects.create(name="local", base_url=chat_server.base_url))
    ModelAlias.objects.create(pattern="gpt-4*", target="fake-model")
    chat_server.script(Reply(text="Hello from the fake model.", send_usage=False))
    assistant = api.assistants.create(model="gpt-4o", name="Old code")
    thread = make_thread(owner, assistant)
    client.force_login(owner)
    send(client, thread, "Hi")
    record = thread.runs.get()
    poll(client, thread, record.run_id, until=stopped)
    steps = client.get(reverse("run_steps", args=[thread.pk, record.run_id]), **HTMX)
    html = steps.content.decode()
    assert "model gpt-4o · answered by fake-model from local" in html
    assert "(estimated: the model server gave no count)" in html
    assert chat_server.chat_requests[0].body["model"] == "fake-model"
