"""/v1/threads and /v1/threads/{id}/messages through the official openai SDK over real HTTP."""

import openai
import pytest


def test_thread_with_messages_keeps_their_order(openai_client):
    thread = openai_client.beta.threads.create(
        messages=[
            {"role": "user", "content": "Hello, what is AI?"},
            {"role": "user", "content": "How does AI work? Explain it in simple terms."},
        ],
        metadata={"topic": "ai"},
    )
    assert thread.id.startswith("thread_") and thread.object == "thread"
    assert (
        thread.metadata == {"topic": "ai"}
        and thread.tool_resources.model_dump(exclude_none=True) == {}
    )
    listed = openai_client.beta.threads.messages.list(thread.id, order="asc")
    assert [m.content[0].text.value for m in listed.data] == [
        "Hello, what is AI?",
        "How does AI work? Explain it in simple terms.",
    ]
    first = listed.data[0]
    assert first.id.startswith("msg_") and first.thread_id == thread.id
    assert (first.role, first.status, first.assistant_id, first.run_id) == (
        "user",
        "completed",
        None,
        None,
    )
    assert first.content[0].text.annotations == [] and first.attachments == []


def test_empty_thread_retrieve_modify_delete(openai_client):
    thread = openai_client.beta.threads.create()
    assert openai_client.beta.threads.retrieve(thread.id).id == thread.id
    modified = openai_client.beta.threads.update(thread.id, metadata={"owner": "olivia"})
    assert modified.metadata == {"owner": "olivia"}
    deleted = openai_client.beta.threads.delete(thread.id)
    assert (deleted.deleted, deleted.object) == (True, "thread.deleted")
    with pytest.raises(openai.NotFoundError) as error:
        openai_client.beta.threads.retrieve(thread.id)
    assert error.value.body["message"] == f"No thread found with id '{thread.id}'."


def test_message_content_parts_and_attachments_are_stored(openai_client, isolated_file_storage):
    # An attachment names a file the key may use (another key's, or an unknown id, is a 404).
    attached = openai_client.files.create(file=("notes.txt", b"notes"), purpose="assistants")
    thread = openai_client.beta.threads.create()
    message = openai_client.beta.threads.messages.create(
        thread.id,
        role="user",
        content=[
            {"type": "text", "text": "Look at this"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ],
        attachments=[{"file_id": attached.id, "tools": [{"type": "file_search"}]}],
        metadata={"source": "test"},
    )
    assert [part.type for part in message.content] == ["text", "image_url"]
    assert message.content[0].text.value == "Look at this"
    assert message.content[1].image_url.url == "https://example.com/cat.png"
    assert message.attachments[0].file_id == attached.id
    assert message.attachments[0].tools[0].type == "file_search"
    fetched = openai_client.beta.threads.messages.retrieve(message.id, thread_id=thread.id)
    assert fetched.model_dump() == message.model_dump()


def test_modify_and_delete_a_message(openai_client):
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "Hi"}])
    message = openai_client.beta.threads.messages.list(thread.id).data[0]
    updated = openai_client.beta.threads.messages.update(
        message.id, thread_id=thread.id, metadata={"pinned": "yes"}
    )
    assert updated.metadata == {"pinned": "yes"}
    deleted = openai_client.beta.threads.messages.delete(message.id, thread_id=thread.id)
    assert (deleted.deleted, deleted.object) == (True, "thread.message.deleted")
    assert openai_client.beta.threads.messages.list(thread.id).data == []
    with pytest.raises(openai.NotFoundError) as error:
        openai_client.beta.threads.messages.retrieve(message.id, thread_id=thread.id)
    assert error.value.body["message"] == f"No message found with id '{message.id}'."


def test_message_pagination_across_pages_both_ways(openai_client):
    thread = openai_client.beta.threads.create(
        messages=[{"role": "user", "content": f"m{i}"} for i in range(5)]
    )
    texts = lambda page: [m.content[0].text.value for m in page.data]  # noqa: E731
    first = openai_client.beta.threads.messages.list(thread.id, limit=2, order="asc")
    second = openai_client.beta.threads.messages.list(
        thread.id, limit=2, order="asc", after=first.last_id
    )
    third = openai_client.beta.threads.messages.list(
        thread.id, limit=2, order="asc", after=second.last_id
    )
    assert (texts(first), texts(second), texts(third)) == (["m0", "m1"], ["m2", "m3"], ["m4"])
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)
    back = openai_client.beta.threads.messages.list(
        thread.id, limit=2, order="asc", before=third.first_id
    )
    assert texts(back) == ["m2", "m3"]
    all_desc = [
        m.content[0].text.value
        for m in openai_client.beta.threads.messages.list(thread.id, limit=2)
    ]
    assert all_desc == ["m4", "m3", "m2", "m1", "m0"]


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"content": "hi"}, "role"),
        ({"role": "system", "content": "hi"}, "role"),
        ({"role": "user"}, "content"),
        ({"role": "user", "content": []}, "content"),
        ({"role": "user", "content": 42}, "content"),
        ({"role": "user", "content": [{"type": "video", "url": "x"}]}, "content[0]"),
        ({"role": "user", "content": "hi", "metadata": {"n": 1}}, "metadata.n"),
    ],
)
def test_invalid_message_is_a_400(openai_client, fields, param):
    thread = openai_client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as error:
        openai_client.post(f"/threads/{thread.id}/messages", body=fields, cast_to=object)
    assert error.value.body["param"] == param


def test_messages_of_an_unknown_thread_are_a_404(openai_client):
    with pytest.raises(openai.NotFoundError) as error:
        openai_client.beta.threads.messages.create("thread_missing", role="user", content="hi")
    assert error.value.body["message"] == "No thread found with id 'thread_missing'."
