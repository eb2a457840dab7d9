"""What an engine key can see of files and vector stores, through the official openai SDK over
real HTTP: two keys (A, B) and the dashboard's own key. Files are their maker's alone; vector
stores are the team's, reached by another key as its team access allows, except the stores the
engine makes for one thread. Out of reach is answered exactly like an unknown id."""

import io
from functools import partial as call

import pytest

from tests.scoping import ids, principals, unknown

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def who(engine_url):
    with principals(engine_url) as made:
        yield made


def _upload(client, name: str, text: str):
    return client.files.create(file=(name, io.BytesIO(text.encode())), purpose="assistants")


def test_a_keys_files_are_its_own(who):
    mine = [_upload(who.a, f"a{n}.txt", f"A's secret {n}") for n in range(3)]
    theirs = _upload(who.b, "b.txt", "B's notes")
    chat = _upload(who.dashboard, "attachment.txt", "A member's attachment")
    # Every page of A's list (auto-paging, 2 at a time) holds A's files and no one else's.
    assert ids(who.a.files.list(limit=2)) == [f.id for f in reversed(mine)]
    assert ids(who.b.files.list()) == [theirs.id]
    assert ids(who.dashboard.files.list()) == [chat.id]
    for other, file in [(who.b, mine[0]), (who.dashboard, mine[0]), (who.a, chat)]:
        unknown("file", file.id, call(other.files.retrieve, file.id))
        unknown("file", file.id, call(other.files.content, file.id))
        unknown("file", file.id, call(other.files.delete, file.id))
    assert who.a.files.content(mine[0].id).read() == b"A's secret 0"
    assert who.dashboard.files.content(chat.id).read() == b"A member's attachment"


def test_another_keys_file_cannot_be_attached_or_given_to_a_tool(who):
    secret = _upload(who.a, "secret.txt", "A's secret")
    chat = _upload(who.dashboard, "attachment.txt", "A member's attachment")
    own_store = who.b.vector_stores.create(name="B's")
    thread = who.b.beta.threads.create()
    attach = [{"file_id": "?", "tools": [{"type": "file_search"}]}]
    for file in (secret, chat):
        attachment = [{**attach[0], "file_id": file.id}]
        code_files = {"code_interpreter": {"file_ids": [file.id]}}
        refused = [
            call(who.b.beta.threads.messages.create, thread.id, role="user", content="x",
                 attachments=attachment),
            call(who.b.beta.threads.create,
                 messages=[{"role": "user", "content": "x", "attachments": attachment}]),
            call(who.b.beta.threads.create, tool_resources=code_files),
            call(who.b.beta.threads.update, thread.id, tool_resources=code_files),
            call(who.b.beta.assistants.create, model="demo", tool_resources=code_files),
            call(who.b.vector_stores.create, file_ids=[file.id]),
            call(who.b.vector_stores.files.create, vector_store_id=own_store.id,
                 file_id=file.id),
            call(who.b.vector_stores.file_batches.create, vector_store_id=own_store.id,
                 file_ids=[file.id]),
            call(who.b.beta.threads.create, tool_resources={
                "file_search": {"vector_stores": [{"file_ids": [file.id]}]}}),
        ]  # fmt: skip
        for attempt in refused:
            unknown("file", file.id, attempt)
    assert ids(who.b.beta.threads.messages.list(thread.id)) == []


@pytest.mark.parametrize("access", ["none", "read", "write"])
def test_team_vector_stores_follow_the_keys_team_access(who, access):
    document = _upload(who.dashboard, "faq.md", "# FAQ\n\nRefunds take five days.")
    store = who.dashboard.vector_stores.create(name="Team FAQ", file_ids=[document.id])
    (entry,) = who.dashboard.vector_stores.files.list(store.id).data
    # No worker runs here: the batch stays in progress, so B may cancel it (with write access).
    batch = who.dashboard.vector_stores.file_batches.create(store.id, file_ids=[document.id])
    own = who.b.vector_stores.create(name="B's")
    addition = _upload(who.b, "more.md", "More refunds.")
    who.allow_b(access)
    listed = ids(who.b.vector_stores.list(limit=1))
    assert listed == ([own.id] if access == "none" else [own.id, store.id])
    stores, files = who.b.vector_stores, who.b.vector_stores.files
    batches = who.b.vector_stores.file_batches
    reads = [
        call(stores.retrieve, store.id),
        call(stores.search, store.id, query="refunds"),
        call(files.list, vector_store_id=store.id),
        call(files.retrieve, entry.id, vector_store_id=store.id),
        call(files.content, entry.id, vector_store_id=store.id),
        call(batches.retrieve, batch.id, vector_store_id=store.id),
        call(batches.list_files, batch.id, vector_store_id=store.id),
    ]
    writes = [
        call(stores.update, store.id, name="Changed by B"),
        call(files.update, entry.id, vector_store_id=store.id, attributes={"by": "B"}),
        call(batches.cancel, batch.id, vector_store_id=store.id),
        call(files.create, vector_store_id=store.id, file_id=addition.id),
        call(batches.create, vector_store_id=store.id, file_ids=[addition.id]),
        call(files.delete, entry.id, vector_store_id=store.id),
        call(stores.delete, store.id),
    ]
    for attempt in reads:
        if access == "none":
            unknown("vector store", store.id, attempt)
        else:
            attempt()
    for attempt in writes:
        if access == "write":
            attempt()
        else:
            unknown("vector store", store.id, attempt)
    remaining = [] if access == "write" else [store.id]
    assert ids(who.dashboard.vector_stores.list()) == [own.id, *remaining]
    # A store is usable in a thread's or an assistant's tool_resources only with access.
    search = {"file_search": {"vector_store_ids": [own.id]}}
    assert who.b.beta.threads.create(tool_resources=search).id
    if access == "none":
        search = {"file_search": {"vector_store_ids": [store.id]}}
        unknown("vector store", store.id, call(who.b.beta.threads.create, tool_resources=search))
        unknown(
            "vector store",
            store.id,
            call(who.b.beta.assistants.create, model="demo", tool_resources=search),
        )


def test_stores_the_engine_makes_for_a_thread_stay_with_the_thread(who, engine_worker):
    """A thread's helper store and its attachments' store: only the thread's maker sees
    them (whatever another key's team access), and they are not named after the thread."""
    who.allow_b("write")
    memo = _upload(who.a, "memo.md", "# Memo\n\nLunch is at noon.")
    helper = {"file_search": {"vector_stores": [{"file_ids": [memo.id]}]}}
    thread = who.a.beta.threads.create(
        tool_resources=helper,
        messages=[
            {
                "role": "user",
                "content": "When is lunch?",
                "attachments": [{"file_id": memo.id, "tools": [{"type": "file_search"}]}],
            }
        ],
    )
    (helper_store,) = thread.tool_resources.file_search.vector_store_ids
    assistant = who.a.beta.assistants.create(model="demo", tools=[{"type": "file_search"}])
    run = who.a.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error
    made = [s for s in who.a.vector_stores.list() if s.id != helper_store]
    assert len(made) == 1 and thread.id not in made[0].name  # the attachments' store
    for store_id in (helper_store, made[0].id):
        for other in (who.b, who.dashboard):
            unknown("vector store", store_id, call(other.vector_stores.retrieve, store_id))
    assert ids(who.b.vector_stores.list()) == []
    assert ids(who.dashboard.vector_stores.list()) == []


def test_code_interpreter_output_belongs_to_the_threads_key(who, engine_worker):
    who.allow_b("write")
    assistant = who.dashboard.beta.assistants.create(
        model="demo", tools=[{"type": "code_interpreter"}]
    )
    code = "```python\nopen('/mnt/data/report.txt', 'w').write('B only')\nprint('done')\n```"
    # B runs the team's assistant (dashboard-made) on a thread of its own.
    run = who.b.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": code}]}
    )
    assert run.status == "completed", run.last_error
    (answer,) = who.b.beta.threads.messages.list(thread_id=run.thread_id, run_id=run.id).data
    (link,) = answer.content[0].text.annotations
    output = link.file_path.file_id
    assert who.b.files.content(output).read() == b"B only"
    assert ids(who.b.files.list()) == [output]
    for other in (who.a, who.dashboard):
        unknown("file", output, call(other.files.content, output))
