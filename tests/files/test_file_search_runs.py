"""file_search in runs, through the official SDK against the live server and the engine's
worker: the demo model searches the assistant's and the thread's vector stores, answers by
quoting the best chunk with a file_citation, and records a file_search run step."""

from __future__ import annotations

import httpx

from .conftest import searcher, wait_for_files

INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"


def _store_with(openai_client, upload, files: dict[str, str]):
    ids = {name: upload(name, text.encode()).id for name, text in files.items()}
    store = openai_client.vector_stores.create(name="kb", file_ids=list(ids.values()))
    wait_for_files(openai_client, store.id)
    return store, ids


def test_answer_quotes_the_best_chunk_with_a_citation(openai_client, upload, engine_worker):
    store, ids = _store_with(
        openai_client,
        upload,
        {
            "warranty.txt": "The blender warranty lasts two years and covers the motor.",
            "recipes.txt": "A smoothie needs bananas, milk and a blender.",
        },
    )
    assistant = searcher(openai_client, store)
    thread = openai_client.beta.threads.create(
        messages=[{"role": "user", "content": "How long is the warranty?"}]
    )
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id
    )
    assert run.status == "completed", run.last_error
    (answer,) = openai_client.beta.threads.messages.list(thread_id=thread.id, run_id=run.id).data
    text = answer.content[0].text
    assert text.value.startswith('From warranty.txt: "The blender warranty lasts two years')
    (citation,) = text.annotations
    assert citation.type == "file_citation"
    assert citation.file_citation.file_id == ids["warranty.txt"]
    assert text.value[citation.start_index : citation.end_index] == citation.text
    assert citation.text == "【0:0†warranty.txt】"

    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread.id)
    kinds = [s.step_details.type for s in reversed(steps.data)]
    assert kinds == ["tool_calls", "message_creation"]
    (call,) = steps.data[-1].step_details.tool_calls
    assert call.type == "file_search"
    results = call.file_search.results
    assert [r.file_id for r in results] == [ids["warranty.txt"]]
    assert results[0].file_name == "warranty.txt" and 0 < results[0].score <= 1
    assert call.file_search.ranking_options.score_threshold == 0
    assert run.usage.total_tokens > 0


def test_step_results_carry_content_only_when_included(openai_client, upload, engine_worker):
    store, _ = _store_with(openai_client, upload, {"a.txt": "Octopuses have three hearts."})
    assistant = searcher(openai_client, store)
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "How many hearts has an octopus?"}]},
    )
    assert run.status == "completed"
    plain = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    search_step = plain.data[-1]
    result = search_step.step_details.tool_calls[0].file_search.results[0]
    assert not result.content  # not asked for
    included = openai_client.beta.threads.runs.steps.retrieve(
        search_step.id, thread_id=run.thread_id, run_id=run.id, include=[INCLUDE]
    )
    result = included.step_details.tool_calls[0].file_search.results[0]
    assert result.content[0].text == "Octopuses have three hearts."
    listed = openai_client.beta.threads.runs.steps.list(
        run_id=run.id, thread_id=run.thread_id, include=[INCLUDE]
    )
    assert listed.data[-1].step_details.tool_calls[0].file_search.results[0].content


def test_thread_stores_and_attachments_are_searched(openai_client, upload, engine_worker):
    thread_store, thread_ids = _store_with(
        openai_client, upload, {"thread.txt": "The thread store knows the vault code is 7781."}
    )
    attached = upload("attached.md", b"# Memo\n\nThe attached memo says lunch is at noon.")
    assistant = openai_client.beta.assistants.create(model="demo", tools=[{"type": "file_search"}])
    thread = openai_client.beta.threads.create(
        tool_resources={"file_search": {"vector_store_ids": [thread_store.id]}},
        messages=[
            {
                "role": "user",
                "content": "When is lunch?",
                "attachments": [{"file_id": attached.id, "tools": [{"type": "file_search"}]}],
            }
        ],
    )
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id
    )
    assert run.status == "completed", run.last_error
    answer = openai_client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert "lunch is at noon" in answer.content[0].text.value
    assert answer.content[0].text.annotations[0].file_citation.file_id == attached.id
    openai_client.beta.threads.messages.create(
        thread_id=thread.id, role="user", content="What is the vault code?"
    )
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id
    )
    answer = openai_client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert "7781" in answer.content[0].text.value
    assert answer.content[0].text.annotations[0].file_citation.file_id == thread_ids["thread.txt"]


def test_thread_vector_store_helper_is_made_into_a_store(openai_client, upload, engine_worker):
    created = upload("helper.txt", b"The helper store says the ferry leaves at dawn.")
    assistant = openai_client.beta.assistants.create(model="demo", tools=[{"type": "file_search"}])
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={
            "messages": [{"role": "user", "content": "When does the ferry leave?"}],
            "tool_resources": {"file_search": {"vector_stores": [{"file_ids": [created.id]}]}},
        },
    )
    assert run.status == "completed", run.last_error
    answer = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    assert "ferry leaves at dawn" in answer.content[0].text.value
    thread = openai_client.beta.threads.retrieve(run.thread_id)
    (store_id,) = thread.tool_resources.file_search.vector_store_ids
    assert openai_client.vector_stores.retrieve(store_id).file_counts.completed == 1


def test_no_match_says_so_and_threshold_is_honoured(openai_client, upload, engine_worker):
    store, _ = _store_with(openai_client, upload, {"a.txt": "Giraffes sleep very little."})
    assistant = openai_client.beta.assistants.create(
        model="demo",
        tools=[{"type": "file_search", "file_search": {"ranking_options": {"score_threshold": 1}}}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Do giraffes sleep?"}]},
    )
    answer = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    assert answer.content[0].text.value == "I searched the files and found nothing about that."
    assert answer.content[0].text.annotations == []


def test_real_model_gets_the_tool_and_cites(
    openai_client, upload, engine_worker, chat_server, chat_model
):
    """A chat-completions model (the local fake server) calls file_search as a function and
    cites the marker it was given; the engine runs the search and annotates."""
    from tests.fakes.chat_server import Reply

    store, ids = _store_with(openai_client, upload, {"faq.txt": "Returns are free for 30 days."})
    chat_server.script(
        Reply(tool_calls=[{"name": "file_search", "arguments": {"query": "returns"}}]),
        Reply(text="Returns cost nothing within a month.【0:0†faq.txt】"),
    )
    assistant = searcher(openai_client, store, model=chat_model)
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Are returns free?"}]},
    )
    assert run.status == "completed", run.last_error
    first, second = chat_server.requests[-2:]
    (tool,) = first.body["tools"]
    assert (
        tool["function"]["name"] == "file_search" and "faq.txt" in tool["function"]["description"]
    )
    tool_message = second.body["messages"][-1]
    assert tool_message["role"] == "tool" and "【0:0†faq.txt】" in tool_message["content"]
    assert "Returns are free for 30 days." in tool_message["content"]
    answer = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    (citation,) = answer.content[0].text.annotations
    assert citation.file_citation.file_id == ids["faq.txt"]
    assert run.usage.prompt_tokens > 0


def test_streamed_run_shows_the_file_search_step(openai_client, upload, engine_worker):
    store, _ = _store_with(openai_client, upload, {"s.txt": "Streams of otters hold paws."})
    assistant = searcher(openai_client, store)
    thread = openai_client.beta.threads.create(
        messages=[{"role": "user", "content": "What do otters hold?"}]
    )
    with openai_client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id
    ) as stream:
        events = [event.event for event in stream]
        final = stream.get_final_messages()
    assert "thread.run.step.created" in events and events[-1] == "thread.run.completed"
    assert final[0].content[0].text.annotations[0].type == "file_citation"
    steps = stream.get_final_run_steps()
    (call,) = steps[0].step_details.tool_calls
    assert call.type == "file_search"
    # The stream, like the steps endpoints without include[], never carries the results' text.
    assert call.file_search.results and all(r.content is None for r in call.file_search.results)


def test_include_param_reaches_the_wire(engine_url, engine_key, openai_client):
    # The SDK sends include[] as a bracketed query array; a plain GET without it works too.
    thread = openai_client.beta.threads.create()
    response = httpx.get(
        f"{engine_url}/threads/{thread.id}/runs/run_missing/steps",
        params={"include[]": INCLUDE},
        headers={"Authorization": f"Bearer {engine_key}"},
    )
    assert response.status_code == 404


def test_a_thread_created_with_a_new_store_shows_it_at_once(openai_client, upload):
    # Like an assistant's, a thread's `vector_stores` helper becomes a store when the thread is
    # made (not when a run first searches), so retrieving the thread names it.
    created = upload("helper.txt", b"Nothing to see.")
    thread = openai_client.beta.threads.create(
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [created.id]}]}}
    )
    (store_id,) = thread.tool_resources.file_search.vector_store_ids
    assert thread.tool_resources.file_search.model_extra.get("vector_stores") is None
    files = openai_client.vector_stores.files.list(vector_store_id=store_id).data
    assert [f.id for f in files] == [created.id]
