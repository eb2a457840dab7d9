"""What an engine key can see, through the official openai SDK over real HTTP: two keys (A, B)
and the dashboard's own key. Threads with their messages, runs and steps are their maker's
alone; assistants are the team's, reached by another key as its team access allows. An object
out of reach is answered exactly like an unknown id."""

from functools import partial as call

import pytest

from tests.scoping import ids, principals, unknown
from tests.support import weather_tool

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def who(engine_url):
    with principals(engine_url) as made:
        yield made


def _waiting_run(client, assistant_id: str):
    """A thread of `client`'s with a run waiting on a function call (so it has steps)."""
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "Please call get_weather location=Paris"}]
    )
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant_id, poll_interval_ms=20
    )
    assert run.status == "requires_action", run
    return thread, run


def test_another_key_cannot_reach_a_keys_thread_messages_runs_or_steps(who, engine_worker):
    assistant = who.a.beta.assistants.create(model="demo", tools=[weather_tool("location")])
    thread, run = _waiting_run(who.a, assistant.id)
    (message,) = [m for m in who.a.beta.threads.messages.list(thread.id) if m.role == "user"]
    (step,) = who.a.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    (tool_call,) = run.required_action.submit_tool_outputs.tool_calls
    for other in (who.b, who.dashboard):
        threads, runs = other.beta.threads, other.beta.threads.runs
        refused = [
            call(threads.retrieve, thread.id),
            call(threads.update, thread.id, metadata={"x": "y"}),
            call(threads.delete, thread.id),
            call(threads.messages.list, thread.id),
            call(threads.messages.create, thread.id, role="user", content="hi"),
            call(threads.messages.retrieve, message.id, thread_id=thread.id),
            call(threads.messages.update, message.id, thread_id=thread.id, metadata={}),
            call(threads.messages.delete, message.id, thread_id=thread.id),
            call(runs.list, thread.id),
            call(runs.create, thread.id, assistant_id=assistant.id),
            call(runs.retrieve, run.id, thread_id=thread.id),
            call(runs.update, run.id, thread_id=thread.id, metadata={"x": "y"}),
            call(runs.cancel, run.id, thread_id=thread.id),
            call(
                runs.submit_tool_outputs,
                run.id,
                thread_id=thread.id,
                tool_outputs=[{"tool_call_id": tool_call.id, "output": "1"}],
            ),
            call(runs.steps.list, run.id, thread_id=thread.id),
            call(runs.steps.retrieve, step.id, thread_id=thread.id, run_id=run.id),
        ]
        for attempt in refused:
            unknown("thread", thread.id, attempt)
    # Nothing changed for A.
    assert who.a.beta.threads.retrieve(thread.id).metadata == {}
    assert who.a.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == (
        "requires_action"
    )
    assert ids(who.a.beta.threads.messages.list(thread.id)) == [message.id]


def test_dashboard_threads_are_never_visible_to_a_key(who):
    chat = who.dashboard.beta.threads.create(
        messages=[{"role": "user", "content": "A member's private chat"}]
    )
    mine = who.a.beta.threads.create()
    for key in (who.a, who.b):
        unknown("thread", chat.id, call(key.beta.threads.retrieve, chat.id))
        unknown("thread", chat.id, call(key.beta.threads.messages.list, chat.id))
        unknown("thread", chat.id, call(key.beta.threads.delete, chat.id))
    assert who.dashboard.beta.threads.retrieve(chat.id).id == chat.id
    unknown("thread", mine.id, call(who.dashboard.beta.threads.retrieve, mine.id))


def test_a_run_names_only_an_assistant_the_key_may_use(who):
    made_by_a = who.a.beta.assistants.create(model="demo", name="A's")
    made_on_dashboard = who.dashboard.beta.assistants.create(model="demo", name="Team's")
    thread = who.b.beta.threads.create()
    for assistant in (made_by_a, made_on_dashboard):
        unknown(
            "assistant",
            assistant.id,
            call(who.b.beta.threads.runs.create, thread.id, assistant_id=assistant.id),
        )
        unknown(
            "assistant",
            assistant.id,
            call(who.b.beta.threads.create_and_run, assistant_id=assistant.id),
        )
    who.allow_b("read")
    run = who.b.beta.threads.runs.create(thread.id, assistant_id=made_on_dashboard.id)
    assert run.assistant_id == made_on_dashboard.id


@pytest.mark.parametrize("access", ["none", "read", "write"])
def test_team_assistants_follow_the_keys_team_access(who, access):
    by_dashboard = who.dashboard.beta.assistants.create(model="demo", name="Dashboard's")
    by_a = who.a.beta.assistants.create(model="demo", name="A's")
    by_b = who.b.beta.assistants.create(model="demo", name="B's")
    who.allow_b(access)
    others = [by_a, by_dashboard]
    listed = ids(who.b.beta.assistants.list(limit=1))  # every page, one at a time
    if access == "none":
        assert listed == [by_b.id]
    else:
        assert listed == [by_b.id, by_a.id, by_dashboard.id]
    for other in others:
        if access == "none":
            unknown("assistant", other.id, call(who.b.beta.assistants.retrieve, other.id))
        else:
            assert who.b.beta.assistants.retrieve(other.id).name == other.name
        if access == "write":
            changed = who.b.beta.assistants.update(other.id, name="Changed by B")
            assert changed.name == "Changed by B"
        else:
            unknown("assistant", other.id, call(who.b.beta.assistants.update, other.id, name="x"))
            unknown("assistant", other.id, call(who.b.beta.assistants.delete, other.id))
    if access == "write":
        assert who.b.beta.assistants.delete(by_a.id).deleted
    # B's own are B's whatever the access; A (team access none) sees only its own.
    assert who.b.beta.assistants.update(by_b.id, name="B's, renamed").name == "B's, renamed"
    remaining = [by_b.id] + ([] if access == "write" else [by_a.id]) + [by_dashboard.id]
    assert ids(who.a.beta.assistants.list()) == remaining[1:-1]
    # The dashboard lists and edits every assistant, an integration's included.
    assert ids(who.dashboard.beta.assistants.list()) == remaining
    assert who.dashboard.beta.assistants.update(by_b.id, name="Tidied").name == "Tidied"
