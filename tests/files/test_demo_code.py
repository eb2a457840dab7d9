"""The demo model with the engine's own tools, asked in plain words, through the official SDK
against the live server, the engine's worker and the real sandbox: "plot the sales by month"
writes and runs plotting code for the attached CSV (its figure becomes an image), "what is
3x + 11 = 14" writes and runs code that solves it, and file search quotes the sentence that
answers, says plainly when nothing does, and greets a greeting without searching."""

from __future__ import annotations

import pytest

from engine.files import sandbox

from .conftest import searcher, wait_for_files

SALES = b"region,month,units,sales\nNorth,Jan,1,10\nSouth,Jan,2,5\nNorth,Feb,3,30\n"
HANDBOOK = (
    "Shipping is free for orders over 50 euros. Refunds are paid within 14 days of the "
    "return. Today the office is closed for stocktaking."
)


@pytest.fixture
def _sandbox(settings):
    settings.ENGINE_CODE_INTERPRETER_MODE = "sandbox"
    sandbox.forget_probe()


def coder(client, file_ids=()):
    return client.beta.assistants.create(
        model="demo",
        tools=[{"type": "code_interpreter"}],
        tool_resources={"code_interpreter": {"file_ids": list(file_ids)}},
    )


def run_message(client, assistant, text: str):
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": text}]},
        poll_interval_ms=50,
    )
    assert run.status == "completed", run.last_error
    steps = client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id).data
    (answer,) = client.beta.threads.messages.list(thread_id=run.thread_id, run_id=run.id).data
    return steps, answer


@pytest.mark.usefixtures("_sandbox")
def test_plot_the_sales_by_month_draws_the_attached_csv(openai_client, upload, engine_worker):
    data = upload("sales.csv", SALES)
    steps, answer = run_message(
        openai_client, coder(openai_client, [data.id]), "Could you plot the sales by month?"
    )
    (call,) = steps[-1].step_details.tool_calls
    assert call.type == "code_interpreter"
    assert "FILE = 'sales.csv'" in call.code_interpreter.input
    logs, image = call.code_interpreter.outputs
    assert logs.logs == "Plotted sales by month from sales.csv: 2 points."
    assert image.type == "image"
    png = openai_client.files.content(image.image.file_id).read()
    assert png.startswith(b"\x89PNG")
    text, picture = answer.content
    assert "Plotted sales by month" in text.text.value
    assert text.text.value.endswith("The figure is attached.")
    assert picture.type == "image_file" and picture.image_file.file_id == image.image.file_id


@pytest.mark.usefixtures("_sandbox")
def test_what_is_3x_plus_11_equals_14_is_solved_by_code(openai_client, engine_worker):
    steps, answer = run_message(openai_client, coder(openai_client), "what is 3x + 11 = 14")
    (call,) = steps[-1].step_details.tool_calls
    assert "# Written by the demo model (scripted) for: 3x + 11 = 14" in call.code_interpreter.input
    (logs,) = call.code_interpreter.outputs
    assert logs.logs == "x = 1"
    assert answer.content[0].text.value == "I ran the code. Output:\n\n```\nx = 1\n```"


def test_asked_to_plot_without_a_csv_it_says_so(openai_client, engine_worker):
    steps, answer = run_message(openai_client, coder(openai_client), "plot the sales by month")
    assert [s.type for s in steps] == ["message_creation"]
    assert answer.content[0].text.value.startswith("I can plot a CSV file given to the code")


def handbook_searcher(client, upload):
    handbook = upload("handbook.txt", HANDBOOK.encode())
    store = client.vector_stores.create(name="kb", file_ids=[handbook.id])
    wait_for_files(client, store.id)
    return searcher(client, store), handbook.id


def test_file_search_quotes_the_sentence_that_answers(openai_client, upload, engine_worker):
    assistant, file_id = handbook_searcher(openai_client, upload)
    steps, answer = run_message(openai_client, assistant, "How many days until refunds?")
    assert [s.type for s in reversed(steps)] == ["tool_calls", "message_creation"]
    text = answer.content[0].text
    assert text.value == (
        'From handbook.txt: "Refunds are paid within 14 days of the return."【0:0†handbook.txt】'
    )
    (citation,) = text.annotations
    assert citation.file_citation.file_id == file_id
    assert text.value[citation.start_index : citation.end_index] == citation.text


def test_file_search_says_plainly_when_nothing_answers_and_greets_a_greeting(
    openai_client, upload, engine_worker
):
    assistant, _ = handbook_searcher(openai_client, upload)
    # The handbook shares "today" with the question, and nothing else: not an answer.
    steps, answer = run_message(openai_client, assistant, "What's the weather in Oslo today?")
    assert steps[-1].step_details.tool_calls[0].type == "file_search"
    assert answer.content[0].text.value == "I searched the files and found nothing about that."
    assert answer.content[0].text.annotations == []

    steps, answer = run_message(openai_client, assistant, "hello")
    assert [s.type for s in steps] == ["message_creation"]  # no search for a greeting
    assert answer.content[0].text.value == (
        "Hello! I am the demo model (scripted, not an AI). You can ask me about your files."
    )
