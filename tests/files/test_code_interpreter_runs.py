"""code_interpreter in runs, through the official SDK against the live server and the engine's
worker: the demo model runs the ```python block of the message in the sandbox, the step shows
the code, its logs and its figure, written files come back with file_path annotations, and
without bubblewrap the run fails saying how to enable it."""

from __future__ import annotations

import pytest

from engine.files import sandbox

PLOT = """Please plot my data.

```python
import csv
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open("sales.csv")))
months = [r["month"] for r in rows]
totals = [int(r["total"]) for r in rows]
print("months:", len(rows), "sum:", sum(totals))
plt.bar(months, totals)
with open("summary.txt", "w") as out:
    out.write(f"best month: {months[totals.index(max(totals))]}")
```
"""


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.ENGINE_CODE_INTERPRETER_MODE = "sandbox"
    sandbox.forget_probe()


def test_plot_a_csv_with_a_python_block(openai_client, upload, engine_worker):
    data = upload("sales.csv", b"month,total\nJan,10\nFeb,30\nMar,20\n")
    assistant = openai_client.beta.assistants.create(
        model="demo",
        tools=[{"type": "code_interpreter"}],
        tool_resources={"code_interpreter": {"file_ids": [data.id]}},
    )
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": PLOT}])
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id
    )
    assert run.status == "completed", run.last_error

    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=thread.id)
    tool_step = steps.data[-1]
    (call,) = tool_step.step_details.tool_calls
    assert call.type == "code_interpreter"
    assert call.code_interpreter.input.startswith("import csv")
    logs, image = call.code_interpreter.outputs
    assert (logs.type, logs.logs) == ("logs", "months: 3 sum: 60")
    assert image.type == "image"
    png = openai_client.files.content(image.image.file_id).read()
    assert png.startswith(b"\x89PNG")
    assert openai_client.files.retrieve(image.image.file_id).purpose == "assistants_output"

    (answer,) = openai_client.beta.threads.messages.list(thread_id=thread.id, run_id=run.id).data
    text, picture = answer.content
    assert "months: 3 sum: 60" in text.text.value
    assert picture.type == "image_file" and picture.image_file.file_id == image.image.file_id
    (link,) = text.text.annotations
    assert link.type == "file_path" and link.text == "sandbox:/mnt/data/summary.txt"
    assert text.text.value[link.start_index : link.end_index] == link.text
    written = openai_client.files.content(link.file_path.file_id).read()
    assert written == b"best month: Feb"


def test_attached_files_are_in_the_working_folder(openai_client, upload, engine_worker):
    notes = upload("notes.txt", b"line one\nline two\n")
    assistant = openai_client.beta.assistants.create(
        model="demo", tools=[{"type": "code_interpreter"}]
    )
    message = "Count them\n```python\nprint(len(open('/mnt/data/notes.txt').readlines()))\n```"
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={
            "messages": [
                {
                    "role": "user",
                    "content": message,
                    "attachments": [{"file_id": notes.id, "tools": [{"type": "code_interpreter"}]}],
                }
            ]
        },
    )
    assert run.status == "completed", run.last_error
    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    outputs = steps.data[-1].step_details.tool_calls[0].code_interpreter.outputs
    assert outputs[0].logs == "2"


def test_errors_are_logs_and_the_run_still_completes(openai_client, engine_worker):
    assistant = openai_client.beta.assistants.create(
        model="demo", tools=[{"type": "code_interpreter"}]
    )
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "```python\n1/0\n```"}]},
    )
    assert run.status == "completed"
    answer = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    assert "ZeroDivisionError: division by zero" in answer.content[0].text.value


def test_without_bubblewrap_the_run_fails_saying_how_to_enable_it(
    openai_client, engine_worker, settings
):
    settings.ENGINE_SANDBOX_BWRAP = "/nonexistent/bwrap"
    assistant = openai_client.beta.assistants.create(
        model="demo", tools=[{"type": "code_interpreter"}]
    )
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "```python\nprint(1)\n```"}]},
    )
    assert run.status == "failed"
    assert run.last_error.code == "server_error"
    assert "apt-get install bubblewrap" in run.last_error.message
    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    assert steps.data[0].status == "failed"
    assert steps.data[0].last_error.message == run.last_error.message


def test_messages_without_code_get_an_ordinary_answer(openai_client, engine_worker):
    assistant = openai_client.beta.assistants.create(
        model="demo", tools=[{"type": "code_interpreter"}]
    )
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Hello there"}]},
    )
    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    assert [s.type for s in steps.data] == ["message_creation"]


def test_a_real_model_runs_code_and_links_files(
    openai_client, engine_worker, chat_server, chat_model
):
    from tests.fakes.chat_server import Reply

    chat_server.script(
        Reply(
            tool_calls=[
                {
                    "name": "code_interpreter",
                    "arguments": {"code": "open('/mnt/data/r.txt','w').write('42'); print('ok')"},
                }
            ]
        ),
        Reply(text="Done: [r.txt](sandbox:/mnt/data/r.txt)."),
    )
    assistant = openai_client.beta.assistants.create(
        model=chat_model, tools=[{"type": "code_interpreter"}]
    )
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "Make r.txt"}]}
    )
    assert run.status == "completed", run.last_error
    tool_message = chat_server.requests[-1].body["messages"][-1]
    assert tool_message["role"] == "tool"
    assert tool_message["content"] == "ok\n\nFiles written: sandbox:/mnt/data/r.txt"
    answer = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    (link,) = answer.content[0].text.annotations
    assert openai_client.files.content(link.file_path.file_id).read() == b"42"


def test_streamed_run_shows_the_code_and_its_output(openai_client, engine_worker):
    assistant = openai_client.beta.assistants.create(
        model="demo", tools=[{"type": "code_interpreter"}]
    )
    thread = openai_client.beta.threads.create(
        messages=[{"role": "user", "content": "```python\nprint(6 * 7)\n```"}]
    )
    with openai_client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id
    ) as stream:
        deltas = [
            event.data.delta.step_details.tool_calls[0]
            for event in stream
            if event.event == "thread.run.step.delta"
        ]
        steps = stream.get_final_run_steps()
        messages = stream.get_final_messages()
    assert deltas[0].type == "code_interpreter"
    assert deltas[0].code_interpreter.input == "print(6 * 7)\n"
    outputs = [o for d in deltas for o in (d.code_interpreter.outputs or [])]
    assert [(o.type, o.logs) for o in outputs] == [("logs", "42")]
    (call,) = steps[0].step_details.tool_calls
    assert call.code_interpreter.outputs[0].logs == "42"
    assert "42" in messages[0].content[0].text.value
