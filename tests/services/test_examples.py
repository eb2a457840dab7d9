"""Every example response in the reference (a copy in reference/examples.txt), SSE transcripts
included, served at its endpoint and read back through the client method for that endpoint.

A parsed object must give back exactly the example's JSON (nothing lost, nothing invented), and
a stream must yield one typed event per SSE event, in order.

The examples come from OpenAI's published description and carry typos that no server sends
(JavaScript-style keys, trailing commas, "..." elisions, a `data:` prefix missing, one brace
too many); `repair_json` / `repair_sse` fix exactly those, and `test_repairs_are_needed` keeps
that list honest.
"""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import pytest

from assistants_app.services import AssistantStream, types

from .conftest import url

EXAMPLES = Path(__file__).parent / "reference" / "examples.txt"
IDS = {
    "assistant_id": "asst_abc123",
    "thread_id": "thread_abc123",
    "message_id": "msg_abc123",
    "run_id": "run_abc123",
    "step_id": "step_abc123",
    "file_id": "file-abc123",
    "vector_store_id": "vs_abc123",
    "batch_id": "vsfb_abc123",
}


def load_examples() -> list[tuple[str, str, str, str]]:
    """(method, path template, title, raw response) for each example that has a response."""
    examples = []
    for section in re.split(r"^######## ", EXAMPLES.read_text(), flags=re.M)[1:]:
        heading, _, rest = section.partition("\n")
        if "RESPONSE:\n" not in rest:
            continue  # GET /files/{id}/content: the example shows no body
        endpoint, _, title = heading.partition(" — ")
        method, path = endpoint.split(" ", 1)
        examples.append((method, path, title, rest.split("RESPONSE:\n", 1)[1].strip()))
    return examples


def repair_json(text: str) -> str:
    text = re.sub(r"^(\s*)([A-Za-z_]+):", r'\1"\2":', text, flags=re.M)  # id: "x" -> "id": "x"
    text = text.replace("{...}", "{}")
    text = re.sub(r",?\s*\n\s*\.\.\.\s*\n", "\n", text)  # an elided array item
    return re.sub(r",(\s*[}\]])", r"\1", text)  # trailing commas


def repair_sse(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        if line == "...":
            continue  # elided deltas
        if line.startswith("{"):
            line = "data: " + line  # one event lost its `data:` prefix
        if line.startswith("data: {"):
            try:
                json.loads(line[6:])
            except json.JSONDecodeError as error:
                if error.msg == "Extra data" and line[6:][error.pos :] == "}":
                    line = line[:-1]  # one closing brace too many
        lines.append(line)
    return "\n".join(lines) + "\n\n"


def call_endpoint(client, method: str, path: str, stream: bool):
    """The client method for an endpoint of the reference (and what it returns), called as the
    SDK calls it: the path's last id first, the ids above it as keywords (thread_id=…)."""
    runs, messages = client.threads.runs, client.threads.messages
    vs = client.vector_stores
    calls = {
        "GET /assistants": partial(client.assistants.list, order="desc", limit=20),
        "POST /assistants": partial(client.assistants.create, model="gpt-4o"),
        "GET /assistants/{assistant_id}": client.assistants.retrieve,
        "POST /assistants/{assistant_id}": partial(client.assistants.update, instructions="x"),
        "DELETE /assistants/{assistant_id}": client.assistants.delete,
        "GET /files": client.files.list,
        "POST /files": partial(client.files.create, file=b"{}", purpose="fine-tune"),
        "DELETE /files/{file_id}": client.files.delete,
        "GET /files/{file_id}": client.files.retrieve,
        "POST /threads": client.threads.create,
        "POST /threads/runs": partial(
            client.threads.create_and_run,
            assistant_id="asst_abc123",
            thread={"messages": [{"role": "user", "content": "Hello"}]},
            stream=stream,
        ),
        "GET /threads/{thread_id}": client.threads.retrieve,
        "POST /threads/{thread_id}": partial(client.threads.update, metadata={"modified": "true"}),
        "DELETE /threads/{thread_id}": client.threads.delete,
        "GET /threads/{thread_id}/messages": messages.list,
        "POST /threads/{thread_id}/messages": partial(
            messages.create, role="user", content="How does AI work?"
        ),
        "GET /threads/{thread_id}/messages/{message_id}": messages.retrieve,
        "POST /threads/{thread_id}/messages/{message_id}": partial(
            messages.update, metadata={"modified": "true"}
        ),
        "DELETE /threads/{thread_id}/messages/{message_id}": messages.delete,
        "GET /threads/{thread_id}/runs": runs.list,
        "POST /threads/{thread_id}/runs": partial(
            runs.create, assistant_id="asst_abc123", stream=stream
        ),
        "GET /threads/{thread_id}/runs/{run_id}": runs.retrieve,
        "POST /threads/{thread_id}/runs/{run_id}": partial(
            runs.update, metadata={"user_id": "user_abc123"}
        ),
        "POST /threads/{thread_id}/runs/{run_id}/cancel": runs.cancel,
        "GET /threads/{thread_id}/runs/{run_id}/steps": runs.steps.list,
        "GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}": runs.steps.retrieve,
        "POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs": partial(
            runs.submit_tool_outputs,
            tool_outputs=[{"tool_call_id": "call_001", "output": "70 degrees and sunny."}],
            stream=stream,
        ),
        "GET /vector_stores": vs.list,
        "POST /vector_stores": partial(vs.create, name="Support FAQ"),
        "GET /vector_stores/{vector_store_id}": vs.retrieve,
        "POST /vector_stores/{vector_store_id}": partial(vs.update, name="Support FAQ"),
        "DELETE /vector_stores/{vector_store_id}": vs.delete,
        "POST /vector_stores/{vector_store_id}/file_batches": partial(
            vs.file_batches.create, file_ids=["file-abc123", "file-abc456"]
        ),
        "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}": vs.file_batches.retrieve,
        "POST /vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel": (
            vs.file_batches.cancel
        ),
        "GET /vector_stores/{vector_store_id}/file_batches/{batch_id}/files": (
            vs.file_batches.list_files
        ),
        "GET /vector_stores/{vector_store_id}/files": vs.files.list,
        "POST /vector_stores/{vector_store_id}/files": partial(
            vs.files.create, file_id="file-abc123"
        ),
        "GET /vector_stores/{vector_store_id}/files/{file_id}": vs.files.retrieve,
        "DELETE /vector_stores/{vector_store_id}/files/{file_id}": vs.files.delete,
        "POST /vector_stores/{vector_store_id}/files/{file_id}": partial(
            vs.files.update, attributes={"key1": "value1"}
        ),
        "GET /vector_stores/{vector_store_id}/files/{file_id}/content": vs.files.content,
        "POST /vector_stores/{vector_store_id}/search": partial(
            vs.search, query="What is the return policy?"
        ),
    }
    *parents, last = [None, *re.findall(r"{(\w+)}", path)]
    ids = [IDS[last]] if last else []
    return calls[f"{method} {path}"](*ids, **{name: IDS[name] for name in parents if name})


def dump(model) -> dict:
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


EXAMPLE_LIST = load_examples()


def test_the_reference_has_all_its_examples():
    assert len(EXAMPLE_LIST) == 50  # 51 sections; one shows no response body
    assert sum(raw.startswith("event:") for *_, raw in EXAMPLE_LIST) == 5


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [(m, p, raw) for m, p, _, raw in EXAMPLE_LIST if not raw.startswith("event:")],
    ids=[f"{m} {p} {t}" for m, p, t, raw in EXAMPLE_LIST if not raw.startswith("event:")],
)
def test_json_example_parses_without_loss(client, respx_mock, method, path, raw):
    expected = json.loads(repair_json(raw))
    respx_mock.route(method=method, url=url(path.format(**IDS).lstrip("/"))).respond(json=expected)

    result = call_endpoint(client, method, path, stream=False)

    if isinstance(expected.get("data"), list) and expected.get("object") == "list":
        assert [dump(item) for item in result.data] == expected["data"]
        assert (result.first_id, result.last_id) == (expected["first_id"], expected["last_id"])
        assert result.has_more is expected["has_more"]
    else:
        assert isinstance(result, types.APIModel)
        assert dump(result) == expected


def sse_examples():
    return [(m, p, t, raw) for m, p, t, raw in EXAMPLE_LIST if raw.startswith("event:")]


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [(m, p, raw) for m, p, _, raw in sse_examples()],
    ids=[f"{m} {p} {t}" for m, p, t, _ in sse_examples()],
)
def test_sse_example_yields_typed_events(client, respx_mock, method, path, raw):
    transcript = repair_sse(raw)
    expected = [
        (block.split("\n")[0].removeprefix("event: "), block.split("\n")[1].removeprefix("data: "))
        for block in re.split(r"\n\n+", transcript.strip())
    ]
    assert expected[-1] == ("done", "[DONE]")
    route = respx_mock.route(method=method, url=url(path.format(**IDS).lstrip("/"))).respond(
        content=transcript.encode(), headers={"content-type": "text/event-stream"}
    )

    with call_endpoint(client, method, path, stream=True) as stream:
        assert isinstance(stream, AssistantStream)
        events = list(stream)

    assert json.loads(route.calls.last.request.content)["stream"] is True
    assert [event.event for event in events] == [name for name, _ in expected[:-1]]
    for event, (_, data) in zip(events, expected, strict=False):
        assert not isinstance(event, types.UnknownEvent)
        assert dump(event.data) == json.loads(data)
    assert stream.current_run is not None
    assert stream.current_run.status in {"completed", "requires_action"}


def test_function_call_stream_builds_the_required_action(client, respx_mock):
    (raw,) = [raw for m, p, t, raw in sse_examples() if p == "/threads/runs" and "Func" in t]
    respx_mock.post(url("threads/runs")).respond(
        content=repair_sse(raw).encode(), headers={"content-type": "text/event-stream"}
    )
    with client.threads.create_and_run(assistant_id="asst_abc123", stream=True) as stream:
        events = list(stream)
    deltas = [e for e in events if isinstance(e, types.RunStepDeltaEvent)]
    arguments = "".join(
        call.function.arguments or ""
        for event in deltas
        for call in event.data.delta.step_details.tool_calls
        if isinstance(call, types.FunctionToolCallDelta) and call.function
    )
    assert arguments.startswith('{"location')
    (call,) = stream.current_run.required_tool_calls
    assert call.function.name == "get_current_weather"
    assert json.loads(call.function.arguments) == {
        "location": "San Francisco, CA",
        "unit": "fahrenheit",
    }


def test_message_stream_text_deltas(client, respx_mock):
    (raw,) = [raw for m, p, t, raw in sse_examples() if p.endswith("submit_tool_outputs")]
    respx_mock.post(url("threads/t/runs/r/submit_tool_outputs")).respond(
        content=repair_sse(raw).encode(), headers={"content-type": "text/event-stream"}
    )
    stream = client.threads.runs.submit_tool_outputs(
        "r", thread_id="t", tool_outputs=[{"tool_call_id": "call_001", "output": "70"}], stream=True
    )
    assert "".join(stream.text_deltas()) == "The current weather sunny."
    assert stream.current_run.status == "completed"


def test_repairs_are_needed():
    """Each repair answers a real defect of the published examples, and nothing else."""
    broken_json = broken_sse = 0
    for *_, raw in EXAMPLE_LIST:
        if raw.startswith("event:"):
            blocks = raw.split("\n\n")
            broken_sse += any(
                line == "..." or line.startswith("{")
                for block in blocks
                for line in block.split("\n")
            )
        else:
            try:
                json.loads(raw)
            except json.JSONDecodeError:
                broken_json += 1
    assert broken_json == 10
    assert broken_sse == 5
