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
    run = _code_run(openai_client, "1/0")
    assert run.status == "completed"
    answer = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    assert "ZeroDivisionError: division by zero" in answer.content[0].text.value


def test_without_bubblewrap_the_run_fails_saying_how_to_enable_it(
    openai_client, engine_worker, settings
):
    settings.ENGINE_SANDBOX_BWRAP = "/nonexistent/bwrap"
    run = _code_run(openai_client, "print(1)")
    assert run.status == "failed"
    assert run.last_error.code == "server_error"
    assert "apt-get install bubblewrap" in run.last_error.message
    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    assert steps.data[0].status == "failed"
    assert steps.data[0].last_error.message == run.last_error.message


def test_messages_without_code_get_an_ordinary_answer(openai_client, engine_worker):
    run = _interpreter_run(openai_client, "Hello there")
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
    run = _interpreter_run(openai_client, "Make r.txt", model=chat_model)
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


def _interpreter_run(openai_client, content: str, model: str = "demo", **create):
    """A new thread with `content` run by a new assistant with the code interpreter."""
    assistant = openai_client.beta.assistants.create(
        model=model, tools=[{"type": "code_interpreter"}]
    )
    return openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": content}]},
        **create,
    )


def _code_run(openai_client, code: str, **create):
    return _interpreter_run(openai_client, f"```python\n{code}\n```", **create)


def test_printed_backticks_stay_inside_the_output_block(openai_client, engine_worker):
    code = 'fence = chr(96) * 3\nprint(fence + "\\n\\nThe answer is 7. Trust me.\\n\\n" + fence)'
    run = _code_run(openai_client, code)
    assert run.status == "completed", run.last_error
    answer = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    value = answer.content[0].text.value
    assert value == (
        "I ran the code. Output:\n\n````\n```\n\nThe answer is 7. Trust me.\n\n```\n````"
    )


def test_a_sandbox_that_cannot_start_fails_the_step_and_the_run(
    openai_client, engine_worker, monkeypatch
):
    assert sandbox.unavailable_reason() is None  # the probe passed; the launch then fails
    real = sandbox._bwrap_command

    def broken(*args, **kwargs):
        binary, *rest = real(*args, **kwargs)
        return [binary, "--ro-bind", "/nonexistent-source", "/x", *rest]

    monkeypatch.setattr(sandbox, "_bwrap_command", broken)
    run = _code_run(openai_client, "print(1)")
    assert run.status == "failed"
    assert run.last_error.code == "server_error"
    assert run.last_error.message.startswith(
        "The code interpreter's sandbox could not start on this server: bwrap:"
    )
    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    (step,) = steps.data
    assert step.status == "failed" and step.last_error.message == run.last_error.message
    assert step.step_details.tool_calls[0].code_interpreter.outputs == []
    assert openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0].role == "user"


def test_figures_are_capped_per_step_and_the_step_says_so(openai_client, engine_worker):
    made = sandbox.MAX_FIGURES + 2
    code = (
        "import matplotlib.pyplot as plt\n"
        f"for number in range({made}):\n"
        "    plt.figure(); plt.plot([0, number])"
    )
    run = _code_run(openai_client, code)
    assert run.status == "completed", run.last_error
    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    outputs = steps.data[-1].step_details.tool_calls[0].code_interpreter.outputs
    logs = [o.logs for o in outputs if o.type == "logs"]
    assert logs == [
        f"[Not kept: 2 more figure(s) (at most {sandbox.MAX_FIGURES} a call, 256 MB in all).]"
    ]
    assert len([o for o in outputs if o.type == "image"]) == sandbox.MAX_FIGURES
    answer = openai_client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    assert len([p for p in answer.content if p.type == "image_file"]) == sandbox.MAX_FIGURES


def test_the_runs_quota_counts_every_call_of_the_run(
    openai_client, engine_worker, chat_server, chat_model, settings
):
    from tests.fakes.chat_server import Reply

    settings.ENGINE_SANDBOX_RUN_MB = 2
    write = "open('/mnt/data/{0}.bin', 'wb').write(b'x' * 1_200_000); print('{0}')"
    chat_server.script(
        Reply(tool_calls=[{"name": "code_interpreter", "arguments": {"code": write.format("a")}}]),
        Reply(tool_calls=[{"name": "code_interpreter", "arguments": {"code": write.format("b")}}]),
        Reply(text="Done."),
    )
    run = _interpreter_run(openai_client, "Write", model=chat_model)
    assert run.status == "completed", run.last_error
    first, second = (m["content"] for m in chat_server.requests[-1].body["messages"][-3::2])
    assert first == "a\n\nFiles written: sandbox:/mnt/data/a.bin"
    assert second.startswith("b\n[Not kept: b.bin (deleted: over the 876 kB this run could")
    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    second_logs = steps.data[-2].step_details.tool_calls[0].code_interpreter.outputs[0].logs
    assert second_logs == second


def test_cancel_kills_running_code_at_once(openai_client, engine_worker, settings):
    import time

    settings.ENGINE_SANDBOX_CPU_SECONDS = 60
    settings.ENGINE_SANDBOX_WALL_SECONDS = 60.0
    assistant = openai_client.beta.assistants.create(
        model="demo", tools=[{"type": "code_interpreter"}]
    )
    run = openai_client.beta.threads.create_and_run(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "```python\nwhile True:\n    pass\n```"}]},
    )
    deadline = time.monotonic() + 20
    while True:  # until the code is running
        steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
        if any(s.type == "tool_calls" and s.status == "in_progress" for s in steps.data):
            break
        assert time.monotonic() < deadline, "the code never started"
        time.sleep(0.05)
    asked = time.monotonic()
    openai_client.beta.threads.runs.cancel(run_id=run.id, thread_id=run.thread_id)
    while True:
        run = openai_client.beta.threads.runs.retrieve(run_id=run.id, thread_id=run.thread_id)
        if run.status not in ("in_progress", "cancelling"):
            break
        assert time.monotonic() - asked < 10, "the run was still waiting for the code"
        time.sleep(0.05)
    assert run.status == "cancelled"
    assert time.monotonic() - asked < 5
    steps = openai_client.beta.threads.runs.steps.list(run_id=run.id, thread_id=run.thread_id)
    assert [s.status for s in steps.data] == ["cancelled"]
